/**
 * The JobSpec: a job's generation parameters, carried whole from the request schema through the
 * stored job (`jobs.request_json.params`) to every adapter. A new parameter is a field here and in
 * the request schema (src/schemas/jobs.ts), plus the adapters that map it (src/adapters/params.ts
 * declares it; each adapter's `capabilities` says native | approximate | unsupported).
 */
import type { GenerationSpec, MaskImage, Parameter, ParamSupport } from "../adapters/params";
import { MAX_SEED } from "../adapters/params";
import { getAdapter } from "../adapters/router";
import { ApiError } from "../lib/errors";
import { type ImageOpKind, type ProviderId, ProviderIds } from "../lib/vocabulary";
import type { JobParams } from "./params";

export { type JobParams, JobParamsSchema } from "./params";

/** A seed for a job that gave none: uniform over 0..MAX_SEED. */
export function drawSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0] ?? 0;
}

/** The seed of variant `index`: the job's seed + index, wrapping within 0..MAX_SEED. */
export const variantSeed = (seed: number, index: number): number => (seed + index) % (MAX_SEED + 1);

/** The parameters a job asks of every provider, given its kind (what must be honoured in substance). */
export function requestedParameters(
  kind: ImageOpKind,
  params: JobParams,
  explicitSeed: boolean,
): Parameter[] {
  const used: Parameter[] = [];
  if (params.aspectRatio && kind !== "outpaint") used.push("aspectRatio");
  if (explicitSeed) used.push("seed");
  if (params.negativePrompt) used.push("negativePrompt");
  if (params.strength !== undefined) used.push("strength");
  if (kind === "inpaint") used.push("mask");
  if (kind === "outpaint") used.push("outpaint");
  if (kind === "upscale") used.push("upscale");
  return used;
}

/** What a provider does with a parameter. */
export function supportOf(provider: ProviderId, parameter: Parameter): ParamSupport {
  return getAdapter(provider).capabilities.parameters[parameter];
}

/**
 * 400 before anything is written when a requested provider cannot honour a parameter in substance
 * (or a chosen model is not one it publishes); approximations are allowed and reported per task.
 */
export function requireParameters(
  providers: ProviderId[],
  kind: ImageOpKind,
  params: JobParams,
  explicitSeed: boolean,
): void {
  const details: Record<string, unknown>[] = [];
  const wanted = requestedParameters(kind, params, explicitSeed);
  for (const provider of providers) {
    for (const parameter of wanted) {
      if (supportOf(provider, parameter) === "unsupported")
        details.push({
          code: "unsupported_parameter",
          path: [parameter === "mask" ? "maskUploadId" : parameter],
          provider,
          parameter,
          message: `provider '${provider}' cannot honour '${parameter}'`,
        });
    }
  }
  for (const [provider, model] of Object.entries(params.models ?? {})) {
    const published = getAdapter(ProviderIds.parse(provider)).capabilities.models;
    if (!published.includes(model))
      details.push({
        code: "unsupported_model",
        path: ["models", provider],
        provider,
        parameter: "model",
        message: `provider '${provider}' has no model '${model}' (it offers ${published.join(", ") || "none to choose"})`,
      });
  }
  if (details.length === 0) return;
  throw new ApiError("invalid_request", details.map((d) => String(d.message)).join("; "), { details });
}

/** One task's GenerationSpec: the variant's seed, the provider's model, the mask's bytes. */
export function taskSpec(
  params: JobParams,
  provider: ProviderId,
  variantIndex: number,
  mask: MaskImage | undefined,
): GenerationSpec {
  return {
    seed: variantSeed(params.seed, variantIndex),
    ...(params.aspectRatio ? { aspectRatio: params.aspectRatio } : {}),
    ...(params.negativePrompt ? { negativePrompt: params.negativePrompt } : {}),
    ...(params.strength !== undefined ? { strength: params.strength } : {}),
    ...(params.models?.[provider] ? { model: params.models[provider] } : {}),
    ...(mask ? { mask } : {}),
    ...(params.outpaint ? { outpaint: params.outpaint } : {}),
    ...(params.upscale ? { upscale: params.upscale } : {}),
  };
}

/**
 * Outpaint margins that grow a `width`×`height` image to `aspect`, centred (the original stays in
 * the middle of the new canvas): the way "outpaint it to 16:9" becomes pixels.
 */
export function marginsToAspect(width: number, height: number, ratio: number) {
  if (width / height < ratio) {
    const extra = Math.max(0, Math.round(height * ratio) - width);
    return { left: Math.floor(extra / 2), right: Math.ceil(extra / 2), top: 0, bottom: 0 };
  }
  const extra = Math.max(0, Math.round(width / ratio) - height);
  return { left: 0, right: 0, top: Math.floor(extra / 2), bottom: Math.ceil(extra / 2) };
}
