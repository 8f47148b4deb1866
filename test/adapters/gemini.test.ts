/** The live Gemini adapter against the loopback provider stub: request shapes, results and every fault. */
import { env } from "cloudflare:workers";
import { decode, encode } from "fast-png";
import { afterEach, describe, expect, inject, it, vi } from "vitest";
import { z } from "zod";
import { GEMINI_DEFAULT_MODEL, geminiAdapter } from "../../src/adapters/gemini/gemini.adapter";
import type { GenerationSpec, MaskImage } from "../../src/adapters/params";
import { type ImageOp, ProviderError } from "../../src/adapters/provider.types";
import { ProviderRateLimitError } from "../../src/adapters/provider-errors";
import type { AppEnv } from "../../src/lib/env";

afterEach(() => {
  vi.restoreAllMocks();
});

const STUB = `http://127.0.0.1:${inject("providerStubPort")}`;
const KEY = "AIzaTestSecretKey0123456789";

const PartSchema = z.object({
  text: z.string().optional(),
  inlineData: z.object({ mimeType: z.string(), data: z.string() }).optional(),
});
const RecordedSchema = z.array(
  z.object({
    method: z.string(),
    path: z.string(),
    headers: z.record(z.string(), z.string()),
    json: z.object({
      contents: z.array(z.object({ role: z.string(), parts: z.array(PartSchema) })),
      generationConfig: z
        .object({
          responseModalities: z.array(z.string()),
          seed: z.number().optional(),
          imageConfig: z.object({ aspectRatio: z.string() }).optional(),
        })
        .strict()
        .optional(),
    }),
  }),
);

function liveEnv(extra: Partial<AppEnv> = {}): AppEnv {
  return { ...(env as unknown as AppEnv), GEMINI_API_KEY: KEY, GEMINI_BASE_URL: STUB, ...extra };
}

function tagged(text: string, ...markers: string[]): { tag: string; prompt: string } {
  const tag = crypto.randomUUID();
  return { tag, prompt: [text, `[tag:${tag}]`, ...markers].join(" ") };
}

async function recorded(tag: string) {
  return RecordedSchema.parse(await (await fetch(`${STUB}/__requests?tag=${tag}`)).json());
}

async function stubPng(): Promise<{ bytes: Uint8Array; base64: string }> {
  const { base64 } = z.object({ base64: z.string() }).parse(await (await fetch(`${STUB}/__png`)).json());
  return { base64, bytes: Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)) };
}

async function failure(run: Promise<unknown>): Promise<ProviderError> {
  try {
    await run;
  } catch (error) {
    if (error instanceof ProviderError) {
      expect(error.message).not.toContain(KEY);
      expect(error.message).not.toContain("AIza");
      return error;
    }
    throw error;
  }
  throw new Error("expected a ProviderError");
}

const op = (prompt: string, extra: Partial<ImageOp> = {}): ImageOp => ({
  kind: "generate",
  prompt,
  variantIndex: 0,
  ...extra,
});

describe("gemini adapter: requests and results", () => {
  it("generates with generateContent and returns the first inlineData image, text as notes", async () => {
    const { tag, prompt } = tagged("a teal lighthouse at dusk");
    const result = await geminiAdapter.run(op(prompt), liveEnv());
    expect(result.contentType).toBe("image/png");
    expect(result.bytes).toEqual((await stubPng()).bytes);
    expect(result.providerMeta).toEqual({
      mode: "live",
      model: GEMINI_DEFAULT_MODEL,
      latencyMs: expect.any(Number),
      notes: "Here is your image.",
    });

    const [request, ...more] = await recorded(tag);
    expect(more).toEqual([]);
    expect(request?.method).toBe("POST");
    expect(request?.path).toBe("/v1beta/models/gemini-2.5-flash-image:generateContent");
    expect(request?.headers["x-goog-api-key"]).toBe(KEY);
    expect(request?.json.contents).toEqual([{ role: "user", parts: [{ text: prompt }] }]);
    expect(request?.json.generationConfig?.responseModalities).toEqual(["TEXT", "IMAGE"]);
  });

  it("uses GEMINI_IMAGE_MODEL", async () => {
    const { tag, prompt } = tagged("a harbour in fog");
    const result = await geminiAdapter.run(
      op(prompt),
      liveEnv({ GEMINI_IMAGE_MODEL: "gemini-3-pro-image-preview" }),
    );
    expect(result.providerMeta.model).toBe("gemini-3-pro-image-preview");
    expect((await recorded(tag))[0]?.path).toBe("/v1beta/models/gemini-3-pro-image-preview:generateContent");
  });

  it("edits with the start image as inlineData before the instruction", async () => {
    const start = await stubPng();
    for (const [kind, instruction] of [
      ["edit", "Edit this image"],
      ["variation", "Make a variation of this image, keeping its subject and composition"],
    ] as const) {
      const { tag, prompt } = tagged(`${kind}: make the sky gold`);
      const result = await geminiAdapter.run(
        op(prompt, { kind, startImage: { bytes: start.bytes, contentType: "image/png" } }),
        liveEnv(),
      );
      expect(result.contentType).toBe("image/png");
      const [request] = await recorded(tag);
      expect(request?.json.contents).toEqual([
        {
          role: "user",
          parts: [
            { inlineData: { mimeType: "image/png", data: start.base64 } },
            { text: `${instruction}: ${prompt}` },
          ],
        },
      ]);
    }
  });
});

