/**
 * Recovery: a job whose workflow went quiet is resumed, else ended. A running workflow writes a
 * heartbeat every few seconds; when it stops (the server was killed, the isolate evicted, the
 * workflow errored outside its tasks) the job would otherwise stay `running` for ever.
 *
 * Reconciling runs from the session actor's alarm (no client needed) and when a job is read. A quiet
 * job whose workflow instance still claims to run is re-initialised once (locally, `create` on an
 * existing id re-enters the engine, which replays recorded steps and runs the rest; in production
 * the platform resumes instances itself and `create` refuses, which is harmless). If it stays quiet,
 * or the instance is gone, its unfinished tasks fail with a reason and the job ends.
 */
import { getJob, mergeJobMetadata } from "../db/jobs";
import type { PublishResult } from "../durable-objects/picasso.do";
import { closeTasks, type SessionAddress } from "../lib/actor";
import type { AppEnv } from "../lib/env";
import { createLogger } from "../lib/logging";
import { errorText } from "../lib/transient";
import { intVar } from "../lib/vars";
import { isTerminal } from "../lib/vocabulary";
import type { PublishEvent } from "../lib/ws-events";
import type { Job } from "../types/domain";
import { notifyJobEnded } from "../webhooks/enqueue";
import { endingEvents, endJob } from "./finish";

/** A live workflow writes its heartbeat this often. */
export const HEARTBEAT_MS = 5_000;
/** Default for JOB_STALE_MS: several missed heartbeats and more than any step's retry backoff. */
export const DEFAULT_STALE_MS = 30_000;
/** A workflow instance the platform has queued (not started) is left alone for this long. */
const QUEUED_LIMIT_MS = 10 * 60_000;

export const staleAfterMs = (env: AppEnv): number => intVar(env.JOB_STALE_MS, DEFAULT_STALE_MS);

/** Error text of tasks ended by recovery. */
export const INTERRUPTED =
  "interrupted: the job's workflow stopped (server restart or eviction) and could not resume";
const STOPPED = (status: string) =>
  `interrupted: the job's workflow ended (${status}) before this task finished`;

/** Publishes an ending to the job's session and closes its tasks (the actor drops later events). */
export type EndingSink = (
  session: SessionAddress,
  jobId: string,
  tasks: { provider: string; variantIndex: number }[],
  events: PublishEvent[],
) => Promise<PublishResult>;

const actorSink =
  (env: AppEnv): EndingSink =>
  (session, jobId, tasks, events) =>
    closeTasks(env, session, jobId, tasks, events);

export type Reconciled = "finished" | "alive" | "resumed" | "ended";

const log = createLogger({ module: "recover" });

/** The workflow instance's status, `missing` when there is none, `unknown` when it cannot be read. */
async function instanceStatus(env: AppEnv, jobId: string): Promise<string> {
  let instance: WorkflowInstance;
  try {
    instance = await env.PICASSO_WORKFLOW.get(jobId);
  } catch {
    return "missing";
  }
  try {
    return (await instance.status()).status;
  } catch {
    return "unknown";
  }
}

const GONE = new Set(["missing", "errored", "terminated", "complete"]);

/** How long a resume waits for the workflow's first heartbeat. */
const RESUME_WAIT_MS = 15_000;

/**
 * Waits until the job's heartbeat is newer than `since` (the resumed run's first act), up to
 * `timeoutMs`. Staying here matters locally: the engine's re-initialisation is the binding's
 * waitUntil work, and it only reliably gets going while the caller's context is still alive.
 */
async function heartbeatAfter(
  env: AppEnv,
  jobId: string,
  since: number,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const job = await getJob(env.DB, jobId);
    if (!job || isTerminal(job.status) || (job.heartbeatAt ?? 0) > since) return true;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return false;
}

/**
 * Looks at one job (by id, or as a caller just read it) and resumes or ends it when its workflow has
 * gone quiet. Safe to run concurrently.
 */
export async function reconcileJob(
  env: AppEnv,
  target: string | Job,
  now = Date.now(),
  sink: EndingSink = actorSink(env),
): Promise<Reconciled> {
  const jobId = typeof target === "string" ? target : target.id;
  const job = typeof target === "string" ? await getJob(env.DB, target) : target;
  if (!job || isTerminal(job.status)) return "finished";
  const recovery = (job.metadata.recovery ?? {}) as { resumedAt?: unknown };
  const resumedAt = typeof recovery.resumedAt === "number" ? recovery.resumedAt : null;
  const lastSign = Math.max(job.heartbeatAt ?? 0, job.createdAt, resumedAt ?? 0);
  if (now - lastSign < staleAfterMs(env)) return "alive";

  const status = await instanceStatus(env, jobId);
  if (status === "queued" && now - job.createdAt < QUEUED_LIMIT_MS) return "alive";
  if (!GONE.has(status) && resumedAt === null) {
    try {
      await env.PICASSO_WORKFLOW.create({ id: jobId, params: { jobId, origin: job.origin ?? "" } });
    } catch (err) {
      log.info("job.resume_refused", { jobId, status, error: errorText(err) });
    }
    await mergeJobMetadata(env.DB, jobId, { recovery: { resumedAt: now, workflowStatus: status } }, now);
    const alive = await heartbeatAfter(env, jobId, now, RESUME_WAIT_MS);
    log.warn("job.resumed", {
      jobId,
      sessionId: job.sessionId,
      workflowStatus: status,
      quietMs: now - lastSign,
      alive,
    });
    return "resumed";
  }

  const reason = GONE.has(status) ? STOPPED(status) : INTERRUPTED;
  const ending = await endJob(env.DB, jobId, reason, now);
  await mergeJobMetadata(env.DB, jobId, { recovery: { endedAt: now, workflowStatus: status, reason } }, now);
  const refs = ending.ended.map((t) => ({ provider: t.provider, variantIndex: t.variantIndex }));
  const published = await sink(job, jobId, refs, endingEvents(jobId, ending, reason));
  if (!published.ok) log.error("job.recovery_publish_failed", { jobId, error: published.message });
  await notifyJobEnded(env, jobId);
  if (!GONE.has(status)) {
    // Stop a zombie that might wake later; its writes are conditional and its events dropped anyway.
    await env.PICASSO_WORKFLOW.get(jobId)
      .then((i) => i.terminate())
      .catch(() => undefined);
  }
  log.warn("job.ended_by_recovery", {
    jobId,
    sessionId: job.sessionId,
    workflowStatus: status,
    status: ending.status,
  });
  return "ended";
}
