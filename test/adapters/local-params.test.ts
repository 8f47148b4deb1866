/** The local provider honours every generation parameter, proven from decoded pixels (fast-png). */
import { env } from "cloudflare:workers";
import { decode, encode } from "fast-png";
import { describe, expect, it } from "vitest";
import { LOCAL_MODEL, localAdapter } from "../../src/adapters/local/local.adapter";
import { exclusionsOf } from "../../src/adapters/local/negative";
import { renderSvg } from "../../src/adapters/local/render-svg";
import { AspectRatios, type GenerationSpec, PARAMETERS } from "../../src/adapters/params";
import { type ImageOp, ProviderError, type ProviderResult } from "../../src/adapters/provider.types";
import { analyzeImage } from "../../src/agents/tools/images";
import type { AppEnv } from "../../src/lib/env";
import { hammingDistance } from "../../src/lib/phash";

const appEnv = env as unknown as AppEnv;
const PROMPT = "a lighthouse on a cliff at dusk";
const [W, H] = [256, 192];
type Start = NonNullable<ImageOp["startImage"]>;

/** Runs the adapter with a spec (variantIndex 0 throughout: only the seed may vary the image). */
function run(kind: ImageOp["kind"], spec: GenerationSpec, startImage?: Start, prompt = PROMPT) {
  return localAdapter.run(
    { kind, prompt, variantIndex: 0, spec, ...(startImage ? { startImage } : {}) },
    appEnv,
  );
}

/** Decoded 8-bit pixels as RGB (alpha dropped), row-major. */
interface Rgb {
  width: number;
  height: number;
  rgb: Uint8Array;
}

function rgbOf(bytes: Uint8Array): Rgb {
  const png = decode(bytes);
  expect(png.depth).toBe(8);
  const rgb = new Uint8Array(png.width * png.height * 3);
  for (let p = 0; p < png.width * png.height; p++)
    for (let c = 0; c < 3; c++)
      rgb[p * 3 + c] = png.data[p * png.channels + (png.channels >= 3 ? c : 0)] ?? 0;
  return { width: png.width, height: png.height, rgb };
}

/** Whether pixel `p` of `a` equals pixel `q` of `b` exactly. */
const same = (a: Rgb, p: number, b: Rgb, q: number): boolean =>
  a.rgb[p * 3] === b.rgb[q * 3] &&
  a.rgb[p * 3 + 1] === b.rgb[q * 3 + 1] &&
  a.rgb[p * 3 + 2] === b.rgb[q * 3 + 2];

/** Mean absolute difference per channel of two equally sized images. */
function distance(a: Rgb, b: Rgb): number {
  let sum = 0;
  for (let i = 0; i < a.rgb.length; i++) sum += Math.abs((a.rgb[i] ?? 0) - (b.rgb[i] ?? 0));
  return sum / a.rgb.length;
}

/** A photo-like RGB PNG: a blue sky gradient over the top third, textured ground below. */
function photo(width = W, height = H): Start {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const noise = ((x * 73856093) ^ (y * 19349663)) % 9;
      const sky = y < height / 3;
      const px = sky
        ? [90 + (60 * y) / height, 140 + (50 * y) / height, 230 - (20 * y) / height]
        : [70 + (90 * x) / width, 110 + 40 * Math.sin(x / 9), 60 + 30 * Math.cos(y / 7)];
      for (let c = 0; c < 3; c++) data[(y * width + x) * 3 + c] = Math.round((px[c] ?? 0) + noise);
    }
  }
  return { bytes: encode({ width, height, data, channels: 3 }), contentType: "image/png" };
}

/** A grey PNG mask: `value` on the rows above `rows`, black below. */
function mask(width: number, height: number, rows: number, value = 255): NonNullable<GenerationSpec["mask"]> {
  const data = new Uint8Array(width * height);
  data.fill(value, 0, rows * width);
  return { bytes: encode({ width, height, data, channels: 1 }), contentType: "image/png" };
}

async function refusal(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProviderError);
  expect((error as ProviderError).retryable).toBe(false);
  return error as ProviderError;
}

