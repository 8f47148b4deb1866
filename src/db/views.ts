/**
 * D1 access for artifact views: idempotent inserts (one row per visitor, artifact and UTC day),
 * the daily salts visitors are hashed with, folding old rows into daily counts, and per-artifact stats.
 */

export interface ViewRecord {
  id: string;
  artifactId: string;
  timestamp: number;
  ip: string | null;
  country: string | null;
  city: string | null;
  userAgent: string | null;
  /** The salted visitor hash (src/views/visitor.ts); null for messages sent before it existed. */
  visitor: string | null;
  /** The UTC day of `timestamp`, `YYYY-MM-DD`. */
  day: string;
}

/**
 * One statement per view. `ON CONFLICT DO NOTHING` covers both the view id (a redelivered message)
 * and the unique (artifact_id, visitor, day) index (the same visitor again that day): neither writes.
 */
export function insertViewStatement(db: D1Database, v: ViewRecord): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO artifact_views (id, artifact_id, timestamp, ip_address, country, city, user_agent, visitor, day)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
    )
    .bind(v.id, v.artifactId, v.timestamp, v.ip, v.country, v.city, v.userAgent, v.visitor, v.day);
}

/**
 * The salt of `day`: `candidate` if no isolate made one first, else theirs (INSERT OR IGNORE, then
 * read back, in one batch). Salts of days before `keepFrom` are deleted in the same batch.
 */
export async function ensureViewSalt(
  db: D1Database,
  day: string,
  candidate: string,
  keepFrom: string,
): Promise<string> {
  const [, read] = await db.batch([
    db.prepare("INSERT OR IGNORE INTO view_salts (day, salt) VALUES (?, ?)").bind(day, candidate),
    db.prepare("SELECT salt FROM view_salts WHERE day = ?").bind(day),
    db.prepare("DELETE FROM view_salts WHERE day < ?").bind(keepFrom),
  ]);
  const salt = (read?.results?.[0] as { salt?: unknown } | undefined)?.salt;
  if (typeof salt !== "string") throw new Error(`view salt of ${day} could not be read back`);
  return salt;
}

/** Deletes the salts of days before `keepFrom` (also done on every new day's first view). */
export async function deleteViewSaltsBefore(db: D1Database, keepFrom: string): Promise<number> {
  const result = await db.prepare("DELETE FROM view_salts WHERE day < ?").bind(keepFrom).run();
  return result.meta.changes ?? 0;
}

/**
 * Folds the oldest `size` raw views before `cutoff` into artifact_view_daily (by artifact, day and
 * country, adding to what is there) and deletes them, both in one D1 batch (one transaction), so each
 * view is counted exactly once: either as its row or in a daily count. Returns the daily counts
 * written and the rows deleted; fewer than `size` deleted means nothing older is left.
 */
export async function foldViewChunk(
  db: D1Database,
  cutoff: number,
  size: number,
): Promise<{ folded: number; deleted: number }> {
  const last = await db
    .prepare(
      "SELECT timestamp, id FROM artifact_views WHERE timestamp < ? ORDER BY timestamp, id LIMIT 1 OFFSET ?",
    )
    .bind(cutoff, size - 1)
    .first<{ timestamp: number; id: string }>();
  // The chunk: every row up to the size-th oldest, or all of them when fewer remain.
  const where = last ? "timestamp < ? AND (timestamp < ? OR (timestamp = ? AND id <= ?))" : "timestamp < ?";
  const binds = last ? [cutoff, last.timestamp, last.timestamp, last.id] : [cutoff];
  const [upsert, removed] = await db.batch([
    db
      .prepare(
        `INSERT INTO artifact_view_daily (artifact_id, day, country, views)
         SELECT artifact_id, COALESCE(day, strftime('%Y-%m-%d', timestamp / 1000, 'unixepoch')),
                COALESCE(country, 'unknown'), COUNT(*)
         FROM artifact_views WHERE ${where} GROUP BY 1, 2, 3
         ON CONFLICT(artifact_id, day, country) DO UPDATE SET views = views + excluded.views`,
      )
      .bind(...binds),
    db.prepare(`DELETE FROM artifact_views WHERE ${where}`).bind(...binds),
  ]);
  return { folded: upsert?.meta.changes ?? 0, deleted: removed?.meta.changes ?? 0 };
}

interface RecentRow {
  id: string;
  timestamp: number;
  ip_address: string | null;
  country: string | null;
  city: string | null;
  user_agent: string | null;
}

/** `GET /api/artifacts/:id/views`: raw rows plus the folded daily counts; `recent` is raw rows only. */
export async function viewStats(db: D1Database, artifactId: string, recentLimit = 20) {
  const [byCountry, recent] = await db.batch([
    db
      .prepare(
        `SELECT cc, SUM(n) AS n FROM (
           SELECT COALESCE(country, 'unknown') AS cc, COUNT(*) AS n FROM artifact_views WHERE artifact_id = ? GROUP BY cc
           UNION ALL
           SELECT country AS cc, SUM(views) AS n FROM artifact_view_daily WHERE artifact_id = ? GROUP BY country
         ) GROUP BY cc ORDER BY n DESC, cc`,
      )
      .bind(artifactId, artifactId),
    db
      .prepare(
        `SELECT id, timestamp, ip_address, country, city, user_agent FROM artifact_views
         WHERE artifact_id = ? ORDER BY timestamp DESC, id DESC LIMIT ?`,
      )
      .bind(artifactId, recentLimit),
  ]);
  const countries = (byCountry?.results ?? []) as { cc: string; n: number }[];
  const rows = (recent?.results ?? []) as RecentRow[];
  return {
    total: countries.reduce((sum, r) => sum + r.n, 0),
    byCountry: Object.fromEntries(countries.map((r) => [r.cc, r.n])),
    recent: rows.map((r) => ({
      id: r.id,
      timestamp: r.timestamp,
      ipAddress: r.ip_address,
      country: r.country,
      city: r.city,
      userAgent: r.user_agent,
    })),
  };
}
