/**
 * Cancelling a job: unfinished tasks end `cancelled` in D1, then the stream and webhooks are told.
 * The workflow is not terminated: it winds down by itself (each task looks before its provider call
 * and before analysing a result, and every write is conditional on the task still running), so
 * nothing of a cancelled task is stored and no step is killed halfway. Terminating would abort the
 * engine mid-step, which the local runtime reports as an uncaught "Aborting engine" error.
 */

import { cancelJob } from "../db/job-endings";
import { taskOutcomes } from "../db/job-tasks";
import { getJob } from "../db/jobs";
import { closeTasks } from "../lib/actor";
import type { AppEnv } from "../lib/env";
import { notFound } from "../lib/errors";
import type { Logger } from "../lib/logging";
import type { JobStatus } from "../lib/vocabulary";
import { notifyJobEnded } from "../webhooks/enqueue";
import { jobCompleteEvent, summarize, taskFailEvent } from "./finish";

export async function cancelJobAndNotify(
  env: AppEnv,
  jobId: string,
  log: Logger,
): Promise<{ jobId: string; status: JobStatus }> {
  const job = await getJob(env.DB, jobId);
  if (!job) throw notFound("job");
  const { cancelled, tasks } = await cancelJob(env.DB, jobId, Date.now());
  if (!cancelled) return { jobId, status: job.status }; // already over: finished work is kept as it is

  const summary = summarize(await taskOutcomes(env.DB, jobId));
  const refs = tasks.map((t) => ({ provider: t.provider, variantIndex: t.variantIndex }));
  const published = await closeTasks(env, job, jobId, refs, [
    ...tasks.map((t) => taskFailEvent(jobId, t, "cancelled")),
    jobCompleteEvent(jobId, summary),
  ]);
  if (!published.ok) log.error("job.cancel_publish_failed", { jobId, error: published.message });
  await notifyJobEnded(env, jobId);
  return { jobId, status: "cancelled" };
}
