/** The `openai` provider: the OpenAI Images API (generations and edits) through the official SDK. */
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, toFile } from "openai";
import { z } from "zod";
import type { AppEnv } from "../../lib/env";
import {
  type ImageOp,
  type ImageOpKind,
  type ProviderAdapter,
  ProviderError,
  type ProviderResult,
} from "../provider.types";
import { timeoutError, toProviderError, unreachableError } from "../provider-errors";
import {
  buildReport,
  decodeImage,
  type KeyedProviderConfig,
  type KeyedProviderVars,
  liveMeta,
  readKeyedConfig,
  unavailableIf,
  unsupportedKind,
} from "../shared";
import { OPENAI_CAPABILITIES, OPENAI_DEFAULT_MODEL, type OpenAiPlan, planCall } from "./openai.plan";

export { OPENAI_CAPABILITIES, OPENAI_DEFAULT_MODEL, OPENAI_MODELS, OPENAI_SIZES } from "./openai.plan";

/**
 * `upscale` is absent: the Images API has no upscaling. `inpaint`, `outpaint` and `variation` are
 * edits (`images.edit`): inpaint sends the job's mask as OpenAI's alpha mask, outpaint a padded
 * canvas with a mask over the new margins (openai.plan.ts); without them (no parameters) the model
 * decides from the prompt what to change. `images.createVariation` is not used: it is dall-e-2
 * only and takes no prompt.
 */
const SUPPORTS = ["generate", "edit", "inpaint", "outpaint", "variation"] as const satisfies ImageOpKind[];

/** The part of `ImagesResponse` the adapter relies on, checked rather than trusted. */
const ImagesResponseSchema = z.object({
  data: z.array(z.object({ b64_json: z.string().nullish(), revised_prompt: z.string().nullish() })).nullish(),
  /** GPT image models: token counts, passed on as given. */
  usage: z.record(z.string(), z.unknown()).nullish(),
});

const EXTENSION: Record<string, string> = {
  "image/png": "png",
  "image/jpeg": "jpg",
  "image/webp": "webp",
  "image/gif": "gif",
};

function isSupported(kind: ImageOpKind): kind is (typeof SUPPORTS)[number] {
  return (SUPPORTS as readonly ImageOpKind[]).includes(kind);
}

/**
 * `OPENAI_BASE_URL` routes calls elsewhere, e.g. through Cloudflare AI Gateway:
 * `https://gateway.ai.cloudflare.com/v1/{account_id}/{gateway_id}/openai` (the SDK appends
 * `/images/generations`). Unset means `https://api.openai.com/v1`.
 */
function client(config: KeyedProviderConfig): OpenAI {
  return new OpenAI({
    apiKey: config.apiKey,
    baseURL: config.baseUrl,
    // The workflow retries the whole step; SDK retries would multiply attempts and hide 429s.
    maxRetries: 0,
    timeout: config.timeoutMs,
  });
}

/** dall-e models answer with URLs unless asked for base64; GPT image models always send base64. */
function responseFormat(model: string): { response_format?: "b64_json" } {
  return model.startsWith("dall-e") ? { response_format: "b64_json" } : {};
}

async function call(op: ImageOp, plan: OpenAiPlan, config: KeyedProviderConfig): Promise<unknown> {
  const openai = client(config);
  const { model, prompt, size } = plan;
  if (op.kind === "generate" || !plan.image) {
    return openai.images.generate({ model, prompt, size, n: 1, ...responseFormat(model) });
  }
  const start = plan.image;
  const image = await toFile(start.bytes, `start.${EXTENSION[start.contentType] ?? "png"}`, {
    type: start.contentType,
  });
  const mask = plan.mask ? { mask: await toFile(plan.mask, "mask.png", { type: "image/png" }) } : {};
  return openai.images.edit({
    model,
    image,
    ...mask,
    prompt,
    size,
    n: 1,
    ...(plan.inputFidelity ? { input_fidelity: plan.inputFidelity } : {}),
    ...responseFormat(model),
  });
}

/**
 * Live OpenAI images: `generate` → `images.generate`, the edit kinds → `images.edit` with the start
 * image. Needs `OPENAI_API_KEY`; optional `OPENAI_BASE_URL`, `OPENAI_IMAGE_MODEL` (default
 * gpt-image-1) and `PROVIDER_TIMEOUT_MS`.
 */
const VARS: KeyedProviderVars = {
  provider: "openai",
  keyVar: "OPENAI_API_KEY",
  baseUrlVar: "OPENAI_BASE_URL",
  modelVar: "OPENAI_IMAGE_MODEL",
  defaultModel: OPENAI_DEFAULT_MODEL,
};

export const openaiAdapter: ProviderAdapter = {
  id: "openai",
  supports: SUPPORTS,
  capabilities: OPENAI_CAPABILITIES,
  unavailable: (env) => unavailableIf(() => readKeyedConfig(env, VARS)),
  async run(op: ImageOp, env: AppEnv): Promise<ProviderResult> {
    const config = readKeyedConfig(env, VARS);
    if (!isSupported(op.kind)) throw unsupportedKind("openai", op.kind);
    const startedAt = Date.now();
    try {
      const plan = await planCall(op, config.model, env);
      const parsed = ImagesResponseSchema.safeParse(await call(op, plan, config));
      const first = parsed.success ? parsed.data.data?.[0] : undefined;
      if (!first?.b64_json) throw noImage(parsed.success);
      const image = decodeImage("openai", first.b64_json);
      const revisedPrompt = first.revised_prompt ? { revisedPrompt: first.revised_prompt } : {};
      const usage = parsed.data?.usage;
      const report = buildReport("openai", image.bytes, {
        seed: null,
        model: plan.model,
        ...(usage ? { usage } : {}),
        warnings: plan.notes.warnings,
      });
      return { ...image, providerMeta: liveMeta(plan.model, startedAt, revisedPrompt), report };
    } catch (error) {
      // The SDK's connection errors carry no status; they are told apart by class (timeout first: it
      // extends APIConnectionError). Their text ("Connection error.") hides the cause, so add it.
      if (error instanceof APIConnectionTimeoutError) throw timeoutError("openai", config.timeoutMs);
      if (error instanceof APIConnectionError) {
        throw unreachableError("openai", error.cause ?? error, [config.apiKey]);
      }
      throw toProviderError(error, {
        provider: "openai",
        secrets: [config.apiKey],
        timeoutMs: config.timeoutMs,
      });
    }
  },
};

/** A 200 without image data: the same request would get the same answer, so it is not retried. */
function noImage(wellFormed: boolean): ProviderError {
  return new ProviderError(
    wellFormed ? "openai returned no image" : "openai returned a response that is not an images response",
    { retryable: false },
  );
}