const phash = async (r: ProviderResult): Promise<string> =>
  (await analyzeImage(appEnv.IMAGES, r.bytes)).phash;

describe("local provider: generation parameters", () => {
  it("declares every parameter native, its one model and any size", () => {
    const parameters = Object.fromEntries(PARAMETERS.map((p) => [p, "native"]));
    expect(localAdapter.capabilities).toEqual({ parameters, models: [LOCAL_MODEL], sizes: "any" });
  });

  it("reproduces an image byte for byte per seed; other seeds are perceptually other images", async () => {
    const first = await run("generate", { seed: 4_000_000_001 });
    const again = await run("generate", { seed: 4_000_000_001 });
    expect(again.bytes).toEqual(first.bytes);
    expect(first.report).toEqual({
      width: 512,
      height: 512,
      seed: 4_000_000_001,
      model: LOCAL_MODEL,
      warnings: [],
    });
    // The task runner passes seed = job seed + variantIndex: consecutive seeds must stay distinct.
    const hashes = [await phash(first)];
    for (let seed = 4_000_000_002; seed < 4_000_000_006; seed++)
      hashes.push(await phash(await run("generate", { seed })));
    for (let i = 0; i < hashes.length; i++)
      for (let j = i + 1; j < hashes.length; j++)
        expect(hammingDistance(hashes[i] ?? "", hashes[j] ?? ""), `${i} vs ${j}`).toBeGreaterThan(6);
    // The seed drives the image, not variantIndex; a model other than the local one is refused.
    const op: ImageOp = { kind: "generate", prompt: PROMPT, variantIndex: 5, spec: { seed: 4_000_000_001 } };
    expect((await localAdapter.run(op, appEnv)).bytes).toEqual(first.bytes);
    expect((await run("generate", { seed: 1, model: LOCAL_MODEL })).report?.model).toBe(LOCAL_MODEL);
    expect((await refusal(run("generate", { seed: 1, model: "dall-e-3" }))).message).toMatch(
      /no model 'dall-e-3'/,
    );
  });

  it("makes every aspect ratio exactly, long side 1024", async () => {
    const expected = {
      "1:1": [1024, 1024],
      "4:3": [1024, 768],
      "3:4": [768, 1024],
      "3:2": [1024, 683],
      "2:3": [683, 1024],
      "16:9": [1024, 576],
      "9:16": [576, 1024],
    } as const;
    expect(Object.keys(expected).sort()).toEqual([...AspectRatios.options].sort());
    for (const aspectRatio of AspectRatios.options) {
      const [width, height] = expected[aspectRatio];
      const result = await run("generate", { seed: 3, aspectRatio });
      const png = decode(result.bytes);
      expect([png.width, png.height], aspectRatio).toEqual([width, height]);
      expect(result.report, aspectRatio).toMatchObject({ width, height, seed: 3 });
      expect(result.providerMeta, aspectRatio).toMatchObject({ width, height });
    }
  });

  it("keeps what the negative prompt names out: its colours (pixels) and shapes (composition)", async () => {
    const reddish = (img: Rgb): number => {
      let n = 0;
      for (let p = 0; p < img.width * img.height; p++) {
        const [r = 0, g = 0, b = 0] = img.rgb.subarray(p * 3, p * 3 + 3);
        if (r > 150 && r > g + 70 && r > b + 70) n++;
      }
      return n / (img.width * img.height);
    };
    const prompt = "red and blue kites";
    const plain = rgbOf((await run("generate", { seed: 9 }, undefined, prompt)).bytes);
    const withoutRed = await run("generate", { seed: 9, negativePrompt: "red, text" }, undefined, prompt);
    expect(reddish(plain)).toBeGreaterThan(0.01);
    expect(reddish(rgbOf(withoutRed.bytes))).toBe(0);
    const again = await run("generate", { seed: 9, negativePrompt: "red, text" }, undefined, prompt);
    expect(again.bytes).toEqual(withoutRed.bytes);
    const svg = renderSvg(prompt, 9, "s", { exclusions: exclusionsOf("circles, squares, stripes, no text") });
    expect(svg).not.toMatch(/<circle|<ellipse|<rect x|<text/);
    expect(svg).toContain("<polygon");
  });

  it("inpaints: black-mask pixels stay exactly, white ones are repainted, grey blends, any mask size", async () => {
    const start = photo();
    const before = rgbOf(start.bytes);
    const sky = H / 3;
    for (const m of [mask(W, H, sky), mask(W / 2, H / 2, sky / 2)]) {
      const result = await run("inpaint", { seed: 11, mask: m }, start);
      const after = rgbOf(result.bytes);
      expect([after.width, after.height]).toEqual([W, H]);
      expect(result.report).toMatchObject({ width: W, height: H, seed: 11 });
      let kept = 0;
      let changed = 0;
      for (let p = 0; p < W * H; p++) {
        if (p < sky * W) changed += same(before, p, after, p) ? 0 : 1;
        else kept += same(before, p, after, p) ? 1 : 0;
      }
      expect(kept / (W * (H - sky))).toBe(1);
      expect(changed / (W * sky)).toBeGreaterThan(0.9);
    }
    // Grey (128) lands between the start and the full repaint, pixel by pixel.
    const full = rgbOf((await run("inpaint", { seed: 11, mask: mask(W, H, sky) }, start)).bytes);
    const half = rgbOf((await run("inpaint", { seed: 11, mask: mask(W, H, sky, 128) }, start)).bytes);
    for (let i = 0; i < sky * W * 3; i++) {
      const [a = 0, b = 0, g = 0] = [before.rgb[i], full.rgb[i], half.rgb[i]];
      expect(Math.abs(g - (a + ((b - a) * 128) / 255))).toBeLessThanOrEqual(1);
    }
    // Another seed repaints differently; the kept part is the same.
    const other = rgbOf((await run("inpaint", { seed: 12, mask: mask(W, H, sky) }, start)).bytes);
    expect(distance(other, full)).toBeGreaterThan(1);
  });

  it("outpaints: the canvas grows by the margins, the original stays exactly at its offset", async () => {
    const start = photo();
    const before = rgbOf(start.bytes);
    const m = { left: 40, right: 24, top: 16, bottom: 8 };
    const result = await run("outpaint", { seed: 5, outpaint: m }, start);
    const after = rgbOf(result.bytes);
    const [cw, ch] = [W + m.left + m.right, H + m.top + m.bottom];
    expect([after.width, after.height]).toEqual([cw, ch]);
    expect(result.report).toMatchObject({ width: cw, height: ch, seed: 5 });
    let intact = 0;
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++)
        intact += same(before, y * W + x, after, (y + m.top) * cw + x + m.left) ? 1 : 0;
    expect(intact).toBe(W * H);
    // The new area continues the edges: next to the sky it is sky-coloured, and it is not flat.
    const at = (img: Rgb, x: number, y: number) =>
      Array.from(img.rgb.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3));
    const edge = at(before, 0, 10);
    const beside = at(after, m.left - 1, m.top + 10);
    expect(Math.max(...beside.map((v, c) => Math.abs(v - (edge[c] ?? 0))))).toBeLessThan(30);
    const flat = { ...after, rgb: new Uint8Array(after.rgb.length).fill(after.rgb[0] ?? 0) };
    expect(distance(after, flat)).toBeGreaterThan(5);
    // An aspect ratio without margins grows the canvas to it, centred.
    const wide = await run("outpaint", { seed: 5, aspectRatio: "16:9" }, start);
    expect(decode(wide.bytes)).toMatchObject({ width: 341, height: 192 });
    // Over 8192 px per side, or over the in-memory budget: refused, not retried.
    const tooWide = await refusal(
      run("outpaint", { seed: 5, outpaint: { left: 8000, right: 0, top: 0, bottom: 0 } }, start),
    );
    expect(tooWide.message).toBe(
      "local provider: outpaint result 8256×192 exceeds 8192 px per side; ask for a smaller one",
    );
    const tooMany = await refusal(
      run("outpaint", { seed: 5, outpaint: { left: 0, right: 0, top: 8000, bottom: 0 } }, photo(600, 40)),
    );
    expect(tooMany.message).toMatch(
      /^local provider: the outpaint result is 600×8040; the local provider works on at most 4 MP/,
    );
  });

  it("upscales ×2 and ×4 by interpolation (not a copy) and refuses above 8192 px per side", async () => {
    const start = photo();
    const before = rgbOf(start.bytes);
    for (const factor of [2, 4] as const) {
      const result = await run("upscale", { seed: 1, upscale: { factor } }, start);
      const big = rgbOf(result.bytes);
      expect([big.width, big.height]).toEqual([W * factor, H * factor]);
      expect(result.report).toMatchObject({ width: W * factor, height: H * factor });
      // Box-averaged back to the start's size: close to it, but not its bytes.
      const small = new Uint8Array(W * H * 3);
      for (let y = 0; y < H; y++)
        for (let x = 0; x < W; x++)
          for (let c = 0; c < 3; c++) {
            let sum = 0;
            for (let dy = 0; dy < factor; dy++)
              for (let dx = 0; dx < factor; dx++)
                sum += big.rgb[((y * factor + dy) * big.width + x * factor + dx) * 3 + c] ?? 0;
            small[(y * W + x) * 3 + c] = Math.round(sum / factor / factor);
          }
      const back = { width: W, height: H, rgb: small };
      expect(distance(back, before)).toBeLessThan(4);
      expect(distance(back, before)).toBeGreaterThan(0);
      // Interpolated: most factor×factor blocks are not one repeated pixel.
      let flat = 0;
      for (let p = 0; p < W * H; p++) {
        const [x, y] = [(p % W) * factor, Math.floor(p / W) * factor];
        flat += same(big, y * big.width + x, big, (y + factor - 1) * big.width + x + factor - 1) ? 1 : 0;
      }
      expect(flat / (W * H)).toBeLessThan(0.5);
    }
    const error = await refusal(run("upscale", { seed: 1, upscale: { factor: 4 } }, photo(2100, 8)));
    expect(error.message).toBe(
      "local provider: upscale ×4 result 8400×32 exceeds 8192 px per side; ask for a smaller one",
    );
  });

  it("orders edit and variation by strength: 0 is the start, 1 is farthest; both keep the start's size", async () => {
    const start = photo();
    const before = rgbOf(start.bytes);
    const jpeg = await appEnv.IMAGES.input(new Blob([start.bytes]).stream()).output({ format: "image/jpeg" });
    const jpegStart = {
      bytes: new Uint8Array(await new Response(jpeg.image()).arrayBuffer()),
      contentType: "image/jpeg",
    };
    for (const kind of ["edit", "variation"] as const) {
      const d: number[] = [];
      for (const strength of [0, 0.5, 1]) {
        const result = await run(kind, { seed: 21, strength }, start);
        const after = rgbOf(result.bytes);
        expect([after.width, after.height], kind).toEqual([W, H]);
        d.push(distance(after, before));
      }
      expect(d[0], kind).toBe(0);
      expect(d[1], kind).toBeGreaterThan(3);
      expect(d[2], kind).toBeGreaterThan((d[1] ?? 0) + 3);
      // Any start type is read as pixels: a JPEG start at strength 0 comes back as its decoded pixels.
      const fromJpeg = rgbOf((await run(kind, { seed: 21, strength: 0 }, jpegStart)).bytes);
      expect([fromJpeg.width, fromJpeg.height], kind).toEqual([W, H]);
      expect(distance(fromJpeg, before), kind).toBeLessThan(4);
      const seeded = rgbOf((await run(kind, { seed: 22, strength: 0.5 }, start)).bytes);
      const same21 = rgbOf((await run(kind, { seed: 21, strength: 0.5 }, start)).bytes);
      expect(distance(seeded, same21), kind).toBeGreaterThan(1);
    }
  });
});
