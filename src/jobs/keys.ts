/**
 * Where a job's things live and what they are called: R2 keys of originals, derived row ids, task
 * labels (step names) and event ids. All deterministic, so a retried or replayed step overwrites or
 * finds what it made before instead of making it twice.
 */
import { derivedId } from "../lib/ids";
import type { JobTask } from "../types/domain";

/** The R2 key of a task's original. */
export const originalKey = (projectId: string, jobId: string, ordinal: number): string =>
  `project/${projectId}/jobs/${jobId}/orig/${ordinal}`;

/** The R2 key of a job's start image. */
export const startImageKey = (projectId: string, jobId: string): string =>
  `project/${projectId}/jobs/${jobId}/start`;

/** The R2 key of a job's inpaint mask (copied from the upload, so deleting the upload leaves the job whole). */
export const maskKey = (projectId: string, jobId: string): string =>
  `project/${projectId}/jobs/${jobId}/mask`;

/** A task's row id: one per (job, ordinal). */
export const taskId = (jobId: string, ordinal: number): Promise<string> => derivedId("task", jobId, ordinal);

/** The progression a task records: one per (job, ordinal). */
export const progressionIdOf = (jobId: string, ordinal: number): Promise<string> =>
  derivedId("progression", jobId, ordinal);

/** A task's name in step names, logs and event ids: `local#0`, `local#0.1` for the first retry. */
export const taskLabel = (task: Pick<JobTask, "provider" | "variantIndex" | "attempt">): string =>
  `${task.provider}#${task.variantIndex}${task.attempt > 0 ? `.${task.attempt}` : ""}`;

/**
 * The id of the `index`-th event published under a step name. Whoever publishes a task's `fail`
 * (its runner, the finish step, recovery, a cancellation) uses the step name `publish-fail <label>`,
 * and the job-level `complete` is always `publish-job-complete`, so the actor streams each once.
 */
export const eventId = (jobId: string, stepName: string, index: number): string =>
  `${jobId}/${stepName}/${index}`;

export const FAIL_STEP = (label: string) => `publish-fail ${label}`;

/** A task's `start` step name (the job's start uses it for each task's `running` id too). */
export const START_STEP = (task: Pick<JobTask, "provider" | "variantIndex" | "attempt">) =>
  `start ${taskLabel(task)}`;

/** The fields every task event carries: the job, the provider, the variant and a retry's attempt. */
export const taskEventIds = (
  jobId: string,
  task: Pick<JobTask, "provider" | "variantIndex" | "attempt">,
) => ({
  jobId,
  provider: task.provider,
  variantIndex: task.variantIndex,
  ...(task.attempt > 0 ? { attempt: task.attempt } : {}),
});
export const JOB_COMPLETE_STEP = "publish-job-complete";
