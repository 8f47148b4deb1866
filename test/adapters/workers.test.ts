/** The live Workers AI adapter: the real local binding (remote-only) and `env.AI.run` spied for answers. */
import { env } from "cloudflare:workers";
import { decode, encode } from "fast-png";
import { afterEach, describe, expect, inject, it, type MockInstance, vi } from "vitest";
import { z } from "zod";
import type { GenerationSpec, MaskImage } from "../../src/adapters/params";
import { type ImageOp, ProviderError } from "../../src/adapters/provider.types";
import {
  WORKERS_DEFAULT_IMAGE_MODEL,
  WORKERS_DEFAULT_IMG2IMG_MODEL,
  WORKERS_DEFAULT_INPAINT_MODEL,
  WORKERS_OFFLINE_MESSAGE,
  WORKERS_SDXL_MODEL,
  workersAdapter,
} from "../../src/adapters/workers/workers.adapter";
import type { AppEnv } from "../../src/lib/env";

const STUB = `http://127.0.0.1:${inject("providerStubPort")}`;
const baseEnv = env as unknown as AppEnv;
/** The adapters get a copy of the env; it shares the `AI` binding object, so a spy on it is seen. */
const appEnv = (extra: Partial<AppEnv> = {}): AppEnv => ({ ...baseEnv, ...extra });

/** How the adapter calls the binding (`Ai.run`'s overloads defeat `vi.spyOn`'s inference). */
type Run = (model: string, inputs: Record<string, unknown>, options?: AiOptions) => Promise<unknown>;
const spyRun = () => {
  baseEnv.AI_REMOTE = "true"; // as a remote dev session would have it (src/lib/ai.ts)
  return vi.spyOn(baseEnv.AI, "run") as unknown as MockInstance<Run>;
};

async function png(): Promise<Uint8Array> {
  const { base64 } = z.object({ base64: z.string() }).parse(await (await fetch(`${STUB}/__png`)).json());
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

/** A real JPEG, made from the PNG by the local Images binding. */
async function jpeg(): Promise<Uint8Array> {
  const out = await baseEnv.IMAGES.input(new Blob([await png()]).stream()).output({ format: "image/jpeg" });
  return new Uint8Array(await new Response(out.image()).arrayBuffer());
}

const toBase64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));

async function failure(run: Promise<unknown>): Promise<ProviderError> {
  try {
    await run;
  } catch (error) {
    if (error instanceof ProviderError) return error;
    throw error;
  }
  throw new Error("expected a ProviderError");
}

const op = (extra: Partial<ImageOp> = {}): ImageOp => ({
  kind: "generate",
  prompt: "a red fox",
  variantIndex: 0,
  ...extra,
});

afterEach(() => {
  vi.restoreAllMocks();
  delete baseEnv.AI_REMOTE;
});

describe("workers adapter offline", () => {
  it("fails clearly and non-retryably: the AI binding only runs remotely (and is not called)", async () => {
    const run = vi.spyOn(baseEnv.AI, "run");
    const error = await failure(workersAdapter.run(op(), appEnv()));
    expect(run).not.toHaveBeenCalled();
    expect(error).toMatchObject({ retryable: false, message: WORKERS_OFFLINE_MESSAGE });
    expect(error.message).toBe(
      "workers is not available offline: Workers AI needs a deployment (the AI binding is remote-only)",
    );
  });
});

