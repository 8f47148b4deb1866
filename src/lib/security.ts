/** API key checks: configured keys from the API_KEYS secret, compared in constant time. */
import { sha256, sha256Hex } from "./hashing";

/** The configured keys: comma-separated, trimmed, empties dropped (rotation = list old and new). */
export function configuredKeys(raw: string | undefined): string[] {
  return (raw ?? "")
    .split(",")
    .map((k) => k.trim())
    .filter((k) => k.length > 0);
}

/**
 * True when `candidate` equals one of `keys`. Both sides are hashed first so lengths never leak,
 * and every key is compared (no early exit) so timing does not reveal which one matched.
 */
export async function matchesAnyKey(candidate: string, keys: string[]): Promise<boolean> {
  const presented = await sha256(candidate);
  let matched = false;
  for (const key of keys) {
    const expected = await sha256(key);
    if (crypto.subtle.timingSafeEqual(presented, expected)) matched = true;
  }
  return matched;
}

/** A stable, non-reversible fingerprint of a key, for keying per-user data (never the key itself). */
export async function keyFingerprint(key: string): Promise<string> {
  return sha256Hex(`picasso-user:${key}`, 16);
}
