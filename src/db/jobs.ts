/** D1 access for jobs, job_tasks and idempotency_keys. Status changes are conditional transitions. */
import { z } from "zod";
import { JobParamsSchema } from "../jobs/params";
import { parseStoredJson } from "../lib/json";
import { ImageOpKinds, ProviderIds } from "../lib/vocabulary";
import type { Job, JobStatus, JobTask } from "../types/domain";
import { StoredWebhookSchema } from "../webhooks/events";

/** A `jobs` row as D1 returns it. */
export interface JobRow {
  id: string;
  project_id: string;
  owner_id: string;
  session_id: string;
  status: JobStatus;
  kind: string;
  prompt: string;
  request_json: string;
  start_image_url: string | null;
  start_image_r2_key: string | null;
  parent_progression_id: string | null;
  metadata: string;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
  heartbeat_at: number | null;
  origin: string | null;
  webhook_json: string | null;
}

/** A `job_tasks` row as D1 returns it. */
export interface TaskRow {
  id: string;
  job_id: string;
  ordinal: number;
  provider: string;
  variant_index: number;
  attempt: number;
  parent_task_id: string | null;
  status: JobStatus;
  progression_id: string | null;
  skipped: string | null;
  duplicate_of: string | null;
  error: string | null;
  refined_prompt: string | null;
  cost_usd?: number | null;
  started_at: number | null;
  finished_at: number | null;
  created_at: number;
}

const RequestJsonSchema = z.object({
  providers: z.array(ProviderIds),
  variants: z.number().int(),
  kind: ImageOpKinds,
  autoRetry: z.number().int().min(0).max(2).default(0),
  // Jobs stored before parameters existed have none: seed 0, nothing else.
  params: JobParamsSchema.default({ seed: 0 }),
});
const MetadataSchema = z.record(z.string(), z.unknown());

/** A jobs row as the domain type (request and metadata JSON parsed with zod). */
export function toJob(row: JobRow): Job {
  const request = parseStoredJson(
    row.request_json,
    RequestJsonSchema,
    { providers: [], variants: 0, kind: "generate", autoRetry: 0, params: { seed: 0 } },
    "jobs.request_json",
  );
  return {
    id: row.id,
    projectId: row.project_id,
    ownerId: row.owner_id,
    sessionId: row.session_id,
    status: row.status,
    kind: request.kind,
    prompt: row.prompt,
    providers: request.providers,
    variants: request.variants,
    autoRetry: request.autoRetry,
    params: request.params,
    startImageUrl: row.start_image_url,
    startImageR2Key: row.start_image_r2_key,
    parentProgressionId: row.parent_progression_id,
    metadata: parseStoredJson(row.metadata, MetadataSchema, {}, "jobs.metadata"),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    finishedAt: row.finished_at,
    heartbeatAt: row.heartbeat_at,
    origin: row.origin,
    webhook: row.webhook_json
      ? parseStoredJson(row.webhook_json, StoredWebhookSchema.nullable(), null, "jobs.webhook_json")
      : null,
  };
}

/** A job_tasks row as the domain type. */
export function toTask(row: TaskRow): JobTask {
  return {
    id: row.id,
    jobId: row.job_id,
    ordinal: row.ordinal,
    provider: ProviderIds.parse(row.provider),
    variantIndex: row.variant_index,
    attempt: row.attempt,
    parentTaskId: row.parent_task_id,
    status: row.status,
    progressionId: row.progression_id,
    skipped: row.skipped === "duplicate" ? "duplicate" : null,
    duplicateOf: row.duplicate_of,
    error: row.error,
    refinedPrompt: row.refined_prompt,
    costUsd: row.cost_usd ?? null,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    createdAt: row.created_at,
  };
}

