/** Workflow step plumbing: retry policies, the logged step wrapper, actor publishing, error mapping. */
import type { WorkflowStep, WorkflowStepConfig } from "cloudflare:workers";
import { NonRetryableError } from "cloudflare:workflows";
import { ProviderError } from "../adapters/provider.types";
import { ProviderRateLimitError } from "../adapters/provider-errors";
import { eventId } from "../jobs/keys";
import { publishEventBatch } from "../lib/actor";
import type { AppEnv } from "../lib/env";
import type { Logger } from "../lib/logging";
import type { PublishEvent } from "../lib/ws-events";
import type { ProviderId } from "../schemas/common";

/**
 * Provider calls and Images work: transient failures (a lost connection, an overloaded binding, a
 * provider's 429/5xx) are retried with exponential backoff, 1 + 2 + 4 + 8 + 16 s, enough to ride out
 * a burst; permanent ones are thrown as NonRetryableError and not retried at all.
 */
export const RETRYING: WorkflowStepConfig = {
  retries: { limit: 5, delay: 1000, backoff: "exponential" },
  timeout: "2 minutes",
};
/** D1 writes and actor messages: quick and idempotent; a platform hiccup is retried for ~8 s. */
export const QUICK: WorkflowStepConfig = {
  retries: { limit: 5, delay: 250, backoff: "exponential" },
  timeout: "30 seconds",
};

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
  // Anything else (a platform error of Images, R2, D1, the actor) is left retryable.
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
 * Sends events to the session actor in one message, as one step. Each event gets an id from the job
 * and the step name (unless it has one), so a retried step is streamed once. The actor drops events
 * of a task that a cancellation closed, so nothing contradicts a task's `fail: cancelled`.
 */
export function publishStep(
  env: AppEnv,
  step: WorkflowStep,
  log: Logger,
  name: string,
  events: PublishEvent[],
  job: { id: string; sessionId: string },
): Promise<boolean> {
  const identified = events.map((e, i) => ({ ...e, id: e.id ?? eventId(job.id, name, i) }) as PublishEvent);
  return runStep(step, log, name, null, QUICK, async () => {
    const result = await publishEventBatch(env, job.sessionId, identified);
    if (!result.ok) throw new NonRetryableError(`invalid event: ${result.message}`);
    return true;
  });
}
