/** The offline `local` provider through the real local Images binding: PNGs, determinism, edits, knobs. */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { injectsFailure, LOCAL_MODEL, localAdapter } from "../src/adapters/local/local.adapter";
import { COLOR_WORDS, paletteFor } from "../src/adapters/local/palette";
import { CAPTION_LENGTH, captionLines, renderSvg } from "../src/adapters/local/render-svg";
import { createRandom, hashString } from "../src/adapters/local/seeded-random";
import { type ImageOp, type ImageOpKind, ProviderError } from "../src/adapters/provider.types";
import { analyzeImage } from "../src/agents/tools/images";
import type { AppEnv } from "../src/lib/env";
import { hammingDistance } from "../src/lib/phash";
import { decodePng } from "../src/lib/png";

const appEnv = env as unknown as AppEnv;
const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const PROMPT = "a lighthouse on a cliff at dusk";

function withVars(vars: { LOCAL_PROVIDER_DELAY_MS?: string; LOCAL_PROVIDER_FAIL_RATE?: string }): AppEnv {
  return { ...appEnv, ...vars };
}

function stream(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new Blob([bytes]).stream();
}

async function info(bytes: Uint8Array): Promise<ImageInfoResponse> {
  return appEnv.IMAGES.info(stream(bytes));
}

/** A PNG start image rasterized from a tiny SVG (non-square, to exercise the cover crop). */
async function startImage(fill: string, accent: string): Promise<{ bytes: Uint8Array; contentType: string }> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="300" height="200"><rect width="300" height="200" fill="${fill}"/><circle cx="220" cy="60" r="50" fill="${accent}"/></svg>`;
  const result = await appEnv.IMAGES.input(stream(new TextEncoder().encode(svg))).output({
    format: "image/png",
  });
  return {
    bytes: new Uint8Array(await new Response(result.image()).arrayBuffer()),
    contentType: "image/png",
  };
}

async function rejection(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

/** pHash exactly as the app computes it for dedupe. */
async function phash(bytes: Uint8Array): Promise<string> {
  return (await analyzeImage(appEnv.IMAGES, bytes)).phash;
}

const generate = (prompt: string, variantIndex: number): ImageOp => ({
  kind: "generate",
  prompt,
  variantIndex,
});

describe("seeded random", () => {
  it("hashes with FNV-1a and replays the same sequence for the same seed", () => {
    expect(hashString("")).toBe(0x811c9dc5);
    expect(hashString("a")).toBe(0xe40c292c);
    const a = createRandom("seed");
    const b = createRandom("seed");
    const seqA = [a.next(), a.int(1, 6), a.range(10, 20)];
    expect([b.next(), b.int(1, 6), b.range(10, 20)]).toEqual(seqA);
    expect(createRandom("other").next()).not.toBe(seqA[0]);
    for (let i = 0; i < 200; i++) expect(a.int(1, 6)).toBeGreaterThanOrEqual(1);
  });
});

describe("renderSvg", () => {
  it("is byte-identical for the same inputs and differs between variants", () => {
    expect(renderSvg(PROMPT, 0, "s1")).toBe(renderSvg(PROMPT, 0, "s1"));
    expect(renderSvg(PROMPT, 0, "s1")).not.toBe(renderSvg(PROMPT, 1, "s1"));
    expect(renderSvg(PROMPT, 0, "s1")).not.toBe(renderSvg(PROMPT, 0, "s2"));
    expect(renderSvg(PROMPT, 0, "s1")).toMatch(/^<svg [^>]*width="512" height="512"/);
  });

  it("uses the prompt's colour words verbatim and a fallback palette otherwise", () => {
    expect(renderSvg("a red fox", 0, "s")).toContain(COLOR_WORDS.red);
    const navyGold = renderSvg("navy and gold poster", 3, "s");
    expect(navyGold).toContain(COLOR_WORDS.navy);
    expect(navyGold).toContain(COLOR_WORDS.gold);
    expect(renderSvg("a fox", 0, "s")).not.toContain(COLOR_WORDS.red);
    expect(paletteFor("a fox", "s").fromPrompt).toBe(false);
    expect(paletteFor("Grey skies", "s").colors[0]).toBe(COLOR_WORDS.grey);
  });

  it("XML-escapes the caption and wraps it at word boundaries, never cutting a word that fits", () => {
    const svg = renderSvg(`<script>&"'</script> ${"x".repeat(60)}`, 0, "s");
    expect(svg).toContain(">&lt;script&gt;&amp;&quot;&apos;&lt;/script&gt;</text>");
    expect(svg).not.toContain("<script>");
    // A single word longer than a line is the only thing ever cut, with an ellipsis.
    expect(svg).toContain(`>${"x".repeat(39)}\u2026</text>`);
    expect(renderSvg("bad\u0000char", 0, "s")).toContain(">badchar</text>");

    const prompt =
      "a teal lighthouse at dusk, gold sky, balanced palette, soft light, wide angle, dramatic clouds";
    expect(captionLines(prompt)).toEqual([
      "a teal lighthouse at dusk, gold sky,",
      "balanced palette, soft light, wide\u2026",
    ]);
    for (const line of captionLines(prompt))
      expect(Array.from(line).length).toBeLessThanOrEqual(CAPTION_LENGTH);
    // Every caption word is a whole word of the prompt (the ellipsis aside).
    const words = new Set(prompt.split(" "));
    for (const word of captionLines(prompt).join(" ").replace("\u2026", "").split(" "))
      expect(words).toContain(word);
    expect(captionLines("short prompt")).toEqual(["short prompt"]);
    expect(captionLines("   ")).toEqual([]);
    const two = renderSvg(prompt, 0, "s");
    expect(two.match(/<text /g)).toHaveLength(2);
    expect(two).toContain(">balanced palette, soft light, wide\u2026</text>");
  });
});