/** The statements that create a job and its tasks; run them in one batch with whatever must go with them. */
export function insertJobStatements(db: D1Database, job: Job, tasks: JobTask[]): D1PreparedStatement[] {
  const request = JSON.stringify({
    providers: job.providers,
    variants: job.variants,
    kind: job.kind,
    autoRetry: job.autoRetry,
    params: job.params,
  });
  return [
    db
      .prepare(
        `INSERT INTO jobs (id, project_id, owner_id, session_id, status, kind, prompt, request_json, start_image_url,
           start_image_r2_key, parent_progression_id, metadata, created_at, updated_at, finished_at, origin, webhook_json)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?)`,
      )
      .bind(
        job.id,
        job.projectId,
        job.ownerId,
        job.sessionId,
        job.status,
        job.kind,
        job.prompt,
        request,
        job.startImageUrl,
        job.startImageR2Key,
        job.parentProgressionId,
        JSON.stringify(job.metadata),
        job.createdAt,
        job.updatedAt,
        job.origin,
        job.webhook ? JSON.stringify(job.webhook) : null,
      ),
    ...tasks.map((t) => insertTaskStatement(db, t)),
  ];
}

export function insertTaskStatement(db: D1Database, t: JobTask): D1PreparedStatement {
  return db
    .prepare(
      // Task ids are derived from (job, ordinal): a replayed insert finds its row and does nothing.
      `INSERT INTO job_tasks (id, job_id, ordinal, provider, variant_index, attempt, parent_task_id, status, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING`,
    )
    .bind(
      t.id,
      t.jobId,
      t.ordinal,
      t.provider,
      t.variantIndex,
      t.attempt,
      t.parentTaskId,
      t.status,
      t.createdAt,
    );
}

/** A job; with `ownerId`, only one of that owner's live projects (another owner's id reads like an unknown one). */
export async function getJob(db: D1Database, id: string, ownerId?: string): Promise<Job | null> {
  const row = await (ownerId === undefined
    ? db.prepare("SELECT * FROM jobs WHERE id = ?").bind(id)
    : db
        .prepare(
          `SELECT j.* FROM jobs j JOIN projects p ON p.id = j.project_id
           WHERE j.id = ? AND p.owner_id = ? AND p.deleted_at IS NULL`,
        )
        .bind(id, ownerId)
  ).first<JobRow>();
  return row ? toJob(row) : null;
}

/** The conditional job update as a statement (metadata, when given, is merged with json_patch). */
export function transitionJobStatement(
  db: D1Database,
  jobId: string,
  from: JobStatus[],
  to: JobStatus,
  now: number,
  metadata?: Record<string, unknown>,
): D1PreparedStatement {
  const finished = to === "complete" || to === "failed" || to === "cancelled" ? now : null;
  return db
    .prepare(
      `UPDATE jobs SET status = ?, updated_at = ?, finished_at = COALESCE(?, finished_at),
         metadata = CASE WHEN ? IS NULL THEN metadata ELSE json_patch(metadata, ?) END
       WHERE id = ? AND status IN (SELECT value FROM json_each(?))`,
    )
    .bind(
      to,
      now,
      finished,
      metadata ? 1 : null,
      JSON.stringify(metadata ?? {}),
      jobId,
      JSON.stringify(from),
    );
}

/** Removes a job that could not be started, with its tasks and idempotency key, in one batch. */
export async function deleteJob(db: D1Database, jobId: string): Promise<void> {
  await db.batch([
    db.prepare("DELETE FROM idempotency_keys WHERE job_id = ?").bind(jobId),
    db.prepare("DELETE FROM job_tasks WHERE job_id = ?").bind(jobId),
    db.prepare("DELETE FROM jobs WHERE id = ?").bind(jobId),
  ]);
}

/** Merges keys into a job's metadata JSON. */
export async function mergeJobMetadata(
  db: D1Database,
  jobId: string,
  patch: Record<string, unknown>,
  now: number,
) {
  await db
    .prepare("UPDATE jobs SET metadata = json_patch(metadata, ?), updated_at = ? WHERE id = ?")
    .bind(JSON.stringify(patch), now, jobId)
    .run();
}

/** The workflow is alive: written every few seconds while its run() executes. */
export async function touchHeartbeat(db: D1Database, jobId: string, now: number): Promise<void> {
  await db
    .prepare("UPDATE jobs SET heartbeat_at = ? WHERE id = ? AND status IN ('queued', 'running')")
    .bind(now, jobId)
    .run();
}
