/** The live OpenAI adapter against the loopback provider stub: request shapes, results and every fault. */
import { env } from "cloudflare:workers";
import { decode, encode } from "fast-png";
import { afterEach, describe, expect, inject, it, vi } from "vitest";
import { z } from "zod";
import { OPENAI_DEFAULT_MODEL, openaiAdapter } from "../../src/adapters/openai/openai.adapter";
import type { GenerationSpec, MaskImage } from "../../src/adapters/params";
import { type ImageOp, ProviderError } from "../../src/adapters/provider.types";
import { ProviderRateLimitError } from "../../src/adapters/provider-errors";
import type { AppEnv } from "../../src/lib/env";

afterEach(() => {
  vi.restoreAllMocks();
});

const STUB = `http://127.0.0.1:${inject("providerStubPort")}`;
const KEY = "sk-test-secret";

const RecordedSchema = z.array(
  z.object({
    method: z.string(),
    path: z.string(),
    headers: z.record(z.string(), z.string()),
    json: z.record(z.string(), z.unknown()).optional(),
    fields: z
      .array(
        z.object({
          name: z.string(),
          size: z.number(),
          filename: z.string().optional(),
          contentType: z.string().optional(),
          value: z.string().optional(),
          base64: z.string().optional(),
        }),
      )
      .optional(),
  }),
);

function liveEnv(extra: Partial<AppEnv> = {}): AppEnv {
  return { ...(env as unknown as AppEnv), OPENAI_API_KEY: KEY, OPENAI_BASE_URL: `${STUB}/v1`, ...extra };
}

/** A prompt labelled for `/__requests?tag=`, with optional faults. */
function tagged(text: string, ...markers: string[]): { tag: string; prompt: string } {
  const tag = crypto.randomUUID();
  return { tag, prompt: [text, `[tag:${tag}]`, ...markers].join(" ") };
}

async function recorded(tag: string) {
  return RecordedSchema.parse(await (await fetch(`${STUB}/__requests?tag=${tag}`)).json());
}

