/** What the live adapters share: config from env (zod), image bytes in and out, prompts for edit kinds. */
import { z } from "zod";
import type { AppEnv, SecretsAndVars } from "../lib/env";
import { sniffImageType } from "../lib/image-type";
import type { ProviderId } from "../schemas/common";
import { imageSize, PixelError } from "./mask";
import type { GenerationReport, Parameter, ParamWarning } from "./params";
import { type ImageOpKind, ProviderError, type ProviderResult } from "./provider.types";

/** Default per-call timeout of a live provider (`PROVIDER_TIMEOUT_MS`). */
export const DEFAULT_PROVIDER_TIMEOUT_MS = 60_000;
/** The workflow's generate step times out after 2 minutes; one call may use at most this. */
const MAX_PROVIDER_TIMEOUT_MS = 110_000;

type LiveProviderId = Exclude<ProviderId, "local">;
type EnvVar = keyof SecretsAndVars;

/** An unset or blank var is absent (an empty line in `.dev.vars` must not count as a key). */
const optionalText = z.preprocess(
  (value) => (typeof value === "string" && value.trim() === "" ? undefined : value),
  z.string().trim().optional(),
);

const TimeoutSchema = z.preprocess(
  (value) => (typeof value === "string" && value.trim() === "" ? undefined : value),
  z.coerce.number().int().min(1).max(MAX_PROVIDER_TIMEOUT_MS).default(DEFAULT_PROVIDER_TIMEOUT_MS),
);

/** Reads `PROVIDER_TIMEOUT_MS` (1..110000, default 60000). */
export function readTimeoutMs(env: AppEnv, provider: LiveProviderId): number {
  const parsed = TimeoutSchema.safeParse(env.PROVIDER_TIMEOUT_MS);
  if (!parsed.success) {
    throw new ProviderError(
      `${provider} is misconfigured: PROVIDER_TIMEOUT_MS must be an integer from 1 to ${MAX_PROVIDER_TIMEOUT_MS}`,
      { retryable: false },
    );
  }
  return parsed.data;
}

/** Reads a model-name var, falling back to the adapter's default. */
export function readModel(env: AppEnv, variable: EnvVar, fallback: string): string {
  return optionalText.safeParse(env[variable]).data ?? fallback;
}

/** The settings of an API-key provider (OpenAI, Gemini). */
export interface KeyedProviderConfig {
  apiKey: string;
  /** Without a trailing slash; undefined means the SDK's default host. */
  baseUrl?: string;
  model: string;
  timeoutMs: number;
}

/** Where an API-key provider reads its settings. */
export interface KeyedProviderVars {
  provider: LiveProviderId;
  keyVar: EnvVar;
  baseUrlVar: EnvVar;
  modelVar: EnvVar;
  defaultModel: string;
}

const BaseUrlSchema = z.url({ protocol: /^https?$/ }).transform((url) => url.replace(/\/+$/, ""));

/**
 * Validates one provider's settings. A missing key is "<id> is not configured: set <KEY>" (the
 * job tests assert that text); a bad base URL or timeout is "misconfigured". Both non-retryable.
 */
export function readKeyedConfig(env: AppEnv, vars: KeyedProviderVars): KeyedProviderConfig {
  const apiKey = optionalText.safeParse(env[vars.keyVar]).data;
  if (!apiKey) {
    throw new ProviderError(`${vars.provider} is not configured: set ${vars.keyVar}`, { retryable: false });
  }
  const rawBaseUrl = optionalText.safeParse(env[vars.baseUrlVar]).data;
  const baseUrl = rawBaseUrl === undefined ? undefined : BaseUrlSchema.safeParse(rawBaseUrl);
  if (baseUrl && !baseUrl.success) {
    throw new ProviderError(`${vars.provider} is misconfigured: ${vars.baseUrlVar} must be an http(s) URL`, {
      retryable: false,
    });
  }
  return {
    apiKey,
    baseUrl: baseUrl?.data,
    model: readModel(env, vars.modelVar, vars.defaultModel),
    timeoutMs: readTimeoutMs(env, vars.provider),
  };
}

/** A configuration check's verdict for `ProviderAdapter.unavailable`: its error's message, or null. */
export function unavailableIf(check: () => unknown): string | null {
  try {
    check();
    return null;
  } catch (err) {
    if (err instanceof ProviderError) return err.message;
    throw err;
  }
}

/** The four formats the pipeline stores and serves. */
export type ImageContentType = ProviderResult["contentType"];

/**
 * Checks that provider output is an image and names its format from the bytes themselves (a
 * provider's declared MIME type is only a claim). Anything else is a non-retryable error.
 */
export function checkImage(
  provider: LiveProviderId,
  bytes: Uint8Array,
): { bytes: Uint8Array; contentType: ImageContentType } {
  const contentType = sniffImageType(bytes);
  if (bytes.length === 0 || contentType === null) {
    throw new ProviderError(`${provider} returned data that is not a PNG, JPEG, WebP or GIF image`, {
      retryable: false,
    });
  }
  return { bytes, contentType };
}

/** Decodes base64 image data from a provider response and checks it is an image. */
export function decodeImage(
  provider: LiveProviderId,
  base64: string,
): { bytes: Uint8Array; contentType: ImageContentType } {
  let binary: string;
  try {
    binary = atob(base64.replace(/\s+/g, ""));
  } catch {
    // atob's own message ("invalid character") says nothing useful to a user; ours names the provider.
    throw new ProviderError(`${provider} returned image data that is not valid base64`, { retryable: false });
  }
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return checkImage(provider, bytes);
}

