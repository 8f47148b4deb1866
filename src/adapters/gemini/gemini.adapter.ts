/** The `gemini` provider: Gemini image models through `models.generateContent` of `@google/genai`. */
import { GoogleGenAI, Modality } from "@google/genai";
import { z } from "zod";
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
  decodeImage,
  type KeyedProviderConfig,
  type KeyedProviderVars,
  liveMeta,
  readKeyedConfig,
  unavailableIf,
  unsupportedKind,
} from "../shared";
import { GEMINI_CAPABILITIES, GEMINI_DEFAULT_MODEL, type GeminiPlan, planCall } from "./gemini.plan";

export { GEMINI_CAPABILITIES, GEMINI_DEFAULT_MODEL, GEMINI_MODELS, GEMINI_SIZES } from "./gemini.plan";

/**
 * Gemini edits by instruction: the start image goes in as an `inlineData` part and the kind becomes
 * the first sentence of the prompt (see `editPrompt`). There is no mask input and no upscaling:
 * `inpaint` shows the job's mask as a second image, `outpaint` a padded canvas and its mask, each
 * with an instruction (gemini.plan.ts), and `upscale` is not offered.
 */
const SUPPORTS = ["generate", "edit", "inpaint", "outpaint", "variation"] as const satisfies ImageOpKind[];

const PartSchema = z.object({
  text: z.string().nullish(),
  thought: z.boolean().nullish(),
  inlineData: z.object({ mimeType: z.string().nullish(), data: z.string().nullish() }).nullish(),
});
/** The part of `GenerateContentResponse` the adapter relies on, checked rather than trusted. */
const ResponseSchema = z.object({
  candidates: z
    .array(
      z.object({
        content: z.object({ parts: z.array(PartSchema).nullish() }).nullish(),
        finishReason: z.string().nullish(),
      }),
    )
    .nullish(),
  promptFeedback: z.object({ blockReason: z.string().nullish() }).nullish(),
  /** Token counts, passed on as given. */
  usageMetadata: z.record(z.string(), z.unknown()).nullish(),
});

function isSupported(kind: ImageOpKind): kind is (typeof SUPPORTS)[number] {
  return (SUPPORTS as readonly ImageOpKind[]).includes(kind);
}

/** A 200 without an image: the reason if Gemini gave one (safety blocks, finish reasons). */
function noImage(reason: string | null | undefined): ProviderError {
  const why = reason && reason !== "STOP" ? ` (${reason})` : "";
  return new ProviderError(`gemini returned no image${why}`, { retryable: false });
}

/** The first image part, the model's non-thought text and the usage of a response. */
function readResponse(raw: unknown): { data: string; text?: string; usage?: Record<string, unknown> } {
  const parsed = ResponseSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ProviderError("gemini returned a response that is not a generateContent response", {
      retryable: false,
    });
  }
  const candidate = parsed.data.candidates?.[0];
  const parts = candidate?.content?.parts ?? [];
  const image = parts.find((p) => p.inlineData?.data && p.inlineData.mimeType?.startsWith("image/"));
  const data = image?.inlineData?.data;
  if (!data) throw noImage(parsed.data.promptFeedback?.blockReason ?? candidate?.finishReason);
  const text = parts
    .filter((p) => !p.thought && p.text)
    .map((p) => p.text)
    .join("\n")
    .trim();
  const usage = parsed.data.usageMetadata ?? undefined;
  return { data, ...(text ? { text } : {}), ...(usage ? { usage } : {}) };
}

async function call(plan: GeminiPlan, config: KeyedProviderConfig): Promise<unknown> {
  let headers: Headers | undefined;
  const ai = new GoogleGenAI({
    apiKey: config.apiKey,
    httpOptions: {
      // Cloudflare AI Gateway: `https://gateway.ai.cloudflare.com/v1/{account_id}/{gateway_id}/google-ai-studio`
      // (the SDK appends `/v1beta/models/<model>:generateContent`). Unset means Google's own host.
      baseUrl: config.baseUrl,
      timeout: config.timeoutMs,
      // No `retryOptions`: the SDK then makes one attempt and the workflow owns retries. The
      // wrapper keeps the response headers, because the SDK's ApiError drops `Retry-After`.
      fetch: async (input, init) => {
        const response = await fetch(input, init);
        headers = response.headers;
        return response;
      },
    },
  });
  try {
    return await ai.models.generateContent({
      model: plan.model,
      contents: [{ role: "user", parts: plan.parts }],
      config: { responseModalities: [Modality.TEXT, Modality.IMAGE], ...plan.config },
    });
  } catch (error) {
    throw new GeminiCallError(error, headers);
  }
}

/** Carries the failed response's headers to the error mapper. */
class GeminiCallError extends Error {
  constructor(
    readonly original: unknown,
    readonly headers: Headers | undefined,
  ) {
    super("gemini call failed");
  }
}

/**
 * Live Gemini images: one `generateContent` call with TEXT and IMAGE output; the first image part
 * is the result and any text the model adds goes to `providerMeta.notes`. Needs `GEMINI_API_KEY`;
 * optional `GEMINI_BASE_URL`, `GEMINI_IMAGE_MODEL` (default gemini-2.5-flash-image) and
 * `PROVIDER_TIMEOUT_MS`.
 */
const VARS: KeyedProviderVars = {
  provider: "gemini",
  keyVar: "GEMINI_API_KEY",
  baseUrlVar: "GEMINI_BASE_URL",
  modelVar: "GEMINI_IMAGE_MODEL",
  defaultModel: GEMINI_DEFAULT_MODEL,
};

export const geminiAdapter: ProviderAdapter = {
  id: "gemini",
  supports: SUPPORTS,
  capabilities: GEMINI_CAPABILITIES,
  unavailable: (env) => unavailableIf(() => readKeyedConfig(env, VARS)),
  async run(op: ImageOp, env: AppEnv): Promise<ProviderResult> {
    const config = readKeyedConfig(env, VARS);
    if (!isSupported(op.kind)) throw unsupportedKind("gemini", op.kind);
    const startedAt = Date.now();
    const context = { provider: "gemini" as const, secrets: [config.apiKey], timeoutMs: config.timeoutMs };
    try {
      const plan = await planCall(op, config.model, env);
      const { data, text, usage } = readResponse(await call(plan, config));
      const image = decodeImage("gemini", data);
      const report = buildReport("gemini", image.bytes, {
        seed: plan.seed,
        model: plan.model,
        ...(usage ? { usage } : {}),
        warnings: plan.notes.warnings,
      });
      return { ...image, providerMeta: liveMeta(plan.model, startedAt, text ? { notes: text } : {}), report };
    } catch (error) {
      if (error instanceof GeminiCallError) {
        throw toProviderError(error.original, { ...context, headers: error.headers });
      }
      throw toProviderError(error, context);
    }
  },
};