describe("gemini adapter: refusals before any request", () => {
  it("is not configured without GEMINI_API_KEY (the exact text jobs show)", async () => {
    const error = await failure(geminiAdapter.run(op("x"), liveEnv({ GEMINI_API_KEY: undefined })));
    expect(error).toMatchObject({
      retryable: false,
      message: "gemini is not configured: set GEMINI_API_KEY",
    });
  });

  it("does not support upscale; edit kinds need a readable start image", async () => {
    expect(geminiAdapter.supports).not.toContain("upscale");
    const { tag, prompt } = tagged("x");
    const upscale = await failure(geminiAdapter.run(op(prompt, { kind: "upscale" }), liveEnv()));
    expect(upscale).toMatchObject({ retryable: false, message: "gemini does not support upscale" });
    const missing = await failure(geminiAdapter.run(op(prompt, { kind: "inpaint" }), liveEnv()));
    expect(missing).toMatchObject({ retryable: false, message: "gemini: inpaint needs a start image" });
    const garbage = { bytes: new TextEncoder().encode("not an image"), contentType: "image/png" };
    const unreadable = await failure(
      geminiAdapter.run(op(prompt, { kind: "edit", startImage: garbage }), liveEnv()),
    );
    expect(unreadable).toMatchObject({
      retryable: false,
      message: "gemini: the start image is not a PNG, JPEG, WebP or GIF image",
    });
    expect(await recorded(tag)).toEqual([]);
  });
});

describe("gemini adapter: faults", () => {
  it("429 is retryable and carries Retry-After; the next call succeeds", async () => {
    const { prompt } = tagged("busy", `[fault:429-once:${crypto.randomUUID()}]`);
    const error = await failure(geminiAdapter.run(op(prompt), liveEnv()));
    expect(error).toBeInstanceOf(ProviderRateLimitError);
    expect(error).toMatchObject({ retryable: true, status: 429, retryAfterSeconds: 1 });
    expect(error.message).toBe(
      "gemini rate limited the request (HTTP 429; retry after 1 s): Rate limit reached for images per minute.",
    );
    expect((await geminiAdapter.run(op(prompt), liveEnv())).contentType).toBe("image/png");
  });

  it("500 is retryable", async () => {
    const error = await failure(geminiAdapter.run(op(tagged("x", "[fault:500]").prompt), liveEnv()));
    expect(error).toMatchObject({ retryable: true, status: 500 });
    expect(error.message).toBe(
      "gemini failed with HTTP 500: The server had an error while processing your request.",
    );
  });

  it("a hanging call ends at PROVIDER_TIMEOUT_MS, retryable", async () => {
    const started = Date.now();
    const error = await failure(
      geminiAdapter.run(op(tagged("x", "[fault:hang]").prompt), liveEnv({ PROVIDER_TIMEOUT_MS: "300" })),
    );
    expect(error).toMatchObject({ retryable: true, message: "gemini did not answer within 300 ms" });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("malformed JSON and a response without an image are not retryable", async () => {
    const malformed = await failure(
      geminiAdapter.run(op(tagged("x", "[fault:malformed]").prompt), liveEnv()),
    );
    expect(malformed).toMatchObject({ retryable: false, message: "gemini returned malformed JSON" });
    const empty = await failure(geminiAdapter.run(op(tagged("x", "[fault:noimage]").prompt), liveEnv()));
    expect(empty).toMatchObject({ retryable: false, message: "gemini returned no image" });
  });

  it("401 and 400 are not retryable, and the key the upstream echoes is scrubbed", async () => {
    const denied = await failure(geminiAdapter.run(op(tagged("x", "[fault:401]").prompt), liveEnv()));
    expect(denied).toMatchObject({ retryable: false, status: 401 });
    expect(denied.message).toBe(
      "gemini rejected the credentials (HTTP 401): Incorrect API key provided: [redacted].",
    );
    const invalid = await failure(geminiAdapter.run(op(tagged("x", "[fault:400]").prompt), liveEnv()));
    expect(invalid).toMatchObject({ retryable: false, status: 400 });
    expect(invalid.message).toMatch(
      /^gemini rejected the request \(HTTP 400\): Invalid request \(key \[redacted\]\)/,
    );
  });

  it("an unreachable host is retryable", async () => {
    // What the runtime's fetch answers for a refused connection (a real one makes workerd print a stack).
    vi.spyOn(globalThis, "fetch").mockRejectedValue(new TypeError("Network connection lost."));
    const error = await failure(
      geminiAdapter.run(op("x"), liveEnv({ GEMINI_BASE_URL: "http://127.0.0.1:1" })),
    );
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/^gemini could not be reached/);
  });
});

const USAGE = { promptTokenCount: 12, candidatesTokenCount: 1290, totalTokenCount: 1302 };
const spec = (extra: Partial<GenerationSpec> = {}): GenerationSpec => ({ seed: 42, ...extra });

/** A house mask (white = repaint, black = keep), as an RGB PNG. */
function houseMask(width: number, height: number, repaint: (x: number, y: number) => boolean): MaskImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++)
      data.fill(repaint(x, y) ? 255 : 0, (y * width + x) * 3, (y * width + x) * 3 + 3);
  }
  return { bytes: encode({ width, height, data, channels: 3, depth: 8 }), contentType: "image/png" };
}

