/** Workflow step plumbing: retry policies, the logged step wrapper, publishing from a step, error mapping. */
import type { WorkflowStep, WorkflowStepConfig, WorkflowStepContext } from "cloudflare:workers";
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

/** A step's recorded outcome: its value, or the failure it ended with once retrying was over. */
type StepOutcome<T> = { settled: "value"; value: T } | { settled: "failed"; name: string; message: string };

/** The outcome a step records when it ends in failure (what a test mocks a failed step's result with). */
export function failedOutcome(err: unknown): StepOutcome<never> {
  const error = err instanceof Error ? err : new Error(String(err));
  return { settled: "failed", name: error.name, message: error.message };
}

/** The error a step ended with, rethrown in the workflow's own code (where runTask catches it). */
export class StepFailedError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/** Whether this attempt's failure is the step's last word: a permanent error, or no retry left. */
function isFinal(err: unknown, attempt: number | undefined, config: WorkflowStepConfig): boolean {
  if (
    err instanceof Error &&
    (err.name === "NonRetryableError" || err.message.startsWith("NonRetryableError"))
  )
    return true;
  return attempt !== undefined && attempt > (config.retries?.limit ?? 0);
}

/** One attempt of a step, as the run's `steps` log line lists it. */
export interface StepTiming {
  step: string;
  provider: ProviderId | null;
  /** When the attempt began (epoch ms), for a run's timeline. */
  at: number;
  ms: number;
  attempt: number;
}

/**
 * The attempts each workflow run made, by its `step` object (one per run), written as one `steps`
 * line when the run ends (`logStepTimings`) instead of one line per step: a log line costs the
 * isolate more CPU than most steps' own work, and a deployment pays per log event. A failed attempt
 * is logged at once as well (`step.failed`), so a run that never ends still leaves its trace.
 */
const timings = new WeakMap<WorkflowStep, StepTiming[]>();

/** Writes the run's `steps` line: every attempt this run executed (a replayed step is not among them). */
export function logStepTimings(step: WorkflowStep, log: Logger): void {
  const steps = timings.get(step) ?? [];
  timings.delete(step);
  if (steps.length === 0) return;
  log.info("steps", { steps, ms: steps.reduce((sum, s) => sum + s.ms, 0) });
}

/**
 * A step whose attempts are timed into the run's `steps` line (a failed one also logged at once as
 * `step.failed`). A transient failure is thrown, so the engine retries it with the step's backoff;
 * the final failure (a NonRetryableError, or the last attempt) is recorded as the step's result and
 * rethrown here as a `StepFailedError`. Expected failures never cross the engine's RPC boundary as
 * exceptions: workerd would print each one with a stack although the caller handles it.
 */
export async function runStep<T>(
  step: WorkflowStep,
  log: Logger,
  name: string,
  provider: ProviderId | null,
  config: WorkflowStepConfig,
  fn: (attempt: number) => Promise<T>,
): Promise<T> {
  const attempt = async (ctx?: WorkflowStepContext): Promise<StepOutcome<T>> => {
    const started = Date.now();
    const number = ctx?.attempt ?? 1;
    const record = () => {
      const timing = { step: name, provider, at: started, ms: Date.now() - started, attempt: number };
      const list = timings.get(step);
      if (list) list.push(timing);
      else timings.set(step, [timing]);
      return timing;
    };
    try {
      const value = await fn(number);
      record();
      return { settled: "value", value };
    } catch (err) {
      const final = isFinal(err, ctx?.attempt, config);
      log.warn("step.failed", {
        ...record(),
        final,
        error: err instanceof Error ? err.message : String(err),
      });
      if (!final) throw err;
      return failedOutcome(err);
    }
  };
  // Step results are plain JSON data (rows, ids, verdicts); the cast only bridges Rpc.Serializable's
  // inability to see through `Record<string, unknown>`.
  const outcome = (await step.do(
    name,
    config,
    attempt as unknown as () => Promise<Rpc.Serializable<never>>,
  )) as unknown as StepOutcome<T> | T;
  // A result recorded before outcomes were wrapped (an instance older than this code) is the value.
  if (typeof outcome !== "object" || outcome === null || !("settled" in outcome)) return outcome as T;
  if (outcome.settled === "failed") throw new StepFailedError(outcome.name, outcome.message);
  return outcome.value;
}

/**
 * Sends events to the session actor in one message, from inside the step whose state change they
 * report. Each event gets an id from the job and that step's name (unless it has one), so when the
 * step is retried or replayed the actor streams each event once. The actor drops events of a task
 * that a cancellation closed, so nothing contradicts a task's `fail: cancelled`.
 */
export async function publishEvents(
  env: AppEnv,
  job: { id: string; ownerId: string; sessionId: string },
  stepName: string,
  events: PublishEvent[],
): Promise<void> {
  const identified = events.map(
    (e, i) => ({ ...e, id: e.id ?? eventId(job.id, stepName, i) }) as PublishEvent,
  );
  const result = await publishEventBatch(env, job, identified);
  if (!result.ok) throw new NonRetryableError(`invalid event: ${result.message}`);
}
