/** API key checks: configured keys from the API_KEYS secret, compared in constant time. */

const encoder = new TextEncoder();

/** The configured keys: comma-separated, trimmed, empties dropped (rotation = list old and new). */
export function configuredKeys(raw: string | undefined): string[] {
  return (raw ?? "")
    .split(",")
    .map((k) => k.trim())
    .filter((k) => k.length > 0);
}

async function digest(value: string): Promise<ArrayBuffer> {
  return crypto.subtle.digest("SHA-256", encoder.encode(value));
}

/**
 * True when `candidate` equals one of `keys`. Both sides are hashed first so lengths never leak,
 * and every key is compared (no early exit) so timing does not reveal which one matched.
 */
export async function matchesAnyKey(candidate: string, keys: string[]): Promise<boolean> {
  const presented = await digest(candidate);
  let matched = false;
  for (const key of keys) {
    const expected = await digest(key);
    if (crypto.subtle.timingSafeEqual(presented, expected)) matched = true;
  }
  return matched;
}

/** A stable, non-reversible fingerprint of a key, for keying per-user data (never the key itself). */
export async function keyFingerprint(key: string): Promise<string> {
  const bytes = new Uint8Array(await digest(`picasso-user:${key}`));
  return [...bytes.slice(0, 16)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
