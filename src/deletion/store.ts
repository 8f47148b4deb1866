/** D1 access for deletions: the deletions table and the statements that remove a project's rows. */

export type DeletionStatus = "pending" | "running" | "complete";

export interface Deletion {
  id: string;
  ownerId: string;
  projectId: string;
  origin: string;
  status: DeletionStatus;
  passes: number;
  removedRows: number;
  removedObjects: number;
  lastError: string | null;
  createdAt: number;
  updatedAt: number;
  sweptAt: number | null;
  finishedAt: number | null;
}

interface DeletionRow {
  id: string;
  owner_id: string;
  project_id: string;
  origin: string;
  status: DeletionStatus;
  passes: number;
  removed_rows: number;
  removed_objects: number;
  last_error: string | null;
  created_at: number;
  updated_at: number;
  swept_at: number | null;
  finished_at: number | null;
}

const toDeletion = (r: DeletionRow): Deletion => ({
  id: r.id,
  ownerId: r.owner_id,
  projectId: r.project_id,
  origin: r.origin,
  status: r.status,
  passes: r.passes,
  removedRows: r.removed_rows,
  removedObjects: r.removed_objects,
  lastError: r.last_error,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  sweptAt: r.swept_at,
  finishedAt: r.finished_at,
});

/** A project of `ownerId`, live or already being deleted (a repeated DELETE finds its deletion). */
export async function ownedProjectState(
  db: D1Database,
  ownerId: string,
  projectId: string,
): Promise<{ deletedAt: number | null } | null> {
  const row = await db
    .prepare("SELECT deleted_at FROM projects WHERE id = ? AND owner_id = ?")
    .bind(projectId, ownerId)
    .first<{ deleted_at: number | null }>();
  return row ? { deletedAt: row.deleted_at } : null;
}

/** The artifacts linked to a project: those that belong only to it, and those shared with others. */
export async function projectArtifacts(
  db: D1Database,
  projectId: string,
): Promise<{ id: string; publicSlug: string; contentR2Key: string | null; shared: boolean }[]> {
  const { results } = await db
    .prepare(
      `SELECT a.id, a.public_slug, a.content_r2_key,
              EXISTS (SELECT 1 FROM project_artifacts o WHERE o.artifact_id = a.id AND o.project_id != ?1) AS shared
       FROM artifacts a JOIN project_artifacts pa ON pa.artifact_id = a.id
       WHERE pa.project_id = ?1`,
    )
    .bind(projectId)
    .all<{ id: string; public_slug: string; content_r2_key: string | null; shared: number }>();
  return results.map((r) => ({
    id: r.id,
    publicSlug: r.public_slug,
    contentR2Key: r.content_r2_key,
    shared: r.shared === 1,
  }));
}

/**
 * The request's own writes, in one batch: the project answers 404 from now on, its own artifacts
 * stop being public, and the deletion is recorded (once: a repeat keeps the first).
 */
export function startDeletionStatements(
  db: D1Database,
  d: Pick<Deletion, "id" | "ownerId" | "projectId" | "origin">,
  unpublish: string[],
  now: number,
): D1PreparedStatement[] {
  return [
    db
      .prepare("UPDATE projects SET deleted_at = COALESCE(deleted_at, ?) WHERE id = ? AND owner_id = ?")
      .bind(now, d.projectId, d.ownerId),
    db
      .prepare("UPDATE artifacts SET status = 'draft' WHERE id IN (SELECT value FROM json_each(?))")
      .bind(JSON.stringify(unpublish)),
    db
      .prepare(
        `INSERT INTO deletions (id, owner_id, project_id, origin, status, created_at, updated_at)
         VALUES (?, ?, ?, ?, 'pending', ?, ?) ON CONFLICT (id) DO NOTHING`,
      )
      .bind(d.id, d.ownerId, d.projectId, d.origin, now, now),
  ];
}

