/** The job status view: a job with its tasks and what each produced (CONTRACT.md GET /api/jobs/:jobId). */
import { z } from "zod";
import { parseStoredJson } from "../lib/json";
import type { JobStatus, Judgment, ProviderId } from "../lib/vocabulary";
import type { Job } from "../types/domain";
import { getJob } from "./jobs";

const Distances = z.record(z.string(), z.number());

interface TaskViewRow {
  provider: ProviderId;
  variant_index: number;
  attempt: number;
  status: JobStatus;
  progression_id: string | null;
  skipped: string | null;
  duplicate_of: string | null;
  duplicate_distances: string | null;
  error: string | null;
  generated_image_url: string | null;
  judgment: Judgment | null;
}

/** The view of a job by id; null when there is none. */
export async function getJobStatus(db: D1Database, jobId: string) {
  const job = await getJob(db, jobId);
  return job ? jobView(db, job) : null;
}

/** The view of a job already read: its tasks and what each produced. */
export async function jobView(db: D1Database, job: Job) {
  const { results } = await db
    .prepare(
      `SELECT t.provider, t.variant_index, t.attempt, t.status, t.progression_id, t.skipped, t.duplicate_of, t.duplicate_distances, t.error,
              p.generated_image_url, p.judgment
       FROM job_tasks t LEFT JOIN image_progressions p ON p.id = t.progression_id
       WHERE t.job_id = ? ORDER BY t.ordinal`,
    )
    .bind(job.id)
    .all<TaskViewRow>();
  return {
    jobId: job.id,
    projectId: job.projectId,
    sessionId: job.sessionId,
    status: job.status,
    prompt: job.prompt,
    kind: job.kind,
    tasks: results.map((t) => ({
      provider: t.provider,
      variantIndex: t.variant_index,
      ...(t.attempt > 0 ? { attempt: t.attempt } : {}),
      status: t.status,
      ...(t.progression_id ? { progressionId: t.progression_id } : {}),
      ...(t.generated_image_url ? { generatedImageUrl: t.generated_image_url } : {}),
      ...(t.judgment ? { judgment: t.judgment } : {}),
      ...(t.error ? { error: t.error } : {}),
      ...(t.skipped === "duplicate" ? { skipped: "duplicate" as const } : {}),
      ...(t.duplicate_of ? { duplicateOf: t.duplicate_of } : {}),
      ...(t.duplicate_distances
        ? {
            distances: parseStoredJson(t.duplicate_distances, Distances, {}, "job_tasks.duplicate_distances"),
          }
        : {}),
    })),
    metadata: job.metadata,
    createdAt: job.createdAt,
    finishedAt: job.finishedAt,
  };
}
