/** The near-duplicate decision: the closest stored hash within the threshold, if any. */
import { hammingDistance } from "../lib/phash";

/** The closest existing hash within `threshold` bits, or null: that result would be a near-duplicate. */
export function findDuplicate(
  phash: string,
  existing: { id: string; phash: string }[],
  threshold: number,
): { id: string; distance: number } | null {
  let best: { id: string; distance: number } | null = null;
  for (const candidate of existing) {
    const distance = hammingDistance(phash, candidate.phash);
    if (distance <= threshold && (best === null || distance < best.distance))
      best = { id: candidate.id, distance };
  }
  return best;
}
