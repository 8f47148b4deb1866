/** D1 access for artifact_votes: one vote per visitor per voting deck (the primary key decides). */

export interface VoteTally {
  total: number;
  byProgression: Record<string, number>;
}

/**
 * Records a visitor's vote unless they already voted in this deck. Returns whether it counted and
 * the image their vote is for (the earlier one when it did not count): a second vote changes nothing.
 */
export async function castVote(
  db: D1Database,
  vote: { artifactId: string; voter: string; progressionId: string; createdAt: number },
): Promise<{ counted: boolean; progressionId: string }> {
  const [insert, current] = await db.batch([
    db
      .prepare(
        `INSERT INTO artifact_votes (artifact_id, voter, progression_id, created_at) VALUES (?, ?, ?, ?)
         ON CONFLICT(artifact_id, voter) DO NOTHING`,
      )
      .bind(vote.artifactId, vote.voter, vote.progressionId, vote.createdAt),
    db
      .prepare("SELECT progression_id FROM artifact_votes WHERE artifact_id = ? AND voter = ?")
      .bind(vote.artifactId, vote.voter),
  ]);
  const row = (current?.results?.[0] ?? null) as { progression_id?: unknown } | null;
  const progressionId = typeof row?.progression_id === "string" ? row.progression_id : vote.progressionId;
  return { counted: (insert?.meta.changes ?? 0) > 0, progressionId };
}

/** The deck's votes: the total and the count per image (images without votes are absent). */
export async function voteTally(db: D1Database, artifactId: string): Promise<VoteTally> {
  const { results } = await db
    .prepare(
      "SELECT progression_id, COUNT(*) AS n FROM artifact_votes WHERE artifact_id = ? GROUP BY progression_id ORDER BY progression_id",
    )
    .bind(artifactId)
    .all<{ progression_id: string; n: number }>();
  const byProgression = Object.fromEntries(results.map((r) => [r.progression_id, r.n]));
  return { total: results.reduce((sum, r) => sum + r.n, 0), byProgression };
}
