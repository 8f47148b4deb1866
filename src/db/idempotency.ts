/** D1 access for idempotency_keys: one row per (project, key), written in the job's own batch. */

export interface IdempotencyRecord {
  bodyHash: string;
  jobId: string | null;
  responseJson: string | null;
}

export function insertIdempotencyStatement(
  db: D1Database,
  projectId: string,
  key: string,
  bodyHash: string,
  jobId: string,
  responseJson: string,
  now: number,
): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO idempotency_keys (project_id, key, body_hash, job_id, response_status, response_json, created_at)
       VALUES (?, ?, ?, ?, 202, ?, ?)`,
    )
    .bind(projectId, key, bodyHash, jobId, responseJson, now);
}

export async function getIdempotency(
  db: D1Database,
  projectId: string,
  key: string,
): Promise<IdempotencyRecord | null> {
  const row = await db
    .prepare("SELECT body_hash, job_id, response_json FROM idempotency_keys WHERE project_id = ? AND key = ?")
    .bind(projectId, key)
    .first<{ body_hash: string; job_id: string | null; response_json: string | null }>();
  return row ? { bodyHash: row.body_hash, jobId: row.job_id, responseJson: row.response_json } : null;
}
