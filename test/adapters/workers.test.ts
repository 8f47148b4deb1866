/** The live Workers AI adapter: the real local binding (remote-only) and `env.AI.run` spied for answers. */
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, inject, it, type MockInstance, vi } from "vitest";
import { z } from "zod";
import { type ImageOp, ProviderError } from "../../src/adapters/provider.types";
import {
  WORKERS_DEFAULT_IMAGE_MODEL,
  WORKERS_DEFAULT_IMG2IMG_MODEL,
  WORKERS_OFFLINE_MESSAGE,
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

  it("offers no inpaint, outpaint or upscale, and calls nothing for them", async () => {
    const run = spyRun();
    for (const kind of ["inpaint", "outpaint", "upscale"] as const) {
      expect(workersAdapter.supports).not.toContain(kind);
      const error = await failure(workersAdapter.run(op({ kind }), appEnv()));
      expect(error).toMatchObject({ retryable: false, message: `workers does not support ${kind}` });
    }
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
