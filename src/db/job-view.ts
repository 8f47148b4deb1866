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
  seed: number | null;
  model: string | null;
  width: number | null;
  height: number | null;
  latency_ms: number | null;
  usage_json: string | null;
  cost_usd: number | null;
  warnings_json: string | null;
  similar_to_start: string | null;
}

const Warnings = z.array(z.object({ provider: z.string(), parameter: z.string(), message: z.string() }));
const Similarity = z.object({ distances: Distances, nearlyIdentical: z.boolean() });
const Usage = z.record(z.string(), z.unknown());

/** What the provider call was, where the task has one. */
function reportOf(t: TaskViewRow) {
  if (t.model === null) return {};
  return {
    model: t.model,
    seed: t.seed,
    ...(t.width !== null ? { width: t.width } : {}),
    ...(t.height !== null ? { height: t.height } : {}),
    ...(t.latency_ms !== null ? { latencyMs: t.latency_ms } : {}),
    ...(t.usage_json ? { usage: parseStoredJson(t.usage_json, Usage, {}, "job_tasks.usage_json") } : {}),
    costUsd: t.cost_usd,
    warnings: parseStoredJson(t.warnings_json, Warnings, [], "job_tasks.warnings_json"),
  };
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
              t.seed, t.model, t.width, t.height, t.latency_ms, t.usage_json, t.cost_usd, t.warnings_json, t.similar_to_start,
              p.generated_image_url, p.judgment
       FROM job_tasks t LEFT JOIN image_progressions p ON p.id = t.progression_id
       WHERE t.job_id = ? ORDER BY t.ordinal`,
    )
    .bind(job.id)
    .all<TaskViewRow>();
  const { maskR2Key: _internal, ...params } = job.params;
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
      ...reportOf(t),
      ...(t.similar_to_start
        ? {
            similarToStart: parseStoredJson(
              t.similar_to_start,
              Similarity,
              undefined,
              "job_tasks.similar_to_start",
            ),
          }
        : {}),
    })),
    params,
    totals: {
      images: results.filter((t) => t.progression_id !== null).length,
      costUsd: Math.round(results.reduce((sum, t) => sum + (t.cost_usd ?? 0), 0) * 1e6) / 1e6,
      latencyMs: results.reduce((sum, t) => sum + (t.latency_ms ?? 0), 0),
    },
    metadata: job.metadata,
    createdAt: job.createdAt,
    finishedAt: job.finishedAt,
  };
}
