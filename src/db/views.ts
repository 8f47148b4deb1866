/** D1 access for artifact_views: idempotent batch inserts and per-artifact stats. */

export interface ViewRecord {
  id: string;
  artifactId: string;
  timestamp: number;
  ip: string | null;
  country: string | null;
  city: string | null;
  userAgent: string | null;
}

/** One statement per view; `ON CONFLICT(id) DO NOTHING` makes a redelivered message a no-op. */
export function insertViewStatement(db: D1Database, v: ViewRecord): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO artifact_views (id, artifact_id, timestamp, ip_address, country, city, user_agent)
       VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING`,
    )
    .bind(v.id, v.artifactId, v.timestamp, v.ip, v.country, v.city, v.userAgent);
}

export async function viewStats(db: D1Database, artifactId: string, recentLimit = 20) {
  const [total, byCountry, recent] = await db.batch([
    db.prepare("SELECT COUNT(*) AS n FROM artifact_views WHERE artifact_id = ?").bind(artifactId),
    db
      .prepare(
        "SELECT COALESCE(country, 'unknown') AS cc, COUNT(*) AS n FROM artifact_views WHERE artifact_id = ? GROUP BY cc ORDER BY n DESC",
      )
      .bind(artifactId),
    db
      .prepare(
        `SELECT id, timestamp, ip_address, country, city, user_agent FROM artifact_views
         WHERE artifact_id = ? ORDER BY timestamp DESC, id DESC LIMIT ?`,
      )
      .bind(artifactId, recentLimit),
  ]);
  const rows = (recent?.results ?? []) as {
    id: string;
    timestamp: number;
    ip_address: string | null;
    country: string | null;
    city: string | null;
    user_agent: string | null;
  }[];
  return {
    total: ((total?.results ?? [])[0] as { n: number } | undefined)?.n ?? 0,
    byCountry: Object.fromEntries(
      ((byCountry?.results ?? []) as { cc: string; n: number }[]).map((r) => [r.cc, r.n]),
    ),
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
