/** The `workers` provider: Workers AI image models through the `AI` binding (remote-only: deployments). */
import { aiAvailable, isAiRemoteOnly, runAi } from "../../lib/ai";
import type { AppEnv } from "../../lib/env";
import {
  type ImageOp,
  type ImageOpKind,
  type ProviderAdapter,
  ProviderError,
  type ProviderResult,
} from "../provider.types";
import { toProviderError } from "../provider-errors";
import {
  checkImage,
  decodeImage,
  liveMeta,
  readModel,
  readTimeoutMs,
  requireStartImage,
  unavailableIf,
  unsupportedKind,
} from "../shared";

/** Text-to-image default (`WORKERS_IMAGE_MODEL`): answers `{ image: <base64 JPEG> }`. */
export const WORKERS_DEFAULT_IMAGE_MODEL = "@cf/black-forest-labs/flux-1-schnell";
/** Image-to-image default (`WORKERS_IMG2IMG_MODEL`): takes `image` as byte values, answers a PNG stream. */
export const WORKERS_DEFAULT_IMG2IMG_MODEL = "@cf/runwayml/stable-diffusion-v1-5-img2img";

export const WORKERS_OFFLINE_MESSAGE =
  "workers is not available offline: Workers AI needs a deployment (the AI binding is remote-only)";

/**
 * img2img covers `edit` and `variation`: the prompt describes the result and `strength` says how far
 * to move from the start image (1 ignores it). `inpaint` needs a mask (the SD inpainting model takes
 * one; ops carry none yet), and outpaint/upscale have no model here, so they are not offered.
 */
const SUPPORTS = ["generate", "edit", "variation"] as const satisfies ImageOpKind[];
const STRENGTH: Record<"edit" | "variation", number> = { edit: 0.75, variation: 0.5 };

/**
 * Workers AI internal error codes (developers.cloudflare.com/workers-ai/platform/errors): which are
 * worth a retry. 3036 is 429 too, but it is the daily free allocation: retrying in seconds cannot help.
 */
const ERROR_CODES: Record<string, { retryable: boolean; status: number }> = {
  "3007": { retryable: true, status: 408 },
  "3008": { retryable: true, status: 408 },
  "3040": { retryable: true, status: 429 },
  "3036": { retryable: false, status: 429 },
  "3003": { retryable: false, status: 400 },
  "3006": { retryable: false, status: 413 },
  "3023": { retryable: false, status: 403 },
  "3039": { retryable: false, status: 400 },
  "3041": { retryable: false, status: 403 },
  "3042": { retryable: false, status: 404 },
  "5004": { retryable: false, status: 400 },
  "5005": { retryable: false, status: 405 },
  "5007": { retryable: false, status: 400 },
  "5016": { retryable: false, status: 403 },
  "5018": { retryable: false, status: 403 },
  "5019": { retryable: false, status: 405 },
};

function isSupported(kind: ImageOpKind): kind is (typeof SUPPORTS)[number] {
  return (SUPPORTS as readonly ImageOpKind[]).includes(kind);
}

/** Model and inputs of one op (the model names are vars, so the untyped `run` overload is used). */
function request(op: ImageOp, env: AppEnv): { model: string; inputs: Record<string, unknown> } {
  if (op.kind === "generate") {
    return {
      model: readModel(env, "WORKERS_IMAGE_MODEL", WORKERS_DEFAULT_IMAGE_MODEL),
      inputs: { prompt: op.prompt },
    };
  }
  const kind = op.kind === "variation" ? "variation" : "edit";
  const start = requireStartImage("workers", op.kind, op.startImage);
  return {
    model: readModel(env, "WORKERS_IMG2IMG_MODEL", WORKERS_DEFAULT_IMG2IMG_MODEL),
    inputs: { prompt: op.prompt, image: Array.from(start.bytes), strength: STRENGTH[kind] },
  };
}

/** The image of any output shape Workers AI image models use: a stream, bytes, or `{ image: base64 }`. */
async function imageOf(
  output: unknown,
): Promise<{ bytes: Uint8Array; contentType: ProviderResult["contentType"] }> {
  if (output instanceof ReadableStream) {
    return checkImage("workers", new Uint8Array(await new Response(output).arrayBuffer()));
  }
  if (output instanceof Uint8Array) return checkImage("workers", output);
  if (output instanceof ArrayBuffer) return checkImage("workers", new Uint8Array(output));
  if (
    typeof output === "object" &&
    output !== null &&
    "image" in output &&
    typeof output.image === "string"
  ) {
    return decodeImage("workers", output.image);
  }
  throw new ProviderError("workers returned no image", { retryable: false });
}

/** Runs the model and reads its image before the deadline; the signal lets the binding stop too. */
async function runWithDeadline(env: AppEnv, op: ImageOp, timeoutMs: number) {
  const { model, inputs } = request(op, env);
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new ProviderError(`workers did not answer within ${timeoutMs} ms`, { retryable: true }));
    }, timeoutMs);
  });
  try {
    const work = (async () => {
      const output = await runAi(env, model, inputs, { signal: controller.signal });
      // `return await`: returning imageOf's promise bare would leave an already-rejected promise
      // unhandled for a tick, which workerd reports as an unhandled rejection.
      return await imageOf(output);
    })();
    return { model, image: await Promise.race([work, deadline]) };
  } finally {
    clearTimeout(timer);
  }
}

/** Remote-only binding → offline message; Workers AI error codes → their retry class; else the shared mapper. */
function workersError(error: unknown, timeoutMs: number): ProviderError {
  const message = error instanceof Error ? error.message : String(error);
  if (!(error instanceof ProviderError) && isAiRemoteOnly(error)) {
    return new ProviderError(WORKERS_OFFLINE_MESSAGE, { retryable: false });
  }
  const known = (message.match(/\b\d{4}\b/g) ?? []).find((code) => code in ERROR_CODES);
  const mapped = known === undefined ? undefined : ERROR_CODES[known];
  if (!(error instanceof ProviderError) && mapped) {
    return toProviderError(new ProviderError(`workers failed: ${message.slice(0, 300)}`, mapped), {
      provider: "workers",
      secrets: [],
      timeoutMs,
    });
  }
  return toProviderError(error, { provider: "workers", secrets: [], timeoutMs });
}

/**
 * Live Workers AI images: `generate` with a text-to-image model (flux-1-schnell by default), `edit`
 * and `variation` with an img2img model. No secret: the `AI` binding authenticates. Locally every
 * call fails non-retryably with WORKERS_OFFLINE_MESSAGE, because the binding only runs remotely.
 */
export const workersAdapter: ProviderAdapter = {
  id: "workers",
  supports: SUPPORTS,
  unavailable: (env) =>
    aiAvailable(env) ? unavailableIf(() => readTimeoutMs(env, "workers")) : WORKERS_OFFLINE_MESSAGE,
  async run(op: ImageOp, env: AppEnv): Promise<ProviderResult> {
    const timeoutMs = readTimeoutMs(env, "workers");
    if (!isSupported(op.kind)) throw unsupportedKind("workers", op.kind);
    const startedAt = Date.now();
    try {
      const { model, image } = await runWithDeadline(env, op, timeoutMs);
      return { ...image, providerMeta: liveMeta(model, startedAt) };
    } catch (error) {
      throw workersError(error, timeoutMs);
    }
  },
};
