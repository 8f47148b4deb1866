/**
 * Tasks whose stream has ended by cancellation, in the actor's SQLite storage. The actor is the one
 * place every event of a session passes through, so dropping late events of a cancelled task here
 * closes the race between a cancellation and a workflow step that was already in flight.
 */
export interface TaskRef {
  provider: string;
  variantIndex: number;
}

export class ClosedTasks {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS closed_tasks (
      job_id TEXT NOT NULL, provider TEXT NOT NULL, variant_index INTEGER NOT NULL,
      PRIMARY KEY (job_id, provider, variant_index))`);
  }

  close(jobId: string, tasks: TaskRef[]): void {
    for (const t of tasks) {
      this.sql.exec("INSERT OR IGNORE INTO closed_tasks VALUES (?, ?, ?)", jobId, t.provider, t.variantIndex);
    }
  }

  /** True for a task event (one with provider and variantIndex) of a closed task. */
  isClosed(data: { jobId: string; provider?: string; variantIndex?: number }): boolean {
    if (data.provider === undefined || data.variantIndex === undefined) return false;
    return (
      this.sql
        .exec(
          "SELECT 1 FROM closed_tasks WHERE job_id = ? AND provider = ? AND variant_index = ?",
          data.jobId,
          data.provider,
          data.variantIndex,
        )
        .toArray().length > 0
    );
  }
}