/** Base64 of some bytes (chunked, so large images do not overflow the argument list). */
export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) {
    binary += String.fromCharCode(...bytes.subarray(i, i + chunk));
  }
  return btoa(binary);
}

/** `providerMeta` of a live call. */
export function liveMeta(
  model: string,
  startedAt: number,
  extra: Record<string, unknown> = {},
): ProviderResult["providerMeta"] {
  return { mode: "live", model, latencyMs: Date.now() - startedAt, ...extra };
}

/** The start image of an edit-type op, or a non-retryable error naming what is missing. */
export function requireStartImage(
  provider: LiveProviderId,
  kind: ImageOpKind,
  startImage: { bytes: Uint8Array; contentType: string } | undefined,
): { bytes: Uint8Array; contentType: ImageContentType } {
  if (!startImage) {
    throw new ProviderError(`${provider}: ${kind} needs a start image`, { retryable: false });
  }
  const checked = sniffImageType(startImage.bytes);
  if (checked === null) {
    throw new ProviderError(`${provider}: the start image is not a PNG, JPEG, WebP or GIF image`, {
      retryable: false,
    });
  }
  return { bytes: startImage.bytes, contentType: checked };
}

/** Unsupported kinds fail at once: retrying cannot make a provider learn a new operation. */
export function unsupportedKind(provider: LiveProviderId, kind: ImageOpKind): ProviderError {
  return new ProviderError(`${provider} does not support ${kind}`, { retryable: false });
}

const EDIT_INSTRUCTIONS: Record<Exclude<ImageOpKind, "generate">, string> = {
  edit: "Edit this image",
  inpaint: "Repaint the part of this image that the request concerns, keeping the rest unchanged",
  outpaint: "Extend this image beyond its borders, keeping the existing content unchanged",
  variation: "Make a variation of this image, keeping its subject and composition",
  upscale: "Reproduce this image at a higher resolution with finer detail, changing nothing else",
};

/**
 * The prompt sent with a start image. Chat-style image models (OpenAI edits, Gemini) take one
 * instruction, so the kind becomes its first sentence and the user's prompt follows.
 */
export function editPrompt(kind: ImageOpKind, prompt: string): string {
  return kind === "generate" ? prompt : `${EDIT_INSTRUCTIONS[kind]}: ${prompt}`;
}

/** The approximations one call made, each said once in plain words (the task's `warnings`). */
export class Approximations {
  readonly warnings: ParamWarning[] = [];

  constructor(private readonly provider: LiveProviderId) {}

  add(parameter: Parameter, message: string): void {
    this.warnings.push({ provider: this.provider, parameter, message });
  }
}

/** The report of a call: the size read from the returned image's own header, and what was sent. */
export function buildReport(
  provider: LiveProviderId,
  bytes: Uint8Array,
  sent: Omit<GenerationReport, "width" | "height">,
): GenerationReport {
  const size = imageSize(bytes);
  if (!size) {
    throw new ProviderError(`${provider} returned an image whose header gives no size`, { retryable: false });
  }
  return { width: size.width, height: size.height, ...sent };
}

/** A negative prompt folded into the prompt, for models that take none. */
export const withAvoid = (prompt: string, negative: string): string => `${prompt}\n\nAvoid: ${negative}`;

/** What a prompt says for `strength` where no parameter can (0 = stay close, 1 = depart freely). */
export const strengthInstruction = (strength: number): string =>
  strength < 0.5
    ? "Stay close to the original image: change only what the request needs."
    : "The result may depart freely from the original image.";

/**
 * The model of a call: the job's choice (one the adapter publishes, or the configured default),
 * else the configured default. Anything else fails at once (the door should have refused it).
 */
export function chooseModel(
  provider: LiveProviderId,
  requested: string | undefined,
  configured: string,
  offered: readonly string[],
): string {
  if (requested === undefined || requested === configured || offered.includes(requested)) {
    return requested ?? configured;
  }
  throw new ProviderError(
    `${provider} has no model '${requested.slice(0, 100)}' (it offers ${offered.join(", ")})`,
    {
      retryable: false,
    },
  );
}

/** The item whose width/height ratio is nearest `ratio` (on a log scale, so 2:1 and 1:2 are as far from 1:1). */
export function nearestRatio<T>(items: readonly T[], ratio: number, ratioOfItem: (item: T) => number): T {
  let best = items[0];
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const item of items) {
    const distance = Math.abs(Math.log(ratioOfItem(item) / ratio));
    if (distance < bestDistance - 1e-9) {
      best = item;
      bestDistance = distance;
    }
  }
  if (best === undefined) throw new Error("nearestRatio needs at least one item");
  return best;
}

/** "WxH" → width / height. */
export function sizeRatio(size: string): number {
  const [w = 1, h = 1] = size.split("x").map(Number);
  return w / h;
}

/** The same shape (to rounding): anything else is an approximation and is said. */
export const sameRatio = (a: number, b: number): boolean => Math.abs(a / b - 1) < 1e-6;

/**
 * Runs the work before a call (masks, canvases): a mask or start image that cannot be read fails
 * at once; the Images binding failing is worth a retry.
 */
export async function preparing<T>(provider: LiveProviderId, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof ProviderError) throw err;
    if (err instanceof PixelError)
      throw new ProviderError(`${provider}: ${err.message}`, { retryable: false });
    const detail = err instanceof Error ? err.message : String(err);
    throw new ProviderError(`${provider}: preparing the start image failed: ${detail.slice(0, 200)}`, {
      retryable: true,
    });
  }
}