describe("localAdapter", () => {
  it("declares every kind and generates a 512×512 PNG with offline meta", async () => {
    expect(localAdapter.id).toBe("local");
    expect([...localAdapter.supports].sort()).toEqual(
      ["edit", "generate", "inpaint", "outpaint", "upscale", "variation"].sort(),
    );
    const result = await localAdapter.run(generate(PROMPT, 0), appEnv);
    expect(Array.from(result.bytes.subarray(0, 8))).toEqual(PNG_MAGIC);
    expect(result.contentType).toBe("image/png");
    expect(await info(result.bytes)).toEqual({
      format: "image/png",
      fileSize: result.bytes.length,
      width: 512,
      height: 512,
    });
    expect(result.providerMeta).toMatchObject({
      mode: "offline",
      model: LOCAL_MODEL,
      width: 512,
      height: 512,
    });
    // Without a spec the variant index is what varies the image: it is the reported seed.
    expect(result.report).toEqual({ width: 512, height: 512, seed: 0, model: LOCAL_MODEL, warnings: [] });
    expect(result.providerMeta.seed).toMatch(/^[0-9a-f]{8}$/);
    expect(result.providerMeta.latencyMs).toEqual(expect.any(Number));
  });

  it("is deterministic per (prompt, variant) and differs across variants and prompts", async () => {
    const first = await localAdapter.run(generate(PROMPT, 2), appEnv);
    const again = await localAdapter.run(generate(PROMPT, 2), appEnv);
    const other = await localAdapter.run(generate(PROMPT, 3), appEnv);
    const otherPrompt = await localAdapter.run(generate(`${PROMPT}!`, 2), appEnv);
    expect(again.bytes).toEqual(first.bytes);
    expect(other.bytes).not.toEqual(first.bytes);
    expect(otherPrompt.bytes).not.toEqual(first.bytes);
  });

  it("renders a hostile prompt (the escaped caption rasterizes)", async () => {
    const result = await localAdapter.run(generate(`<script>&"'</script>]]><!--`, 0), appEnv);
    expect(await info(result.bytes)).toMatchObject({ format: "image/png", width: 512, height: 512 });
  });

  it("derives edit-type results from the start image's pixels", async () => {
    const red = await startImage("#d32f2f", "#ffeb3b");
    const blue = await startImage("#1565c0", "#80deea");
    for (const kind of ["edit", "inpaint", "outpaint", "variation", "upscale"] as const) {
      const op = (startImage: ImageOp["startImage"]): ImageOp => ({
        kind,
        prompt: PROMPT,
        variantIndex: 1,
        startImage,
      });
      const fromRed = await localAdapter.run(op(red), appEnv);
      const fromRedAgain = await localAdapter.run(op(red), appEnv);
      const fromBlue = await localAdapter.run(op(blue), appEnv);
      const side = kind === "upscale" ? 1024 : 512;
      expect(await info(fromRed.bytes), kind).toMatchObject({
        format: "image/png",
        width: side,
        height: side,
      });
      expect(fromRed.providerMeta, kind).toMatchObject({ width: side, height: side, mode: "offline" });
      expect(fromRed.report, kind).toMatchObject({ width: side, height: side, seed: 1, model: LOCAL_MODEL });
      expect(fromRedAgain.bytes, kind).toEqual(fromRed.bytes);
      expect(fromBlue.bytes, kind).not.toEqual(fromRed.bytes);
      // The start image dominates: a red start stays red on average, a blue one blue.
      const redPixels = await decodePng(fromRed.bytes);
      const bluePixels = await decodePng(fromBlue.bytes);
      const mean = (rgba: Uint8Array, channel: number): number => {
        let sum = 0;
        for (let i = channel; i < rgba.length; i += 4) sum += rgba[i] ?? 0;
        return sum / (rgba.length / 4);
      };
      expect(mean(redPixels.rgba, 0), kind).toBeGreaterThan(mean(redPixels.rgba, 2));
      expect(mean(bluePixels.rgba, 2), kind).toBeGreaterThan(mean(bluePixels.rgba, 0));
    }
  });

  it("refuses an edit-type op without a start image (not retryable)", async () => {
    for (const kind of ["edit", "inpaint", "outpaint", "variation", "upscale"] satisfies ImageOpKind[]) {
      const error = await rejection(localAdapter.run({ kind, prompt: PROMPT, variantIndex: 0 }, appEnv));
      expect(error.message).toBe(`local provider: ${kind} needs a start image`);
      expect(error.retryable).toBe(false);
    }
  });

  it("refuses a start image that is not an image (not retryable)", async () => {
    const startImage = { bytes: new TextEncoder().encode("not an image"), contentType: "image/png" };
    const error = await rejection(
      localAdapter.run({ kind: "edit", prompt: PROMPT, variantIndex: 0, startImage }, appEnv),
    );
    expect(error.message).toMatch(/^local provider: start image is not a readable image/);
    expect(error.retryable).toBe(false);
  });

  it("waits LOCAL_PROVIDER_DELAY_MS before answering", async () => {
    const started = Date.now();
    const result = await localAdapter.run(generate(PROMPT, 0), withVars({ LOCAL_PROVIDER_DELAY_MS: "150" }));
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    expect(result.providerMeta.latencyMs).toEqual(expect.any(Number));
    expect(Number(result.providerMeta.latencyMs)).toBeGreaterThanOrEqual(150);
  });

  it("fails every op with a retryable ProviderError at LOCAL_PROVIDER_FAIL_RATE=1", async () => {
    const error = await rejection(
      localAdapter.run(generate(PROMPT, 0), withVars({ LOCAL_PROVIDER_FAIL_RATE: "1" })),
    );
    expect(error.message).toBe("local provider: injected failure (LOCAL_PROVIDER_FAIL_RATE=1)");
    expect(error.retryable).toBe(true);
  });

  it("injects failures deterministically per (kind, prompt, variant) at a partial rate", async () => {
    const ops = Array.from({ length: 32 }, (_, i) => generate(PROMPT, i));
    const failing = ops.filter((op) => injectsFailure(op, 0.5));
    expect(failing.length).toBeGreaterThan(4);
    expect(failing.length).toBeLessThan(28);
    expect(ops.filter((op) => injectsFailure(op, 0.5))).toEqual(failing);
    expect(ops.some((op) => injectsFailure(op, 0))).toBe(false);
    const half = withVars({ LOCAL_PROVIDER_FAIL_RATE: "0.5" });
    const [fails, passes] = [failing[0], ops.find((op) => !injectsFailure(op, 0.5))];
    if (fails === undefined || passes === undefined) throw new Error("expected both outcomes");
    expect((await rejection(localAdapter.run(fails, half))).retryable).toBe(true);
    expect((await rejection(localAdapter.run(fails, half))).retryable).toBe(true);
    expect((await localAdapter.run(passes, half)).contentType).toBe("image/png");
  });

  it("refuses malformed knobs as a non-retryable misconfiguration", async () => {
    for (const vars of [{ LOCAL_PROVIDER_FAIL_RATE: "2" }, { LOCAL_PROVIDER_DELAY_MS: "soon" }]) {
      const error = await rejection(localAdapter.run(generate(PROMPT, 0), withVars(vars)));
      expect(error.message).toMatch(/^local provider: misconfigured/);
      expect(error.retryable).toBe(false);
    }
  });

  it("makes variants 0..7 perceptually distinct (pairwise pHash distance > 6)", async () => {
    for (const prompt of [PROMPT, "red roses", "white"]) {
      const hashes: string[] = [];
      for (let v = 0; v < 8; v++)
        hashes.push(await phash((await localAdapter.run(generate(prompt, v), appEnv)).bytes));
      let min = 64;
      for (let i = 0; i < hashes.length; i++) {
        for (let j = i + 1; j < hashes.length; j++)
          min = Math.min(min, hammingDistance(hashes[i] ?? "", hashes[j] ?? ""));
      }
      console.info(`pHash min pairwise distance for ${JSON.stringify(prompt)}: ${min}`);
      expect(min).toBeGreaterThan(6);
    }
  });
});
