/** The provider contract: every image provider is an adapter with honest `supports` and one `run`. */
import type { AppEnv } from "../lib/env";
import type { ImageOpKind, ProviderId } from "../lib/vocabulary";
import type { GenerationReport, GenerationSpec, ProviderCapabilities } from "./params";

export { IMAGE_OP_KINDS, type ImageOpKind } from "../lib/vocabulary";

/** One provider call: the refined prompt for one variant, with the start image for edit-type ops. */
export interface ImageOp {
  kind: ImageOpKind;
  /** The prompt after refinement for this provider. */
  prompt: string;
  variantIndex: number;
  startImage?: { bytes: Uint8Array; contentType: string };
  /** The generation parameters of this task (src/adapters/params.ts); absent in older callers. */
  spec?: GenerationSpec;
}

export interface ProviderResult {
  bytes: Uint8Array;
  contentType: "image/png" | "image/jpeg" | "image/webp" | "image/gif";
  /** Model, latency, revised prompt…; always `mode: 'offline' | 'live'`. */
  providerMeta: { mode: "offline" | "live"; [key: string]: unknown };
  /** Size, seed, model, usage and warnings of the call. */
  report: GenerationReport;
}

export interface ProviderAdapter {
  id: ProviderId;
  supports: readonly ImageOpKind[];
  /**
   * Why this provider cannot run here (the message its tasks would fail with: a missing key, a bad
   * setting, the AI binding outside a deployment), or null when it can. Reads configuration only.
   */
  unavailable(env: AppEnv): string | null;
  /** Per parameter native | approximate | unsupported, its models and sizes (published by GET /api/providers). */
  capabilities: ProviderCapabilities;
  run(op: ImageOp, env: AppEnv): Promise<ProviderResult>;
}

/**
 * A provider failure. `retryable` decides whether the workflow retries the step (429, 5xx,
 * timeouts) or fails the task at once (other 4xx, validation, not configured). The message is shown
 * to users in the task's `fail` event, so it never contains a secret.
 */
export class ProviderError extends Error {
  readonly retryable: boolean;
  readonly status?: number;

  constructor(message: string, options: { retryable: boolean; status?: number }) {
    super(message);
    this.name = "ProviderError";
    this.retryable = options.retryable;
    this.status = options.status;
  }
}