async function stubPng(): Promise<Uint8Array> {
  const { base64 } = z.object({ base64: z.string() }).parse(await (await fetch(`${STUB}/__png`)).json());
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

async function failure(run: Promise<unknown>): Promise<ProviderError> {
  try {
    await run;
  } catch (error) {
    if (error instanceof ProviderError) {
      expect(error.message).not.toContain(KEY);
      expect(error.message).not.toContain("sk-test");
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

describe("openai adapter: requests and results", () => {
  it("generates with images.generate and returns the PNG with live metadata", async () => {
    const { tag, prompt } = tagged("a teal lighthouse at dusk");
    const result = await openaiAdapter.run(op(prompt), liveEnv());
    expect(result.contentType).toBe("image/png");
    expect(result.bytes).toEqual(await stubPng());
    expect(result.providerMeta).toEqual({
      mode: "live",
      model: OPENAI_DEFAULT_MODEL,
      latencyMs: expect.any(Number),
    });

    const [request, ...more] = await recorded(tag);
    expect(more).toEqual([]);
    expect(request?.method).toBe("POST");
    expect(request?.path).toBe("/v1/images/generations");
    expect(request?.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(request?.json).toEqual({ model: "gpt-image-1", prompt, size: "1024x1024", n: 1 });
  });

  it("asks dall-e models for b64_json and reports their revised prompt", async () => {
    const { tag, prompt } = tagged("a harbour in fog");
    const result = await openaiAdapter.run(op(prompt), liveEnv({ OPENAI_IMAGE_MODEL: "dall-e-3" }));
    expect(result.providerMeta).toMatchObject({ model: "dall-e-3", revisedPrompt: `${prompt} (revised)` });
    const [request] = await recorded(tag);
    expect(request?.json).toMatchObject({ model: "dall-e-3", response_format: "b64_json" });
  });

  it("edits with images.edit: the start image as a multipart file, the kind in the prompt", async () => {
    const start = await stubPng();
    const { tag, prompt } = tagged("make the sky gold");
    const result = await openaiAdapter.run(
      op(prompt, { kind: "edit", startImage: { bytes: start, contentType: "image/png" } }),
      liveEnv(),
    );
    expect(result.contentType).toBe("image/png");
    const [request] = await recorded(tag);
    expect(request?.path).toBe("/v1/images/edits");
    expect(request?.headers["content-type"]).toMatch(/^multipart\/form-data; boundary=/);
    const fields = new Map((request?.fields ?? []).map((f) => [f.name, f]));
    expect(fields.get("image")).toMatchObject({
      filename: "start.png",
      contentType: "image/png",
      size: start.length,
    });
    expect(fields.get("prompt")?.value).toBe(`Edit this image: ${prompt}`);
    expect(fields.get("model")?.value).toBe("gpt-image-1");
    expect(fields.get("size")?.value).toBe("1024x1024");
    expect(fields.has("mask")).toBe(false);
  });

  it("sends inpaint, outpaint and variation as edits, without a mask (ops carry none)", async () => {
    const start = await stubPng();
    for (const kind of ["inpaint", "outpaint", "variation"] as const) {
      const { tag, prompt } = tagged(`${kind} a boat`);
      await openaiAdapter.run(
        op(prompt, { kind, startImage: { bytes: start, contentType: "image/png" } }),
        liveEnv(),
      );
      const [request] = await recorded(tag);
      expect(request?.path).toBe("/v1/images/edits");
      expect(request?.fields?.map((f) => f.name).sort()).toEqual(["image", "model", "n", "prompt", "size"]);
    }
  });
});

describe("openai adapter: refusals before any request", () => {
  it("is not configured without OPENAI_API_KEY (the exact text jobs show)", async () => {
    for (const key of [undefined, "", "   "]) {
      const error = await failure(openaiAdapter.run(op("x"), liveEnv({ OPENAI_API_KEY: key })));
      expect(error.message).toBe("openai is not configured: set OPENAI_API_KEY");
      expect(error.retryable).toBe(false);
    }
  });

  it("is misconfigured with a bad base URL or timeout", async () => {
    const url = await failure(openaiAdapter.run(op("x"), liveEnv({ OPENAI_BASE_URL: "ftp://example" })));
    expect(url).toMatchObject({
      retryable: false,
      message: "openai is misconfigured: OPENAI_BASE_URL must be an http(s) URL",
    });
    const timeout = await failure(openaiAdapter.run(op("x"), liveEnv({ PROVIDER_TIMEOUT_MS: "soon" })));
    expect(timeout.retryable).toBe(false);
    expect(timeout.message).toMatch(/^openai is misconfigured: PROVIDER_TIMEOUT_MS/);
  });

  it("does not support upscale, and edit kinds need a start image", async () => {
    expect(openaiAdapter.supports).not.toContain("upscale");
    const { tag, prompt } = tagged("bigger");
    const upscale = await failure(openaiAdapter.run(op(prompt, { kind: "upscale" }), liveEnv()));
    expect(upscale).toMatchObject({ retryable: false, message: "openai does not support upscale" });
    const edit = await failure(openaiAdapter.run(op(prompt, { kind: "edit" }), liveEnv()));
    expect(edit).toMatchObject({ retryable: false, message: "openai: edit needs a start image" });
    expect(await recorded(tag)).toEqual([]);
  });
});

describe("openai adapter: faults", () => {
  it("429 is retryable and carries Retry-After; the next call succeeds", async () => {
    const { prompt } = tagged("busy", `[fault:429-once:${crypto.randomUUID()}]`);
    const error = await failure(openaiAdapter.run(op(prompt), liveEnv()));
    expect(error).toBeInstanceOf(ProviderRateLimitError);
    expect(error).toMatchObject({ retryable: true, status: 429, retryAfterSeconds: 1 });
    expect(error.message).toBe(
      "openai rate limited the request (HTTP 429; retry after 1 s): Rate limit reached for images per minute.",
    );
    const second = await openaiAdapter.run(op(prompt), liveEnv());
    expect(second.contentType).toBe("image/png");
  });

  it("500 is retryable", async () => {
    const error = await failure(openaiAdapter.run(op(tagged("x", "[fault:500]").prompt), liveEnv()));
    expect(error).toMatchObject({ retryable: true, status: 500 });
    expect(error.message).toBe(
      "openai failed with HTTP 500: The server had an error while processing your request.",
    );
  });

  it("a hanging call ends at PROVIDER_TIMEOUT_MS, retryable", async () => {
    const started = Date.now();
    const error = await failure(
      openaiAdapter.run(op(tagged("x", "[fault:hang]").prompt), liveEnv({ PROVIDER_TIMEOUT_MS: "300" })),
    );
    expect(error).toMatchObject({ retryable: true, message: "openai did not answer within 300 ms" });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("an unreachable host is retryable", async () => {
    // What the runtime's fetch answers for a refused connection (a real one makes workerd print a stack).
    vi.spyOn(globalThis, "fetch").mockRejectedValue(new TypeError("Network connection lost."));
    const error = await failure(
      openaiAdapter.run(op("x"), liveEnv({ OPENAI_BASE_URL: "http://127.0.0.1:1/v1" })),
    );
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/^openai could not be reached/);
  });

  it("malformed JSON and a response without an image are not retryable", async () => {
    const malformed = await failure(
      openaiAdapter.run(op(tagged("x", "[fault:malformed]").prompt), liveEnv()),
    );
    expect(malformed).toMatchObject({ retryable: false, message: "openai returned malformed JSON" });
    const empty = await failure(openaiAdapter.run(op(tagged("x", "[fault:noimage]").prompt), liveEnv()));
    expect(empty).toMatchObject({ retryable: false, message: "openai returned no image" });
  });

  it("401 and 400 are not retryable, and the key the upstream echoes is scrubbed", async () => {
    const denied = await failure(openaiAdapter.run(op(tagged("x", "[fault:401]").prompt), liveEnv()));
    expect(denied).toMatchObject({ retryable: false, status: 401 });
    expect(denied.message).toBe(
      "openai rejected the credentials (HTTP 401): Incorrect API key provided: [redacted].",
    );
    const invalid = await failure(openaiAdapter.run(op(tagged("x", "[fault:400]").prompt), liveEnv()));
    expect(invalid).toMatchObject({ retryable: false, status: 400 });
    expect(invalid.message).toMatch(
      /^openai rejected the request \(HTTP 400\): Invalid request \(key \[redacted\]\)/,
    );
  });

  it("scrubs a key without a recognisable prefix too", async () => {
    const key = "plainsecretvalue123";
    const error = await failure(
      openaiAdapter.run(op(tagged("x", "[fault:401]").prompt), liveEnv({ OPENAI_API_KEY: key })),
    );
    expect(error.message).not.toContain(key);
  });
});

/** A PNG made here: `pixel(x, y)` gives RGBA. */
function makePng(width: number, height: number, pixel: (x: number, y: number) => number[]): Uint8Array {
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set(pixel(x, y), (y * width + x) * 4);
  return encode({ width, height, data, channels: 4, depth: 8 });
}

/** A house mask (white = repaint, black = keep), as an RGB PNG. */
function houseMask(width: number, height: number, repaint: (x: number, y: number) => boolean): MaskImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++)
      data.fill(repaint(x, y) ? 255 : 0, (y * width + x) * 3, (y * width + x) * 3 + 3);
  }
  return { bytes: encode({ width, height, data, channels: 3, depth: 8 }), contentType: "image/png" };
}

/** The RGBA pixels of a PNG file a request carried. */
function sentPng(base64: string | undefined): {
  width: number;
  height: number;
  alpha: (x: number, y: number) => number;
  rgba: (x: number, y: number) => number[];
} {
  const png = decode(Uint8Array.from(atob(base64 ?? ""), (c) => c.charCodeAt(0)));
  expect(png.channels).toBe(4);
  const at = (x: number, y: number) => (y * png.width + x) * 4;
  return {
    width: png.width,
    height: png.height,
    alpha: (x, y) => png.data[at(x, y) + 3] ?? -1,
    rgba: (x, y) => Array.from(png.data.subarray(at(x, y), at(x, y) + 4)),
  };
}

const USAGE = {
  input_tokens: 50,
  input_tokens_details: { image_tokens: 40, text_tokens: 10 },
  output_tokens: 4160,
  total_tokens: 4210,
};
const SEED_WARNING = (seed: number) => ({
  provider: "openai",
  parameter: "seed",
  message: `openai takes no seed: seed ${seed} was not sent, so this image cannot be reproduced from it`,
});
const spec = (extra: Partial<GenerationSpec> = {}): GenerationSpec => ({ seed: 42, ...extra });

describe("openai adapter: generation parameters", () => {
  it("declares what it honours, its models and sizes", () => {
    expect(openaiAdapter.capabilities).toEqual({
      parameters: {
        aspectRatio: "approximate",
        seed: "approximate",
        negativePrompt: "approximate",
        strength: "approximate",
        model: "native",
        mask: "native",
        outpaint: "approximate",
        upscale: "unsupported",
      },
      models: ["gpt-image-1", "gpt-image-1-mini", "gpt-image-1.5"],
      sizes: ["1024x1024", "1536x1024", "1024x1536"],
    });
  });

  it("reports size, seed, model and usage without parameters, and warns of nothing", async () => {
    const { prompt } = tagged("a plain call");
    const result = await openaiAdapter.run(op(prompt), liveEnv());
    expect(result.report).toEqual({
      width: 16,
      height: 16,
      seed: null,
      model: "gpt-image-1",
      usage: USAGE,
      warnings: [],
    });
  });

  it("16:9 goes as the nearest size 1536x1024, with the chosen model and the negative prompt folded in", async () => {
    const { tag, prompt } = tagged("a wide valley");
    const result = await openaiAdapter.run(
      op(prompt, {
        spec: spec({ aspectRatio: "16:9", model: "gpt-image-1-mini", negativePrompt: "text, watermark" }),
      }),
      liveEnv(),
    );
    const [request] = await recorded(tag);
    expect(request?.json).toEqual({
      model: "gpt-image-1-mini",
      prompt: `${prompt}\n\nAvoid: text, watermark`,
      size: "1536x1024",
      n: 1,
    });
    expect(result.providerMeta.model).toBe("gpt-image-1-mini");
    // The size is read from the returned image's header (the stub answers 16×16), not echoed from the request.
    expect(result.report).toEqual({
      width: 16,
      height: 16,
      seed: null,
      model: "gpt-image-1-mini",
      usage: USAGE,
      warnings: [
        {
          provider: "openai",
          parameter: "aspectRatio",
          message:
            "openai makes 1024x1024, 1536x1024, 1024x1536 only: 16:9 was sent as 1536x1024, the nearest",
        },
        SEED_WARNING(42),
        {
          provider: "openai",
          parameter: "negativePrompt",
          message: 'openai has no negative prompt: "Avoid: text, watermark" was added to the prompt',
        },
      ],
    });
  });

  it("1:1, 3:2 and 2:3 are its own sizes (no aspect warning); 3:4 and 9:16 go portrait", async () => {
    const cases = [
      ["1:1", "1024x1024", false],
      ["3:2", "1536x1024", false],
      ["2:3", "1024x1536", false],
      ["3:4", "1024x1536", true],
      ["9:16", "1024x1536", true],
      ["4:3", "1536x1024", true],
    ] as const;
    for (const [aspectRatio, size, approximated] of cases) {
      const { tag, prompt } = tagged(`shape ${aspectRatio}`);
      const result = await openaiAdapter.run(op(prompt, { spec: spec({ aspectRatio, seed: 7 }) }), liveEnv());
      expect((await recorded(tag))[0]?.json).toMatchObject({ size });
      const parameters = result.report?.warnings?.map((w) => w.parameter);
      expect(parameters).toEqual(approximated ? ["aspectRatio", "seed"] : ["seed"]);
    }
  });

  it("inpaint sends the start image and an alpha mask: transparent exactly where the house mask is white", async () => {
    const start = makePng(32, 24, (x, y) => [x * 8, y * 8, 100, 255]);
    // Half the start image's size: scaled up to 32×24 on the way. White = the left 8 of 16 columns.
    const mask = houseMask(16, 12, (x) => x < 8);
    const { tag, prompt } = tagged("a red door");
    const result = await openaiAdapter.run(
      op(prompt, {
        kind: "inpaint",
        startImage: { bytes: start, contentType: "image/png" },
        spec: spec({ mask }),
      }),
      liveEnv(),
    );
    const [request] = await recorded(tag);
    expect(request?.path).toBe("/v1/images/edits");
    const fields = new Map((request?.fields ?? []).map((f) => [f.name, f]));
    expect(fields.get("image")).toMatchObject({
      filename: "start.png",
      contentType: "image/png",
      size: start.length,
    });
    expect(fields.get("mask")).toMatchObject({ filename: "mask.png", contentType: "image/png" });
    expect(fields.get("prompt")?.value).toBe(
      `Repaint the masked area of this image, keeping everything else unchanged: ${prompt}`,
    );
    expect(fields.get("size")?.value).toBe("1536x1024"); // the start image's 4:3, nearest
    expect(fields.has("input_fidelity")).toBe(false);

    const sent = sentPng(fields.get("mask")?.base64);
    expect([sent.width, sent.height]).toEqual([32, 24]);
    for (let y = 0; y < 24; y++) {
      for (let x = 0; x < 32; x++) expect(sent.alpha(x, y), `alpha at ${x},${y}`).toBe(x < 16 ? 0 : 255);
    }
    expect(result.report?.warnings).toEqual([SEED_WARNING(42)]);
  });

  it("outpaint pads the start image with transparent margins and masks exactly the margins", async () => {
    const start = await stubPng(); // 16×16, opaque
    const { tag, prompt } = tagged("more sea on both sides");
    const result = await openaiAdapter.run(
      op(prompt, {
        kind: "outpaint",
        startImage: { bytes: start, contentType: "image/png" },
        spec: spec({ outpaint: { left: 8, right: 8, top: 0, bottom: 0 } }),
      }),
      liveEnv(),
    );
    const [request] = await recorded(tag);
    const fields = new Map((request?.fields ?? []).map((f) => [f.name, f]));
    expect(fields.get("size")?.value).toBe("1536x1024"); // the 32×16 canvas (2:1), nearest
    expect(fields.get("prompt")?.value).toBe(
      `Fill the transparent border of this image so the scene extends naturally, keeping the existing content unchanged: ${prompt}`,
    );
    const image = sentPng(fields.get("image")?.base64);
    const mask = sentPng(fields.get("mask")?.base64);
    expect([image.width, image.height, mask.width, mask.height]).toEqual([32, 16, 32, 16]);
    for (let y = 0; y < 16; y++) {
      for (let x = 0; x < 32; x++) {
        const inside = x >= 8 && x < 24;
        expect(mask.alpha(x, y), `mask alpha at ${x},${y}`).toBe(inside ? 255 : 0);
        // The stub PNG's pixel (x, y) is (16x, 16y, 160): the original sits untouched in the middle.
        expect(image.rgba(x, y)).toEqual(inside ? [(x - 8) * 16, y * 16, 160, 255] : [0, 0, 0, 0]);
      }
    }
    expect(result.report?.warnings).toEqual([
      {
        provider: "openai",
        parameter: "outpaint",
        message:
          "openai has no outpaint: the start image went on a 32x16 canvas (transparent margins left 8, right 8, top 0, bottom 0) with a mask over the margins",
      },
      SEED_WARNING(42),
    ]);
  });

  it("strength becomes input_fidelity where the model takes it, and an instruction", async () => {
    const start = await stubPng();
    const startImage = { bytes: start, contentType: "image/png" };
    const { tag, prompt } = tagged("warmer light");
    const result = await openaiAdapter.run(
      op(prompt, { kind: "edit", startImage, spec: spec({ strength: 0.2 }) }),
      liveEnv(),
    );
    const fields = new Map(((await recorded(tag))[0]?.fields ?? []).map((f) => [f.name, f]));
    expect(fields.get("input_fidelity")?.value).toBe("high");
    const sentence = "Stay close to the original image: change only what the request needs.";
    expect(fields.get("prompt")?.value).toBe(`Edit this image: ${prompt}\n\n${sentence}`);
    expect(result.report?.warnings?.find((w) => w.parameter === "strength")?.message).toBe(
      `openai has no strength: 0.2 became input_fidelity "high" and the instruction "${sentence}"`,
    );

    const mini = tagged("warmer light, mini");
    await openaiAdapter.run(
      op(mini.prompt, {
        kind: "variation",
        startImage,
        spec: spec({ strength: 0.9, model: "gpt-image-1-mini" }),
      }),
      liveEnv(),
    );
    const miniFields = new Map(((await recorded(mini.tag))[0]?.fields ?? []).map((f) => [f.name, f]));
    expect(miniFields.has("input_fidelity")).toBe(false); // gpt-image-1-mini takes none
    expect(miniFields.get("prompt")?.value).toMatch(
      /The result may depart freely from the original image\.$/,
    );
  });

  it("refuses a model it does not offer, and an unreadable mask, before any request", async () => {
    const { tag, prompt } = tagged("x");
    const model = await failure(
      openaiAdapter.run(op(prompt, { spec: spec({ model: "dall-e-9" }) }), liveEnv()),
    );
    expect(model).toMatchObject({
      retryable: false,
      message: "openai has no model 'dall-e-9' (it offers gpt-image-1, gpt-image-1-mini, gpt-image-1.5)",
    });
    const broken: MaskImage = { bytes: new TextEncoder().encode("not a png"), contentType: "image/png" };
    const mask = await failure(
      openaiAdapter.run(
        op(prompt, {
          kind: "inpaint",
          startImage: { bytes: await stubPng(), contentType: "image/png" },
          spec: spec({ mask: broken }),
        }),
        liveEnv(),
      ),
    );
    expect(mask.retryable).toBe(false);
    expect(mask.message).toMatch(/^openai: the mask is not a readable PNG/);
    expect(await recorded(tag)).toEqual([]);
  });
});
