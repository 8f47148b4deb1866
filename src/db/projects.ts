/** D1 access for the projects table. */
import { type Cursor, paginate } from "../lib/cursor";
import type { Project } from "../types/domain";

interface ProjectRow {
  id: string;
  name: string;
  description: string | null;
  created_at: number;
  updated_at: number;
}

const toProject = (row: ProjectRow): Project => ({
  id: row.id,
  name: row.name,
  description: row.description,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

export async function insertProject(db: D1Database, ownerId: string, project: Project): Promise<void> {
  await db
    .prepare(
      "INSERT INTO projects (id, owner_id, name, description, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(project.id, ownerId, project.name, project.description, project.createdAt, project.updatedAt)
    .run();
}

/**
 * A live project (not being deleted). With `ownerId`, only that owner's: another owner's id reads
 * exactly like an id that does not exist. Without it (the workflow, publishing), any live project.
 */
export async function getProject(db: D1Database, id: string, ownerId?: string): Promise<Project | null> {
  const row = await db
    .prepare("SELECT * FROM projects WHERE id = ?1 AND deleted_at IS NULL AND (?2 IS NULL OR owner_id = ?2)")
    .bind(id, ownerId ?? null)
    .first<ProjectRow>();
  return row ? toProject(row) : null;
}

/** Newest `updatedAt` first; ties broken by id so no row is skipped or repeated across pages. */
export async function listProjects(
  db: D1Database,
  ownerId: string,
  limit: number,
  after: Cursor | null,
): Promise<{ items: Project[]; nextCursor: string | null }> {
  const stmt = after
    ? db
        .prepare(
          `SELECT * FROM projects WHERE owner_id = ?4 AND deleted_at IS NULL
             AND (updated_at < ?1 OR (updated_at = ?1 AND id < ?2))
           ORDER BY updated_at DESC, id DESC LIMIT ?3`,
        )
        .bind(after.t, after.id, limit + 1, ownerId)
    : db
        .prepare(
          "SELECT * FROM projects WHERE owner_id = ?2 AND deleted_at IS NULL ORDER BY updated_at DESC, id DESC LIMIT ?1",
        )
        .bind(limit + 1, ownerId);
  const { results } = await stmt.all<ProjectRow>();
  const page = paginate(results.map(toProject), limit, (p) => ({ t: p.updatedAt, id: p.id }));
  return page;
}

/**
 * Applies a partial update. `updated_at` always moves strictly forward, even when two writes land in
 * the same millisecond, so clients can rely on it as a change marker.
 */
export async function updateProject(
  db: D1Database,
  ownerId: string,
  id: string,
  patch: { name?: string; description?: string | null },
  now: number,
): Promise<Project | null> {
  const row = await db
    .prepare(
      `UPDATE projects SET
         name = COALESCE(?2, name),
         description = CASE WHEN ?3 THEN ?4 ELSE description END,
         updated_at = MAX(?5, updated_at + 1)
       WHERE id = ?1 AND owner_id = ?6 AND deleted_at IS NULL RETURNING *`,
    )
    .bind(
      id,
      patch.name ?? null,
      patch.description !== undefined ? 1 : 0,
      patch.description ?? null,
      now,
      ownerId,
    )
    .first<ProjectRow>();
  return row ? toProject(row) : null;
}

/** Marks a project as changed (new progressions move it up the list). */
export function touchProjectStatement(db: D1Database, id: string, now: number): D1PreparedStatement {
  return db.prepare("UPDATE projects SET updated_at = MAX(?, updated_at + 1) WHERE id = ?").bind(now, id);
}
