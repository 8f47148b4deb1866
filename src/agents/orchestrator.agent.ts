/**
 * The Orchestrator agent: the decisions of a job, with no I/O. Which tasks a job has, how far along
 * a task is, whether a result is a near-duplicate, and how the job ends. The workflow executes them.
 */
import type { ImageOpKind } from "../adapters/provider.types";
import { newId } from "../lib/ids";
import { hammingDistance } from "../lib/phash";
import type { ProviderId } from "../schemas/common";
import type { JobStatus, JobTask, Judgment } from "../types/domain";

/** Progress reported after each stage of a task (the last is always 1, just before the judge event). */
export const PROGRESS = { generated: 0.5, done: 1 } as const;

/** Edit-type operations need a start image (a parent progression or an ingested URL). */
export const needsStartImage = (kind: ImageOpKind): boolean => kind !== "generate";

/** A queued task with nothing done yet. */
function queuedTask(
  fields: Pick<JobTask, "jobId" | "ordinal" | "provider" | "variantIndex" | "attempt" | "parentTaskId">,
  now: number,
): JobTask {
  return {
    ...fields,
    id: newId(),
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
export function planTasks(jobId: string, providers: ProviderId[], variants: number, now: number): JobTask[] {
  return providers.flatMap((provider, p) =>
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
  );
}

/** Ordinals of retries sit above every first-attempt ordinal (at most 4 providers × 8 variants). */
const RETRY_ORDINAL_STRIDE = 100;

/** The child task of a judge-failed task: the next attempt of the same provider and variant. */
export function retryOf(parent: JobTask, now: number): JobTask {
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

/** The closest existing hash within `threshold` bits, or null: that result would be a near-duplicate. */
export function findDuplicate(
  phash: string,
  existing: { id: string; phash: string }[],
  threshold: number,
): { id: string; distance: number } | null {
  let best: { id: string; distance: number } | null = null;
  for (const candidate of existing) {
    const distance = hammingDistance(phash, candidate.phash);
    if (distance <= threshold && (best === null || distance < best.distance))
      best = { id: candidate.id, distance };
  }
  return best;
}

export interface TaskOutcome {
  status: JobStatus;
  skipped: "duplicate" | null;
  judgment: Judgment | null;
}

export interface JobSummary {
  total: number;
  passed: number;
  failed: number;
  skipped: number;
  cancelled: number;
}

/** Counts for the job-level `complete` event. A judged-fail result counts as failed. */
export function summarize(tasks: TaskOutcome[]): JobSummary {
  const summary = { total: tasks.length, passed: 0, failed: 0, skipped: 0, cancelled: 0 };
  for (const t of tasks) {
    if (t.status === "cancelled") summary.cancelled++;
    else if (t.status === "failed") summary.failed++;
    else if (t.skipped === "duplicate") summary.skipped++;
    else if (t.judgment === "pass") summary.passed++;
    else if (t.judgment === "fail") summary.failed++;
  }
  return summary;
}

/** A job completes when at least one task completed (duplicates included), fails when none did. */
export function finalStatus(tasks: TaskOutcome[]): "complete" | "failed" {
  return tasks.some((t) => t.status === "complete") ? "complete" : "failed";
}

/** The R2 key of a task's original: deterministic, so a retried step overwrites rather than duplicates. */
export const originalKey = (projectId: string, jobId: string, ordinal: number): string =>
  `project/${projectId}/jobs/${jobId}/orig/${ordinal}`;

/** The R2 key of a job's start image. */
export const startImageKey = (projectId: string, jobId: string): string =>
  `project/${projectId}/jobs/${jobId}/start`;