const decodeBase64Png = (base64: string | undefined) =>
  decode(Uint8Array.from(atob(base64 ?? ""), (c) => c.charCodeAt(0)));

describe("gemini adapter: generation parameters", () => {
  it("declares what it honours, its models and sizes", () => {
    expect(geminiAdapter.capabilities).toEqual({
      parameters: {
        aspectRatio: "native",
        seed: "native",
        negativePrompt: "approximate",
        strength: "approximate",
        model: "native",
        mask: "unsupported",
        outpaint: "approximate",
        upscale: "unsupported",
      },
      models: ["gemini-2.5-flash-image", "gemini-3-pro-image-preview", "gemini-3.1-flash-image-preview"],
      sizes: ["1024x1024", "832x1248", "1248x832", "864x1184", "1184x864", "768x1344", "1344x768"],
    });
  });

  it("reports size, model and usage without parameters: no seed sent, nothing approximated", async () => {
    const { tag, prompt } = tagged("a plain call");
    const result = await geminiAdapter.run(op(prompt), liveEnv());
    expect((await recorded(tag))[0]?.json.generationConfig).toEqual({
      responseModalities: ["TEXT", "IMAGE"],
    });
    expect(result.report).toEqual({
      width: 16,
      height: 16,
      seed: null,
      model: GEMINI_DEFAULT_MODEL,
      usage: USAGE,
      warnings: [],
    });
  });

  it("sends imageConfig.aspectRatio and seed natively, the model chosen, the negative prompt as words", async () => {
    const { tag, prompt } = tagged("a wide valley");
    const result = await geminiAdapter.run(
      op(prompt, {
        spec: spec({
          aspectRatio: "16:9",
          seed: 1234,
          model: "gemini-3-pro-image-preview",
          negativePrompt: "text",
        }),
      }),
      liveEnv(),
    );
    const [request] = await recorded(tag);
    expect(request?.path).toBe("/v1beta/models/gemini-3-pro-image-preview:generateContent");
    expect(request?.json.generationConfig).toEqual({
      responseModalities: ["TEXT", "IMAGE"],
      seed: 1234,
      imageConfig: { aspectRatio: "16:9" },
    });
    expect(request?.json.contents).toEqual([{ role: "user", parts: [{ text: `${prompt}\n\nAvoid: text` }] }]);
    expect(result.report).toEqual({
      width: 16,
      height: 16,
      seed: 1234,
      model: "gemini-3-pro-image-preview",
      usage: USAGE,
      warnings: [
        {
          provider: "gemini",
          parameter: "negativePrompt",
          message: 'gemini has no negative prompt: "Avoid: text" was added to the prompt',
        },
      ],
    });
  });

  it("a seed past the signed 32-bit range goes modulo 2^31, reported and said", async () => {
    const { tag, prompt } = tagged("big seed");
    const result = await geminiAdapter.run(op(prompt, { spec: spec({ seed: 4_000_000_000 }) }), liveEnv());
    expect((await recorded(tag))[0]?.json.generationConfig?.seed).toBe(1_852_516_352);
    expect(result.report?.seed).toBe(1_852_516_352);
    expect(result.report?.warnings).toEqual([
      {
        provider: "gemini",
        parameter: "seed",
        message:
          "gemini takes a signed 32-bit seed: 4000000000 was sent as 1852516352 (the seed modulo 2^31)",
      },
    ]);
  });

  it("refuses a mask without calling Gemini: it has no mask input", async () => {
    const start = await stubPng();
    const mask = houseMask(8, 8, (_x, y) => y >= 4);
    const { tag, prompt } = tagged("a pond");
    const refused = await failure(
      geminiAdapter.run(
        op(prompt, {
          kind: "inpaint",
          startImage: { bytes: start.bytes, contentType: "image/png" },
          spec: spec({ mask }),
        }),
        liveEnv(),
      ),
    );
    expect(refused).toMatchObject({
      retryable: false,
      message: "gemini has no mask input: inpaint with openai, workers or local",
    });
    expect(await recorded(tag)).toEqual([]);
  });

  it("outpaint sends a padded canvas and its mask, at the nearest aspect ratio Gemini has", async () => {
    const start = await stubPng();
    const { tag, prompt } = tagged("more sky");
    const result = await geminiAdapter.run(
      op(prompt, {
        kind: "outpaint",
        startImage: { bytes: start.bytes, contentType: "image/png" },
        // The door turns aspectRatio into margins for outpaint; the margins rule here.
        spec: spec({ aspectRatio: "1:1", outpaint: { left: 0, right: 0, top: 8, bottom: 8 } }),
      }),
      liveEnv(),
    );
    const [request] = await recorded(tag);
    expect(request?.json.generationConfig).toEqual({
      responseModalities: ["TEXT", "IMAGE"],
      seed: 42,
      imageConfig: { aspectRatio: "9:16" }, // the 16×32 canvas is 1:2
    });
    const parts = request?.json.contents[0]?.parts ?? [];
    const canvas = decodeBase64Png(parts[0]?.inlineData?.data);
    const mask = decodeBase64Png(parts[1]?.inlineData?.data);
    expect([canvas.width, canvas.height, mask.width, mask.height]).toEqual([16, 32, 16, 32]);
    for (let y = 0; y < 32; y++) {
      const margin = y < 8 || y >= 24;
      expect(mask.data[y * 16 + 5], `mask row ${y}`).toBe(margin ? 255 : 0);
      expect(canvas.data[(y * 16 + 5) * 4 + 3], `canvas alpha row ${y}`).toBe(margin ? 0 : 255);
    }
    expect(result.report?.warnings?.[0]).toEqual({
      provider: "gemini",
      parameter: "outpaint",
      message:
        "gemini has no outpaint: the start image went on a 16x32 canvas (empty margins left 0, right 0, top 8, bottom 8) with a mask of the margins as a second image, asked at aspect ratio 9:16, the nearest to the canvas",
    });
  });

  it("strength becomes an instruction on edits; a model it does not offer is refused before any request", async () => {
    const start = await stubPng();
    const { tag, prompt } = tagged("closer");
    await geminiAdapter.run(
      op(prompt, {
        kind: "edit",
        startImage: { bytes: start.bytes, contentType: "image/png" },
        spec: spec({ strength: 0.1 }),
      }),
      liveEnv(),
    );
    const parts = (await recorded(tag))[0]?.json.contents[0]?.parts ?? [];
    expect(parts[1]?.text).toBe(
      `Edit this image: ${prompt}\n\nStay close to the original image: change only what the request needs.`,
    );
    const other = tagged("x");
    const error = await failure(
      geminiAdapter.run(op(other.prompt, { spec: spec({ model: "imagen-9" }) }), liveEnv()),
    );
    expect(error).toMatchObject({
      retryable: false,
      message: expect.stringMatching(/^gemini has no model 'imagen-9'/),
    });
    expect(await recorded(other.tag)).toEqual([]);
  });
});
