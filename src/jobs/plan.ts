/**
 * A job's plan: which tasks it has (provider × variant, then judge-driven retries) and how far along
 * a task is. Pure decisions; every id is derived from the job, so a replayed step plans the same rows.
 */
import type { ImageOpKind, ProviderId } from "../lib/vocabulary";
import type { JobTask } from "../types/domain";
import { taskId } from "./keys";

/** Progress reported after each stage of a task (the last is always 1, just before the judge event). */
export const PROGRESS = { generated: 0.5, done: 1 } as const;

/** Edit-type operations need a start image (a parent progression or an ingested URL). */
export const needsStartImage = (kind: ImageOpKind): boolean => kind !== "generate";

type TaskFields = Pick<
  JobTask,
  "jobId" | "ordinal" | "provider" | "variantIndex" | "attempt" | "parentTaskId"
>;

/** A queued task with nothing done yet. */
async function queuedTask(fields: TaskFields, now: number): Promise<JobTask> {
  return {
    ...fields,
    id: await taskId(fields.jobId, fields.ordinal),
    status: "queued",
    progressionId: null,
    skipped: null,
    duplicateOf: null,
    error: null,
    refinedPrompt: null,
    startedAt: null,
    finishedAt: null,
    createdAt: now,
  };
}

/** One task per provider × variant, numbered in submission order (the ordinal names the R2 original). */
export function planTasks(
  jobId: string,
  providers: ProviderId[],
  variants: number,
  now: number,
): Promise<JobTask[]> {
  return Promise.all(
    providers.flatMap((provider, p) =>
      Array.from({ length: variants }, (_, variantIndex) =>
        queuedTask(
          {
            jobId,
            ordinal: p * variants + variantIndex,
            provider,
            variantIndex,
            attempt: 0,
            parentTaskId: null,
          },
          now,
        ),
      ),
    ),
  );
}

/** Ordinals of retries sit above every first-attempt ordinal (at most 4 providers × 8 variants). */
const RETRY_ORDINAL_STRIDE = 100;

/** The child task of a judge-failed task: the next attempt of the same provider and variant. */
export function retryOf(parent: JobTask, now: number): Promise<JobTask> {
  const attempt = parent.attempt + 1;
  return queuedTask(
    {
      jobId: parent.jobId,
      ordinal: (parent.ordinal % RETRY_ORDINAL_STRIDE) + attempt * RETRY_ORDINAL_STRIDE,
      provider: parent.provider,
      variantIndex: parent.variantIndex,
      attempt,
      parentTaskId: parent.id,
    },
    now,
  );
}
