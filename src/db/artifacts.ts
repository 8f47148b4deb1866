/** D1 access for artifacts, project_artifacts and artifact_configurations. */
import type { Artifact } from "../types/domain";

interface ArtifactRow {
  id: string;
  owner_id: string | null;
  type: string;
  title: string;
  output: Artifact["output"];
  status: Artifact["status"];
  public_slug: string;
  template_r2_key: string | null;
  content_r2_key: string | null;
  content_type: string | null;
  created_at: number;
  updated_at: number;
}

async function hydrate(db: D1Database, row: ArtifactRow): Promise<Artifact> {
  const [projects, config] = await db.batch([
    db.prepare("SELECT project_id FROM project_artifacts WHERE artifact_id = ? ORDER BY rowid").bind(row.id),
    db
      .prepare(
        "SELECT config_key, config_value FROM artifact_configurations WHERE artifact_id = ? ORDER BY config_key",
      )
      .bind(row.id),
  ]);
  const projectIds = ((projects?.results ?? []) as { project_id: string }[]).map((r) => r.project_id);
  const configuration = Object.fromEntries(
    ((config?.results ?? []) as { config_key: string; config_value: string | null }[]).map((r) => [
      r.config_key,
      r.config_value ?? "",
    ]),
  );
  return {
    id: row.id,
    ownerId: row.owner_id,
    type: row.type,
    title: row.title,
    output: row.output,
    status: row.status,
    publicSlug: row.public_slug,
    templateR2Key: row.template_r2_key,
    contentR2Key: row.content_r2_key,
    contentType: row.content_type,
    projectIds,
    configuration,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** An artifact; with `ownerId`, only that owner's (another owner's id reads like an unknown one). */
export async function getArtifact(db: D1Database, id: string, ownerId?: string): Promise<Artifact | null> {
  const row = await db
    .prepare("SELECT * FROM artifacts WHERE id = ?1 AND (?2 IS NULL OR owner_id = ?2)")
    .bind(id, ownerId ?? null)
    .first<ArtifactRow>();
  return row ? hydrate(db, row) : null;
}

export async function getArtifactBySlug(db: D1Database, slug: string): Promise<Artifact | null> {
  const row = await db
    .prepare("SELECT * FROM artifacts WHERE public_slug = ?")
    .bind(slug)
    .first<ArtifactRow>();
  return row ? hydrate(db, row) : null;
}

/** What a public page needs, for a published artifact only: one indexed lookup, no hydration. */
export async function getPublishedPage(
  db: D1Database,
  slug: string,
): Promise<{ id: string; contentR2Key: string; contentType: string | null } | null> {
  const row = await db
    .prepare(
      "SELECT id, content_r2_key, content_type FROM artifacts WHERE public_slug = ? AND status = 'published' AND content_r2_key IS NOT NULL",
    )
    .bind(slug)
    .first<{ id: string; content_r2_key: string; content_type: string | null }>();
  return row ? { id: row.id, contentR2Key: row.content_r2_key, contentType: row.content_type } : null;
}

/** The artifact row, its projects and its configuration, as statements for one batch. */
export function insertArtifactStatements(db: D1Database, a: Artifact): D1PreparedStatement[] {
  return [
    db
      .prepare(
        `INSERT INTO artifacts (id, owner_id, type, title, output, status, public_slug, template_r2_key, content_r2_key,
           content_type, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .bind(
        a.id,
        a.ownerId,
        a.type,
        a.title,
        a.output,
        a.status,
        a.publicSlug,
        a.templateR2Key,
        a.contentR2Key,
        a.contentType,
        a.createdAt,
        a.updatedAt,
      ),
    ...a.projectIds.map((p) => linkProjectStatement(db, a.id, p)),
    ...Object.entries(a.configuration).map(([k, v]) => setConfigurationStatement(db, a.id, k, v)),
  ];
}

export function linkProjectStatement(
  db: D1Database,
  artifactId: string,
  projectId: string,
): D1PreparedStatement {
  return db
    .prepare("INSERT OR IGNORE INTO project_artifacts (project_id, artifact_id) VALUES (?, ?)")
    .bind(projectId, artifactId);
}

export function setConfigurationStatement(
  db: D1Database,
  artifactId: string,
  key: string,
  value: string,
): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO artifact_configurations (artifact_id, config_key, config_value) VALUES (?, ?, ?)
       ON CONFLICT(artifact_id, config_key) DO UPDATE SET config_value = excluded.config_value`,
    )
    .bind(artifactId, key, value);
}

/** Records a (re-)render: where the content is, its type, and whether the artifact is now public. */
export function updateRenderStatement(
  db: D1Database,
  id: string,
  change: { contentR2Key: string | null; contentType: string | null; status: Artifact["status"] },
  now: number,
): D1PreparedStatement {
  return db
    .prepare(
      "UPDATE artifacts SET content_r2_key = ?, content_type = ?, status = ?, updated_at = MAX(?, updated_at + 1) WHERE id = ?",
    )
    .bind(change.contentR2Key, change.contentType, change.status, now, id);
}

/** Which of `ids` are live projects of `ownerId`. */
export async function existingProjectIds(
  db: D1Database,
  ids: string[],
  ownerId: string,
): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const { results } = await db
    .prepare(
      "SELECT id FROM projects WHERE id IN (SELECT value FROM json_each(?)) AND owner_id = ? AND deleted_at IS NULL",
    )
    .bind(JSON.stringify(ids), ownerId)
    .all<{ id: string }>();
  return new Set(results.map((r) => r.id));
}