describe("workers adapter with env.AI.run spied", () => {
  it("generates with flux-1-schnell: { prompt } in, { image: base64 } out", async () => {
    const image = await jpeg();
    const run = spyRun().mockResolvedValue({ image: toBase64(image) });
    const result = await workersAdapter.run(op(), appEnv());
    expect(result.bytes).toEqual(image);
    expect(result.contentType).toBe("image/jpeg");
    expect(result.providerMeta).toEqual({
      mode: "live",
      model: WORKERS_DEFAULT_IMAGE_MODEL,
      latencyMs: expect.any(Number),
    });
    expect(run).toHaveBeenCalledTimes(1);
    expect(run.mock.calls[0]?.[0]).toBe("@cf/black-forest-labs/flux-1-schnell");
    expect(run.mock.calls[0]?.[1]).toEqual({ prompt: "a red fox" });
    expect(run.mock.calls[0]?.[2]?.signal).toBeInstanceOf(AbortSignal);
    // Width and height from the JPEG's SOF header; no seed was sent.
    expect(result.report).toEqual({
      width: 16,
      height: 16,
      seed: null,
      model: WORKERS_DEFAULT_IMAGE_MODEL,
      warnings: [],
    });
  });

  it("edits with img2img: the start image as byte values, a PNG stream back", async () => {
    const start = await png();
    const run = spyRun().mockResolvedValue(new Blob([start]).stream());
    const result = await workersAdapter.run(
      op({ kind: "edit", startImage: { bytes: start, contentType: "image/png" } }),
      appEnv(),
    );
    expect(result).toMatchObject({
      contentType: "image/png",
      providerMeta: { model: WORKERS_DEFAULT_IMG2IMG_MODEL },
    });
    expect(result.bytes).toEqual(start);
    expect(run.mock.calls[0]?.[0]).toBe("@cf/runwayml/stable-diffusion-v1-5-img2img");
    expect(run.mock.calls[0]?.[1]).toEqual({ prompt: "a red fox", image: Array.from(start), strength: 0.75 });
  });

  it("uses WORKERS_IMAGE_MODEL and WORKERS_IMG2IMG_MODEL; variation moves less than edit", async () => {
    const start = await png();
    const run = spyRun().mockResolvedValue(start);
    const vars = { WORKERS_IMAGE_MODEL: "@cf/custom/t2i", WORKERS_IMG2IMG_MODEL: "@cf/custom/i2i" };
    await workersAdapter.run(op(), appEnv(vars));
    await workersAdapter.run(
      op({ kind: "variation", startImage: { bytes: start, contentType: "image/png" } }),
      appEnv(vars),
    );
    expect(run.mock.calls.map((c) => c[0])).toEqual(["@cf/custom/t2i", "@cf/custom/i2i"]);
    expect(run.mock.calls[1]?.[1]).toMatchObject({ strength: 0.5 });
  });

  it("offers no upscale; inpaint needs a mask and outpaint margins, and nothing is called without them", async () => {
    const run = spyRun();
    expect(workersAdapter.supports).toEqual(["generate", "edit", "variation", "inpaint", "outpaint"]);
    const upscale = await failure(workersAdapter.run(op({ kind: "upscale" }), appEnv()));
    expect(upscale).toMatchObject({ retryable: false, message: "workers does not support upscale" });
    const startImage = { bytes: await png(), contentType: "image/png" };
    const inpaint = await failure(workersAdapter.run(op({ kind: "inpaint", startImage }), appEnv()));
    expect(inpaint).toMatchObject({ retryable: false, message: "workers: inpaint needs a mask" });
    const outpaint = await failure(workersAdapter.run(op({ kind: "outpaint", startImage }), appEnv()));
    expect(outpaint).toMatchObject({ retryable: false, message: "workers: outpaint needs margins" });
    expect(run).not.toHaveBeenCalled();
  });

  it("output without an image, or bytes that are no image, are not retryable", async () => {
    spyRun()
      .mockResolvedValueOnce({})
      .mockResolvedValueOnce(new Uint8Array([1, 2, 3]));
    expect(await failure(workersAdapter.run(op(), appEnv()))).toMatchObject({
      retryable: false,
      message: "workers returned no image",
    });
    expect(await failure(workersAdapter.run(op(), appEnv()))).toMatchObject({
      retryable: false,
      message: "workers returned data that is not a PNG, JPEG, WebP or GIF image",
    });
  });

  it("maps Workers AI error codes: capacity and timeouts retry, bad input and daily limits do not", async () => {
    const cases = [
      ["3040: Capacity temporarily exceeded, please try again.", true, 429],
      ["AiError: 3007: Request timeout", true, 408],
      ["5007: No such model @cf/custom/t2i or task", false, 400],
      ["3036: You have used up your daily free allocation of 10,000 neurons.", false, 429],
    ] as const;
    for (const [message, retryable, status] of cases) {
      spyRun().mockRejectedValueOnce(new Error(message));
      const error = await failure(workersAdapter.run(op(), appEnv()));
      expect(error).toMatchObject({ retryable, status, message: `workers failed: ${message}` });
    }
    spyRun().mockRejectedValueOnce(new Error("something unexpected"));
    expect(await failure(workersAdapter.run(op(), appEnv()))).toMatchObject({
      retryable: true,
      message: "workers call failed: something unexpected",
    });
  });

  it("a call that never answers ends at PROVIDER_TIMEOUT_MS, retryable, and aborts the binding's signal", async () => {
    const run = spyRun().mockReturnValue(new Promise<unknown>(() => {}));
    const error = await failure(workersAdapter.run(op(), appEnv({ PROVIDER_TIMEOUT_MS: "200" })));
    expect(error).toMatchObject({ retryable: true, message: "workers did not answer within 200 ms" });
    expect(run.mock.calls[0]?.[2]?.signal?.aborted).toBe(true);
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

/** A PNG the binding was given as an array of byte values. */
function sentPng(input: unknown) {
  const bytes = z.array(z.number().int().min(0).max(255)).parse(input);
  return decode(Uint8Array.from(bytes));
}

const spec = (extra: Partial<GenerationSpec> = {}): GenerationSpec => ({ seed: 42, ...extra });

describe("workers adapter: generation parameters", () => {
  it("declares what it honours, its models and sizes", () => {
    expect(workersAdapter.capabilities).toEqual({
      parameters: {
        aspectRatio: "approximate",
        seed: "approximate",
        negativePrompt: "approximate",
        strength: "native",
        model: "native",
        mask: "native",
        outpaint: "approximate",
        upscale: "unsupported",
      },
      models: [
        "@cf/black-forest-labs/flux-1-schnell",
        "@cf/stabilityai/stable-diffusion-xl-base-1.0",
        "@cf/runwayml/stable-diffusion-v1-5-img2img",
        "@cf/runwayml/stable-diffusion-v1-5-inpainting",
      ],
      sizes: "any",
    });
  });

  it("flux-1-schnell takes only a prompt: the seed is not sent and the negative prompt is folded, both said", async () => {
    const run = spyRun().mockResolvedValue({ image: toBase64(await jpeg()) });
    const result = await workersAdapter.run(
      op({ spec: spec({ seed: 5, negativePrompt: "text" }) }),
      appEnv(),
    );
    expect(run.mock.calls[0]?.[0]).toBe(WORKERS_DEFAULT_IMAGE_MODEL);
    expect(run.mock.calls[0]?.[1]).toEqual({ prompt: "a red fox\n\nAvoid: text" });
    expect(result.report).toEqual({
      width: 16,
      height: 16,
      seed: null,
      model: WORKERS_DEFAULT_IMAGE_MODEL,
      warnings: [
        {
          provider: "workers",
          parameter: "seed",
          message:
            "@cf/black-forest-labs/flux-1-schnell takes no seed: seed 5 was not sent, so this image cannot be reproduced from it",
        },
        {
          provider: "workers",
          parameter: "negativePrompt",
          message:
            '@cf/black-forest-labs/flux-1-schnell has no negative prompt: "Avoid: text" was added to the prompt',
        },
      ],
    });
  });

  it("a 16:9 generate without a chosen model runs on SDXL: width, height, seed and negative_prompt natively", async () => {
    const run = spyRun().mockResolvedValue(new Blob([await png()]).stream());
    const result = await workersAdapter.run(
      op({ spec: spec({ aspectRatio: "16:9", seed: 77, negativePrompt: "blur" }) }),
      appEnv(),
    );
    expect(run.mock.calls[0]?.[0]).toBe(WORKERS_SDXL_MODEL);
    expect(run.mock.calls[0]?.[1]).toEqual({
      prompt: "a red fox",
      width: 1472,
      height: 832,
      seed: 77,
      negative_prompt: "blur",
    });
    expect(result.report).toEqual({
      width: 16,
      height: 16,
      seed: 77,
      model: WORKERS_SDXL_MODEL,
      warnings: [
        {
          provider: "workers",
          parameter: "aspectRatio",
          message:
            "@cf/black-forest-labs/flux-1-schnell takes no width or height, so @cf/stabilityai/stable-diffusion-xl-base-1.0 made this 16:9 image",
        },
        {
          provider: "workers",
          parameter: "aspectRatio",
          message:
            "@cf/stabilityai/stable-diffusion-xl-base-1.0 takes width and height in multiples of 64: 16:9 was sent as 1472x832",
        },
      ],
    });
  });

  it("img2img takes strength, seed, negative_prompt and a 4:3 size natively (no warnings)", async () => {
    const start = await png();
    const run = spyRun().mockResolvedValue(start);
    const result = await workersAdapter.run(
      op({
        kind: "edit",
        startImage: { bytes: start, contentType: "image/png" },
        spec: spec({ seed: 9, strength: 0.3, negativePrompt: "blur", aspectRatio: "4:3" }),
      }),
      appEnv(),
    );
    expect(run.mock.calls[0]?.[0]).toBe(WORKERS_DEFAULT_IMG2IMG_MODEL);
    expect(run.mock.calls[0]?.[1]).toEqual({
      prompt: "a red fox",
      image: Array.from(start),
      strength: 0.3,
      seed: 9,
      negative_prompt: "blur",
      width: 512,
      height: 384,
    });
    expect(result.report).toEqual({
      width: 16,
      height: 16,
      seed: 9,
      model: WORKERS_DEFAULT_IMG2IMG_MODEL,
      warnings: [],
    });
  });

  it("inpaint sends the image and a black-and-white mask PNG (white = repaint) at the start image's size", async () => {
    const start = makePng(32, 24, (x, y) => [x * 8, y * 8, 100, 255]);
    const mask = houseMask(16, 12, (x) => x < 8); // scaled up: the left 16 columns
    const run = spyRun().mockResolvedValue(await png());
    const result = await workersAdapter.run(
      op({
        kind: "inpaint",
        startImage: { bytes: start, contentType: "image/png" },
        spec: spec({ mask, strength: 0.9 }),
      }),
      appEnv(),
    );
    expect(run.mock.calls[0]?.[0]).toBe(WORKERS_DEFAULT_INPAINT_MODEL);
    const inputs = run.mock.calls[0]?.[1] ?? {};
    expect(Object.keys(inputs).sort()).toEqual([
      "height",
      "image",
      "mask",
      "prompt",
      "seed",
      "strength",
      "width",
    ]);
    expect(inputs).toMatchObject({
      prompt: "a red fox",
      image: Array.from(start),
      width: 512,
      height: 384,
      seed: 42,
      strength: 0.9,
    });
    const sent = sentPng(inputs.mask);
    expect([sent.width, sent.height, sent.channels]).toEqual([32, 24, 1]);
    for (let y = 0; y < 24; y++) {
      for (let x = 0; x < 32; x++) expect(sent.data[y * 32 + x], `mask at ${x},${y}`).toBe(x < 16 ? 255 : 0);
    }
    expect(result.report).toEqual({
      width: 16,
      height: 16,
      seed: 42,
      model: WORKERS_DEFAULT_INPAINT_MODEL,
      warnings: [],
    });
  });

  it("WORKERS_INPAINT_MODEL names the inpainting model", async () => {
    const run = spyRun().mockResolvedValue(await png());
    const startImage = { bytes: await png(), contentType: "image/png" };
    const mask = houseMask(16, 16, () => true);
    await workersAdapter.run(
      op({ kind: "inpaint", startImage, spec: spec({ mask }) }),
      appEnv({ WORKERS_INPAINT_MODEL: "@cf/custom/inpaint" } as Partial<AppEnv>),
    );
    expect(run.mock.calls[0]?.[0]).toBe("@cf/custom/inpaint");
  });

  it("outpaint of a JPEG: the inpainting model fills the margins of a padded PNG canvas", async () => {
    const run = spyRun().mockResolvedValue(await png());
    const result = await workersAdapter.run(
      op({
        kind: "outpaint",
        startImage: { bytes: await jpeg(), contentType: "image/jpeg" },
        spec: spec({ outpaint: { left: 16, right: 0, top: 0, bottom: 0 } }),
      }),
      appEnv(),
    );
    const inputs = run.mock.calls[0]?.[1] ?? {};
    expect(inputs).toMatchObject({ width: 768, height: 384, seed: 42 }); // the 32×16 canvas is 2:1
    const canvas = sentPng(inputs.image);
    const mask = sentPng(inputs.mask);
    expect([canvas.width, canvas.height, mask.width, mask.height]).toEqual([32, 16, 32, 16]);
    for (let x = 0; x < 32; x++) {
      expect(mask.data[3 * 32 + x], `mask column ${x}`).toBe(x < 16 ? 255 : 0);
      expect(canvas.data[(3 * 32 + x) * 4 + 3], `canvas alpha column ${x}`).toBe(x < 16 ? 0 : 255);
    }
    expect(result.report?.warnings).toEqual([
      {
        provider: "workers",
        parameter: "outpaint",
        message:
          "workers has no outpaint: the inpainting model filled the margins (left 16, right 0, top 0, bottom 0) of a 32x16 canvas made from the start image",
      },
    ]);
  });

  it("a chosen model that cannot do the kind, or one it does not offer, is refused without a call", async () => {
    const run = spyRun();
    const startImage = { bytes: await png(), contentType: "image/png" };
    const wrongKind = await failure(
      workersAdapter.run(
        op({ kind: "edit", startImage, spec: spec({ model: WORKERS_DEFAULT_IMAGE_MODEL }) }),
        appEnv(),
      ),
    );
    expect(wrongKind).toMatchObject({
      retryable: false,
      message: "workers: @cf/black-forest-labs/flux-1-schnell cannot do edit (it does generate)",
    });
    const unknown = await failure(workersAdapter.run(op({ spec: spec({ model: "@cf/nope" }) }), appEnv()));
    expect(unknown).toMatchObject({
      retryable: false,
      message: expect.stringMatching(/^workers has no model '@cf\/nope'/),
    });
    expect(run).not.toHaveBeenCalled();
  });

  it("reads the size of a WebP answer from its header", async () => {
    const out = await baseEnv.IMAGES.input(new Blob([await png()]).stream()).output({ format: "image/webp" });
    const webp = new Uint8Array(await new Response(out.image()).arrayBuffer());
    spyRun().mockResolvedValue(webp);
    const result = await workersAdapter.run(op({ spec: spec() }), appEnv());
    expect(result.contentType).toBe("image/webp");
    expect(result.report).toMatchObject({ width: 16, height: 16 });
  });
});
