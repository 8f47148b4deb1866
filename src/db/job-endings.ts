/**
 * D1 statements that end a job: cancellation, and the one ending the workflow, recovery and the
 * finish step share (unfinished tasks fail with a reason, the job's final status follows).
 */
import { ProviderIds } from "../lib/vocabulary";
import type { JobTask } from "../types/domain";
import { type TaskRow, toTask } from "./jobs";

/** Cancels a job and its unfinished tasks in one batch; returns the tasks it cancelled (none if already ended). */
export async function cancelJob(
  db: D1Database,
  jobId: string,
  now: number,
): Promise<{ cancelled: boolean; tasks: JobTask[] }> {
  const [job, tasks] = await db.batch([
    db
      .prepare(
        `UPDATE jobs SET status = 'cancelled', updated_at = ?, finished_at = ?
         WHERE id = ? AND status IN ('queued', 'running') RETURNING id`,
      )
      .bind(now, now, jobId),
    db
      .prepare(
        `UPDATE job_tasks SET status = 'cancelled', error = 'cancelled', finished_at = ?
         WHERE job_id = ? AND status IN ('queued', 'running')
         RETURNING *`,
      )
      // A job only ends once all its tasks have, so this touches nothing when the job was already over.
      .bind(now, jobId),
  ]);
  const cancelled = (job?.results.length ?? 0) > 0;
  return { cancelled, tasks: cancelled ? ((tasks?.results ?? []) as unknown as TaskRow[]).map(toTask) : [] };
}

/**
 * Ending a job in one transaction: its unfinished tasks fail with `reason`, then the job moves from
 * queued/running to complete (a task completed) or failed. A cancelled or finished job is untouched.
 */
export function endJobStatements(db: D1Database, jobId: string, reason: string, now: number) {
  return [
    db
      .prepare(
        `UPDATE job_tasks SET status = 'failed', error = ?, finished_at = ?
         WHERE job_id = ? AND status IN ('queued', 'running')`,
      )
      .bind(reason, now, jobId),
    db
      .prepare(
        `UPDATE jobs SET updated_at = ?, finished_at = ?,
           status = CASE WHEN EXISTS (SELECT 1 FROM job_tasks WHERE job_id = jobs.id AND status = 'complete')
                         THEN 'complete' ELSE 'failed' END
         WHERE id = ? AND status IN ('queued', 'running')`,
      )
      .bind(now, now, jobId),
  ];
}

/** Tasks of a job that failed with exactly `error` (what an ending did, found again on a repeat). */
export function tasksEndedWithStatement(db: D1Database, jobId: string, error: string): D1PreparedStatement {
  return db
    .prepare(
      `SELECT provider, variant_index, attempt FROM job_tasks
       WHERE job_id = ? AND status = 'failed' AND error = ? ORDER BY ordinal`,
    )
    .bind(jobId, error);
}

export function toEndedTasks(rows: unknown[]): Pick<JobTask, "provider" | "variantIndex" | "attempt">[] {
  return (rows as { provider: string; variant_index: number; attempt: number }[]).map((r) => ({
    provider: ProviderIds.parse(r.provider),
    variantIndex: r.variant_index,
    attempt: r.attempt,
  }));
}
