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
  buildReport,
  checkImage,
  decodeImage,
  liveMeta,
  readTimeoutMs,
  unavailableIf,
  unsupportedKind,
} from "../shared";
import { planCall, WORKERS_CAPABILITIES } from "./workers.plan";

export {
  WORKERS_CAPABILITIES,
  WORKERS_DEFAULT_IMAGE_MODEL,
  WORKERS_DEFAULT_IMG2IMG_MODEL,
  WORKERS_DEFAULT_INPAINT_MODEL,
  WORKERS_MODELS,
  WORKERS_SDXL_MODEL,
} from "./workers.plan";

export const WORKERS_OFFLINE_MESSAGE =
  "workers is not available offline: Workers AI needs a deployment (the AI binding is remote-only)";

/**
 * img2img covers `edit` and `variation`: the prompt describes the result and `strength` says how far
 * to move from the start image (1 ignores it). The SD inpainting model covers `inpaint` (it needs
 * the job's mask) and `outpaint` (a padded canvas whose margins are the mask); upscale has no model
 * here, so it is not offered. workers.plan.ts maps the parameters.
 */
const SUPPORTS = ["generate", "edit", "variation", "inpaint", "outpaint"] as const satisfies ImageOpKind[];

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
async function runWithDeadline(
  env: AppEnv,
  model: string,
  inputs: Record<string, unknown>,
  timeoutMs: number,
) {
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
    return await Promise.race([work, deadline]);
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
 * and `variation` with an img2img model, `inpaint` and `outpaint` with the inpainting model
 * (`WORKERS_INPAINT_MODEL`). No secret: the `AI` binding authenticates. Locally every call fails
 * non-retryably with WORKERS_OFFLINE_MESSAGE, because the binding only runs remotely.
 */
export const workersAdapter: ProviderAdapter = {
  id: "workers",
  supports: SUPPORTS,
  capabilities: WORKERS_CAPABILITIES,
  unavailable: (env) =>
    aiAvailable(env) ? unavailableIf(() => readTimeoutMs(env, "workers")) : WORKERS_OFFLINE_MESSAGE,
  async run(op: ImageOp, env: AppEnv): Promise<ProviderResult> {
    const timeoutMs = readTimeoutMs(env, "workers");
    if (!isSupported(op.kind)) throw unsupportedKind("workers", op.kind);
    // Before any preparation: masks and canvases are not worth making for a call that cannot run.
    if (!aiAvailable(env)) throw new ProviderError(WORKERS_OFFLINE_MESSAGE, { retryable: false });
    const startedAt = Date.now();
    try {
      const plan = await planCall(op, env);
      const image = await runWithDeadline(env, plan.model, plan.inputs, timeoutMs);
      const report = buildReport("workers", image.bytes, {
        seed: plan.seed,
        model: plan.model,
        warnings: plan.notes.warnings,
      });
      return { ...image, providerMeta: liveMeta(plan.model, startedAt), report };
    } catch (error) {
      throw workersError(error, timeoutMs);
    }
  },
};
