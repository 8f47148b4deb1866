/** D1 access for image_fingerprints and their bands: storing a progression's fingerprint, bounded lookup. */
import { parseStoredJson } from "../lib/json";
import { probeBandKeys, storedBandKeys } from "../lib/near-duplicate/bands";
import { compareFingerprints } from "../lib/near-duplicate/compare";
import { type Fingerprint, FingerprintSchema } from "../lib/near-duplicate/fingerprint";
import { BAND_EXACT_WEIGHT, MAX_CANDIDATES } from "../lib/near-duplicate/thresholds";

/** The stored progression a new image duplicates, and the distances of the best-aligned views. */
export interface NearDuplicate {
  progressionId: string;
  distances: Record<string, number>;
}

/**
 * The statements that store a progression's fingerprint and its band keys. Put them in the same
 * `db.batch` as the progression insert, after it (both rows reference the progression), so an image
 * is never stored without the fingerprint that later lookups need. Replaying the batch is a no-op,
 * as for the progression insert: the progression id is derived per task.
 */
export function insertFingerprintStatements(
  db: D1Database,
  progressionId: string,
  projectId: string,
  fingerprint: Fingerprint,
): D1PreparedStatement[] {
  return [
    db
      .prepare(
        `INSERT INTO image_fingerprints (progression_id, project_id, version, hashes) VALUES (?, ?, ?, ?)
         ON CONFLICT(progression_id) DO NOTHING`,
      )
      .bind(progressionId, projectId, fingerprint.version, JSON.stringify(fingerprint)),
    // One statement whatever the key count: the keys travel as one JSON array (D1 caps bound parameters).
    db
      .prepare(
        `INSERT OR IGNORE INTO image_fingerprint_bands (project_id, band_key, progression_id)
         SELECT ?, value, ? FROM json_each(?)`,
      )
      .bind(projectId, progressionId, JSON.stringify(storedBandKeys(fingerprint))),
  ];
}

const CANDIDATES_SQL = `SELECT f.progression_id, f.hashes, c.hits FROM (
    SELECT b.progression_id,
      SUM(CASE WHEN b.band_key IN (SELECT value FROM json_each(?)) THEN ? ELSE 1 END) AS hits
    FROM image_fingerprint_bands AS b
    WHERE b.project_id = ? AND b.band_key IN (SELECT value FROM json_each(?))
    GROUP BY b.progression_id ORDER BY hits DESC, b.progression_id LIMIT ?
  ) AS c JOIN image_fingerprints AS f ON f.progression_id = c.progression_id
  WHERE f.version = ?
  ORDER BY c.hits DESC, f.progression_id`;

/**
 * The candidates of a lookup: progressions of the project sharing at least one probed band key,
 * ranked by weighted hits (an exact band BAND_EXACT_WEIGHT, a one-bit neighbour 1), at most
 * MAX_CANDIDATES, with their stored fingerprints. It reads only the matching entries of the bands'
 * primary key (project_id, band_key, progression_id), however many progressions the project has.
 * Returned as SQL and parameters so tests can EXPLAIN exactly what runs.
 */
export function candidatesQuery(projectId: string, fingerprint: Fingerprint) {
  const { exact, near } = probeBandKeys(fingerprint);
  const params = [
    JSON.stringify(exact),
    BAND_EXACT_WEIGHT,
    projectId,
    JSON.stringify([...exact, ...near]),
    MAX_CANDIDATES,
    fingerprint.version,
  ];
  return { sql: CANDIDATES_SQL, params };
}

/** The candidates query as a statement (rows: progression_id, hashes, hits). */
export function candidatesStatement(db: D1Database, projectId: string, fingerprint: Fingerprint) {
  const { sql, params } = candidatesQuery(projectId, fingerprint);
  return db.prepare(sql).bind(...params);
}

const StoredFingerprint = FingerprintSchema.nullable();

/**
 * The stored progression of `projectId` that `fingerprint` near-duplicates, or null. Only band
 * candidates are compared; of those that match, the closest (lowest score) wins.
 */
export async function findNearDuplicate(
  db: D1Database,
  projectId: string,
  fingerprint: Fingerprint,
  /** Progressions never to match (a result is never a duplicate of what it was asked to change). */
  exclude: ReadonlySet<string> = new Set(),
): Promise<NearDuplicate | null> {
  const { results } = await candidatesStatement(db, projectId, fingerprint).all<{
    progression_id: string;
    hashes: string;
  }>();
  let best: (NearDuplicate & { score: number }) | null = null;
  for (const row of results) {
    if (exclude.has(row.progression_id)) continue;
    const stored = parseStoredJson(row.hashes, StoredFingerprint, null, "image_fingerprints.hashes");
    if (!stored) continue;
    const comparison = compareFingerprints(fingerprint, stored);
    if (comparison.duplicate && (best === null || comparison.score < best.score)) {
      best = { progressionId: row.progression_id, distances: comparison.distances, score: comparison.score };
    }
  }
  return best && { progressionId: best.progressionId, distances: best.distances };
}