export async function getDeletion(db: D1Database, id: string, ownerId?: string): Promise<Deletion | null> {
  const row = await db
    .prepare("SELECT * FROM deletions WHERE id = ?1 AND (?2 IS NULL OR owner_id = ?2)")
    .bind(id, ownerId ?? null)
    .first<DeletionRow>();
  return row ? toDeletion(row) : null;
}

/** Deletions not finished yet, oldest first. */
export async function unfinishedDeletions(db: D1Database, limit = 5): Promise<Deletion[]> {
  const { results } = await db
    .prepare("SELECT * FROM deletions WHERE status != 'complete' ORDER BY updated_at LIMIT ?")
    .bind(limit)
    .all<DeletionRow>();
  return results.map(toDeletion);
}

/** Records one pass: what it removed, and whether the deletion is complete now. */
export async function recordPass(
  db: D1Database,
  id: string,
  pass: { rows: number; objects: number; complete: boolean; error: string | null },
  now: number,
): Promise<void> {
  await db
    .prepare(
      `UPDATE deletions SET passes = passes + 1, removed_rows = removed_rows + ?2,
         removed_objects = removed_objects + ?3, last_error = ?4, updated_at = ?5, swept_at = ?5,
         status = CASE WHEN ?6 THEN 'complete' ELSE 'running' END,
         finished_at = CASE WHEN ?6 THEN ?5 ELSE NULL END
       WHERE id = ?1 AND status != 'complete'`,
    )
    .bind(id, pass.rows, pass.objects, pass.error, now, pass.complete ? 1 : 0)
    .run();
}

/** Notes a pass that could not start yet (running jobs winding down), so the status says so. */
export async function touchDeletion(db: D1Database, id: string, note: string, now: number): Promise<void> {
  await db
    .prepare(
      "UPDATE deletions SET status = 'running', last_error = ?, updated_at = ? WHERE id = ? AND status != 'complete'",
    )
    .bind(note, now, id)
    .run();
}

/**
 * Every D1 row of a project, children first (foreign keys): the artifacts that belong only to it
 * (their configurations, comments and votes cascade; their views are removed here), its links to
 * shared artifacts, its progressions (fingerprints cascade), jobs (tasks and webhook deliveries
 * cascade), idempotency keys and finally the project row itself.
 */
export function projectRowStatements(
  db: D1Database,
  projectId: string,
  ownArtifacts: string[],
): D1PreparedStatement[] {
  const own = JSON.stringify(ownArtifacts);
  return [
    db.prepare("DELETE FROM artifact_views WHERE artifact_id IN (SELECT value FROM json_each(?))").bind(own),
    db
      .prepare("DELETE FROM artifact_view_daily WHERE artifact_id IN (SELECT value FROM json_each(?))")
      .bind(own),
    db.prepare("DELETE FROM artifacts WHERE id IN (SELECT value FROM json_each(?))").bind(own),
    db.prepare("DELETE FROM project_artifacts WHERE project_id = ?").bind(projectId),
    db.prepare("DELETE FROM image_progressions WHERE project_id = ?").bind(projectId),
    db.prepare("DELETE FROM jobs WHERE project_id = ?").bind(projectId),
    db.prepare("DELETE FROM idempotency_keys WHERE project_id = ?").bind(projectId),
    db.prepare("DELETE FROM projects WHERE id = ?").bind(projectId),
  ];
}

/** The R2 keys and delivery URLs of a project's progressions. */
export async function projectImages(
  db: D1Database,
  projectId: string,
): Promise<{ originalKey: string; url: string }[]> {
  const { results } = await db
    .prepare("SELECT original_image_r2_key, generated_image_url FROM image_progressions WHERE project_id = ?")
    .bind(projectId)
    .all<{ original_image_r2_key: string; generated_image_url: string }>();
  return results.map((r) => ({ originalKey: r.original_image_r2_key, url: r.generated_image_url }));
}

