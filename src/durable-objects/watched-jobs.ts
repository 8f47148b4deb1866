/**
 * The jobs a session actor watches until they end, in its SQLite storage. The actor's alarm
 * reconciles each (src/jobs/recover.ts), so a job whose workflow died is resumed or ended even when
 * no client ever asks about it. Alarms are persisted, so this survives a restart of the server.
 */

/** How often a watching actor looks at its jobs. */
export const WATCH_INTERVAL_MS = 10_000;

export class WatchedJobs {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS watched_jobs (
      job_id TEXT PRIMARY KEY, session_id TEXT NOT NULL, since INTEGER NOT NULL)`);
  }

  watch(jobId: string, sessionId: string, now: number): void {
    this.sql.exec("INSERT OR IGNORE INTO watched_jobs VALUES (?, ?, ?)", jobId, sessionId, now);
  }

  unwatch(jobId: string): void {
    this.sql.exec("DELETE FROM watched_jobs WHERE job_id = ?", jobId);
  }

  list(): { jobId: string; sessionId: string }[] {
    return this.sql
      .exec<{ job_id: string; session_id: string }>(
        "SELECT job_id, session_id FROM watched_jobs ORDER BY since",
      )
      .toArray()
      .map((r) => ({ jobId: r.job_id, sessionId: r.session_id }));
  }

  count(): number {
    return this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM watched_jobs").one().n;
  }
}
