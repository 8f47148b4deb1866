/** What the live adapters share: config from env (zod), image bytes in and out, prompts for edit kinds. */
import { z } from "zod";
import type { AppEnv, SecretsAndVars } from "../lib/env";
import { sniffImageType } from "../lib/image-type";
import type { ProviderId } from "../schemas/common";
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
