/**
 * D1 access for job_tasks as a job runs: conditional transitions (as statements to batch, or run),
 * the task's state read back, its report and similarity, and the outcomes a summary counts.
 */
import type { JobStatus, JobTask } from "../types/domain";
import { type TaskRow, toTask } from "./jobs";

/** A job's tasks in order, as a statement (the job's start reads them back in its batch). */
export function tasksStatement(db: D1Database, jobId: string): D1PreparedStatement {
  return db.prepare("SELECT * FROM job_tasks WHERE job_id = ? ORDER BY ordinal").bind(jobId);
}

/** The rows of `tasksStatement` as tasks. */
export const toTasks = (rows: unknown[]): JobTask[] => (rows as TaskRow[]).map(toTask);

export interface TaskChange {
  status: JobStatus;
  progressionId?: string;
  skipped?: "duplicate";
  duplicateOf?: string;
  /** For a skipped duplicate: the distances that decided it (stored as JSON). */
  duplicateDistances?: Record<string, number>;
  error?: string;
  refinedPrompt?: string;
}

/** The conditional task update as a statement, for batching with the rows it belongs with. */
export function transitionTaskStatement(
  db: D1Database,
  taskId: string,
  from: JobStatus[],
  change: TaskChange,
  now: number,
) {
  const ended = change.status !== "queued" && change.status !== "running";
  return db
    .prepare(
      `UPDATE job_tasks SET status = ?, progression_id = COALESCE(?, progression_id), skipped = COALESCE(?, skipped),
         duplicate_of = COALESCE(?, duplicate_of), duplicate_distances = COALESCE(?, duplicate_distances),
         error = COALESCE(?, error), refined_prompt = COALESCE(?, refined_prompt),
         started_at = CASE WHEN ? = 'running' THEN COALESCE(started_at, ?) ELSE started_at END,
         finished_at = CASE WHEN ? THEN ? ELSE finished_at END
       WHERE id = ? AND status IN (SELECT value FROM json_each(?))`,
    )
    .bind(
      change.status,
      change.progressionId ?? null,
      change.skipped ?? null,
      change.duplicateOf ?? null,
      change.duplicateDistances ? JSON.stringify(change.duplicateDistances) : null,
      change.error ?? null,
      change.refinedPrompt ?? null,
      change.status,
      now,
      ended ? 1 : 0,
      now,
      taskId,
      JSON.stringify(from),
    );
}

/** Moves a task from one of `from` to the change's status; false when it was elsewhere (e.g. cancelled). */
export async function transitionTask(
  db: D1Database,
  taskId: string,
  from: JobStatus[],
  change: TaskChange,
  now: number,
) {
  const result = await transitionTaskStatement(db, taskId, from, change, now).run();
  return result.meta.changes > 0;
}

/** Each task's outcome with its progression's judgment, for a job summary. */
export function taskOutcomesStatement(db: D1Database, jobId: string): D1PreparedStatement {
  return db
    .prepare(
      `SELECT t.status, t.skipped, p.judgment FROM job_tasks t
       LEFT JOIN image_progressions p ON p.id = t.progression_id WHERE t.job_id = ?`,
    )
    .bind(jobId);
}

type OutcomeRow = { status: JobStatus; skipped: string | null; judgment: "pass" | "fail" | null };

export function toOutcomes(
  rows: unknown[],
): { status: JobStatus; skipped: "duplicate" | null; judgment: "pass" | "fail" | null }[] {
  return (rows as OutcomeRow[]).map((r) => ({
    ...r,
    skipped: r.skipped === "duplicate" ? "duplicate" : null,
  }));
}

export async function taskOutcomes(
  db: D1Database,
  jobId: string,
): Promise<{ status: JobStatus; skipped: "duplicate" | null; judgment: "pass" | "fail" | null }[]> {
  return toOutcomes((await taskOutcomesStatement(db, jobId).all()).results);
}

/**
 * A conditional transition that a replayed step can repeat: true when it moved the task, and also
 * when the task is already in the target status (the first run of the same step committed).
 */
export async function settleTask(
  db: D1Database,
  taskId: string,
  from: JobStatus[],
  change: TaskChange,
  now: number,
): Promise<boolean> {
  if (await transitionTask(db, taskId, from, change, now)) return true;
  return (await taskState(db, taskId))?.status === change.status;
}

/** A task's status, progression and skip, as a statement to end a batch with (read in the same round trip). */
export function taskStateStatement(db: D1Database, taskId: string): D1PreparedStatement {
  return db.prepare("SELECT status, progression_id, skipped FROM job_tasks WHERE id = ?").bind(taskId);
}

/** A task's current status and progression (null when there is no such task). */
export async function taskState(
  db: D1Database,
  taskId: string,
): Promise<{ status: JobStatus; progressionId: string | null } | null> {
  const row = await db
    .prepare("SELECT status, progression_id FROM job_tasks WHERE id = ?")
    .bind(taskId)
    .first<{ status: JobStatus; progression_id: string | null }>();
  return row ? { status: row.status, progressionId: row.progression_id } : null;
}

/** What a task's provider call was (src/jobs/report.ts), stored on the task; safe to repeat. */
export interface TaskReport {
  seed: number | null;
  model: string;
  width: number;
  height: number;
  latencyMs: number;
  usage?: Record<string, unknown>;
  costUsd: number | null;
  warnings: { provider: string; parameter: string; message: string }[];
}

export function recordReportStatement(db: D1Database, taskId: string, r: TaskReport): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE job_tasks SET seed = ?, model = ?, width = ?, height = ?, latency_ms = ?, usage_json = ?,
         cost_usd = ?, warnings_json = ? WHERE id = ?`,
    )
    .bind(
      r.seed,
      r.model,
      r.width,
      r.height,
      r.latencyMs,
      r.usage ? JSON.stringify(r.usage) : null,
      r.costUsd,
      JSON.stringify(r.warnings),
      taskId,
    );
}

/** How close a kept result is to its start image (distances, and whether within the thresholds). */
export function recordSimilarityStatement(
  db: D1Database,
  taskId: string,
  similar: { distances: Record<string, number>; nearlyIdentical: boolean },
): D1PreparedStatement {
  return db
    .prepare("UPDATE job_tasks SET similar_to_start = ? WHERE id = ?")
    .bind(JSON.stringify(similar), taskId);
}