/** Jobs of the project that have not ended, and those whose workflow showed life in the last `recentMs`. */
export async function projectJobActivity(
  db: D1Database,
  projectId: string,
  now = Date.now(),
  recentMs = 20_000,
): Promise<{ unfinished: string[]; recent: string[] }> {
  const { results } = await db
    .prepare("SELECT id, status, heartbeat_at FROM jobs WHERE project_id = ?")
    .bind(projectId)
    .all<{ id: string; status: string; heartbeat_at: number | null }>();
  return {
    unfinished: results.filter((r) => r.status === "queued" || r.status === "running").map((r) => r.id),
    recent: results.filter((r) => (r.heartbeat_at ?? 0) > now - recentMs).map((r) => r.id),
  };
}

/** Which of these images' originals and delivery URLs progressions of other projects still use. */
export async function imagesUsedElsewhere(
  db: D1Database,
  projectId: string,
  images: { originalKey: string; url: string }[],
): Promise<{ keys: Set<string>; urls: Set<string> }> {
  if (images.length === 0) return { keys: new Set(), urls: new Set() };
  const { results } = await db
    .prepare(
      `SELECT original_image_r2_key, generated_image_url FROM image_progressions
       WHERE project_id != ?1 AND (original_image_r2_key IN (SELECT value FROM json_each(?2))
         OR generated_image_url IN (SELECT value FROM json_each(?3)))`,
    )
    .bind(
      projectId,
      JSON.stringify(images.map((i) => i.originalKey)),
      JSON.stringify(images.map((i) => i.url)),
    )
    .all<{ original_image_r2_key: string; generated_image_url: string }>();
  return {
    keys: new Set(results.map((r) => r.original_image_r2_key)),
    urls: new Set(results.map((r) => r.generated_image_url)),
  };
}

/** How many other progressions than `exceptId` still use an original key or a delivery URL (rollbacks share them). */
export async function sharedImageUses(
  db: D1Database,
  originalKey: string,
  url: string,
  exceptId: string,
): Promise<{ original: number; url: number }> {
  const row = await db
    .prepare(
      `SELECT
         (SELECT COUNT(*) FROM image_progressions WHERE original_image_r2_key = ?1 AND id != ?3) AS original,
         (SELECT COUNT(*) FROM image_progressions WHERE generated_image_url = ?2 AND id != ?3) AS url`,
    )
    .bind(originalKey, url, exceptId)
    .first<{ original: number; url: number }>();
  return { original: row?.original ?? 0, url: row?.url ?? 0 };
}

/** One progression's rows: its children are re-linked to its parent (their lineage stays readable). */
export function progressionRowStatements(
  db: D1Database,
  p: { id: string; parentProgressionId: string | null },
): D1PreparedStatement[] {
  return [
    db
      .prepare("UPDATE image_progressions SET parent_progression_id = ? WHERE parent_progression_id = ?")
      .bind(p.parentProgressionId, p.id),
    db.prepare("UPDATE job_tasks SET progression_id = NULL WHERE progression_id = ?").bind(p.id),
    db.prepare("DELETE FROM image_progressions WHERE id = ?").bind(p.id),
  ];
}

/** One artifact's rows (configurations, links, comments and votes cascade; raw and daily views go here). */
export function artifactRowStatements(db: D1Database, artifactId: string): D1PreparedStatement[] {
  return [
    db.prepare("DELETE FROM artifact_views WHERE artifact_id = ?").bind(artifactId),
    db.prepare("DELETE FROM artifact_view_daily WHERE artifact_id = ?").bind(artifactId),
    db.prepare("DELETE FROM artifacts WHERE id = ?").bind(artifactId),
  ];
}

/** Removes one comment of an artifact; true when there was one. */
export async function deleteCommentRow(
  db: D1Database,
  artifactId: string,
  commentId: string,
): Promise<boolean> {
  const res = await db
    .prepare("DELETE FROM artifact_comments WHERE id = ? AND artifact_id = ?")
    .bind(commentId, artifactId)
    .run();
  return (res.meta.changes ?? 0) > 0;
}

/** Sum of rows changed by a batch's results. */
export const changedRows = (results: D1Result[]): number =>
  results.reduce((n, r) => n + (r.meta.changes ?? 0), 0);
