/** Workflow step plumbing: retry policies, the logged step wrapper, actor publishing, error mapping. */
import type { WorkflowStep, WorkflowStepConfig } from "cloudflare:workers";
import { NonRetryableError } from "cloudflare:workflows";
import { ProviderError } from "../adapters/provider.types";
import { ProviderRateLimitError } from "../adapters/provider-errors";
import { publishEventBatch } from "../lib/actor";
import type { AppEnv } from "../lib/env";
import type { Logger } from "../lib/logging";
import type { PublishEvent } from "../lib/ws-events";
import type { ProviderId } from "../schemas/common";

/** Provider calls and Images work: transient failures are retried with exponential backoff. */
export const RETRYING: WorkflowStepConfig = {
  retries: { limit: 3, delay: 500, backoff: "exponential" },
  timeout: "2 minutes",
};
/** D1 writes and actor messages: quick, idempotent, a couple of retries. */
export const QUICK: WorkflowStepConfig = {
  retries: { limit: 2, delay: 200, backoff: "exponential" },
  timeout: "30 seconds",
};

/** Reads a non-negative integer var with a default. */
export function intVar(raw: string | undefined, fallback: number): number {
  const n = Number(raw);
  return raw !== undefined && raw !== "" && Number.isInteger(n) && n >= 0 ? n : fallback;
}

/** The user-facing text of a failed step (the runtime prefixes some messages with the error's class). */
export function taskErrorMessage(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.replace(/^(NonRetryableError|Error|ProviderError):\s*/, "").slice(0, 2000) || "the task failed";
}

/** The longest Retry-After the generate step waits out itself before letting the step retry. */
export const MAX_RETRY_AFTER_SECONDS = 30;
/** Random delay added before a retryable step failure is rethrown. */
export const MAX_JITTER_MS = 250;

/**
 * Maps a provider failure onto the workflow's retry rules (4xx/validation are permanent). A 429 with
 * Retry-After waits that long first (capped), so the step's own backoff starts after the provider's
 * window instead of hitting it again.
 */
export async function asStepError(err: unknown): Promise<Error> {
  if (err instanceof ProviderError && !err.retryable) return new NonRetryableError(err.message);
  if (err instanceof ProviderRateLimitError && err.retryAfterSeconds) {
    await new Promise((resolve) =>
      setTimeout(resolve, Math.min(err.retryAfterSeconds ?? 0, MAX_RETRY_AFTER_SECONDS) * 1000),
    );
  }
  return err instanceof Error ? err : new Error(String(err));
}

/** A step with a structured log line `{ jobId, sessionId, provider, step, ms }` when it runs. */
export function runStep<T>(
  step: WorkflowStep,
  log: Logger,
  name: string,
  provider: ProviderId | null,
  config: WorkflowStepConfig,
  fn: () => Promise<T>,
): Promise<T> {
  const timed = async () => {
    const started = Date.now();
    try {
      return await fn();
    } finally {
      log.info("step", { provider, step: name, ms: Date.now() - started });
    }
  };
  // Step results are plain JSON data (rows, ids, verdicts); the cast only bridges Rpc.Serializable's
  // inability to see through `Record<string, unknown>`.
  return step.do(name, config, timed as () => Promise<Rpc.Serializable<never>>) as unknown as Promise<T>;
}

/**
 * Sends events to the session actor in one message, as one step. The actor drops events of a task
 * that a cancellation closed, so nothing contradicts a task's `fail: cancelled`.
 */
export function publishStep(
  env: AppEnv,
  step: WorkflowStep,
  log: Logger,
  name: string,
  events: PublishEvent[],
  sessionId: string,
): Promise<boolean> {
  return runStep(step, log, name, null, QUICK, async () => {
    const result = await publishEventBatch(env, sessionId, events);
    if (!result.ok) throw new NonRetryableError(`invalid event: ${result.message}`);
    return true;
  });
}
