/** D1 access for artifact_comments: a visitor's comment on a review board, optionally pinned to an image. */

export interface ArtifactComment {
  id: string;
  artifactId: string;
  progressionId: string | null;
  author: string | null;
  text: string;
  /** Pin position as fractions of the image's width and height; null for an unpinned comment. */
  x: number | null;
  y: number | null;
  createdAt: number;
}

interface CommentRow {
  id: string;
  artifact_id: string;
  progression_id: string | null;
  author: string | null;
  body: string;
  x: number | null;
  y: number | null;
  created_at: number;
}

const toComment = (r: CommentRow): ArtifactComment => ({
  id: r.id,
  artifactId: r.artifact_id,
  progressionId: r.progression_id,
  author: r.author,
  text: r.body,
  x: r.x,
  y: r.y,
  createdAt: r.created_at,
});

export async function insertComment(db: D1Database, c: ArtifactComment): Promise<void> {
  await db
    .prepare(
      `INSERT INTO artifact_comments (id, artifact_id, progression_id, author, body, x, y, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .bind(c.id, c.artifactId, c.progressionId, c.author, c.text, c.x, c.y, c.createdAt)
    .run();
}

/** A board's comments, oldest first (the order a conversation is read in), at most `limit`. */
export async function listComments(
  db: D1Database,
  artifactId: string,
  limit = 500,
): Promise<ArtifactComment[]> {
  const { results } = await db
    .prepare("SELECT * FROM artifact_comments WHERE artifact_id = ? ORDER BY created_at, id LIMIT ?")
    .bind(artifactId, limit)
    .all<CommentRow>();
  return results.map(toComment);
}

export async function countComments(db: D1Database, artifactId: string): Promise<number> {
  const row = await db
    .prepare("SELECT COUNT(*) AS n FROM artifact_comments WHERE artifact_id = ?")
    .bind(artifactId)
    .first<{ n: number }>();
  return row?.n ?? 0;
}
