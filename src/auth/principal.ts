/**
 * Credentials → the calling principal. Two kinds of key:
 * - root keys: the API_KEYS secret (comma-separated; rotate by listing old and new together). They
 *   act as the owner `default` with every scope, and alone may create owners.
 * - owned keys: `pk_…`, made by POST /api/keys, stored as a SHA-256 only, refused at once when
 *   revoked or expired.
 * Every comparison is between SHA-256 digests in constant time, so neither the length nor the
 * matching prefix of a key leaks through timing.
 */
import { sha256, sha256Hex, toHex } from "../lib/hashing";
import { keyByHash } from "./keys.db";
import { ALL_SCOPES, DEFAULT_OWNER, type Principal } from "./scopes";

/** Owned keys start with this, so secret scanners (and people) recognise a leaked one. */
export const KEY_PREFIX = "pk_";

/** The configured root keys: comma-separated, trimmed, empties dropped. */
export function rootKeys(raw: string | undefined): string[] {
  return (raw ?? "")
    .split(",")
    .map((k) => k.trim())
    .filter((k) => k.length > 0);
}

function fromHex(text: string): Uint8Array {
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(text.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** The stored form of an owned key's secret. */
export async function keyHash(secret: string): Promise<string> {
  return sha256Hex(secret);
}

/** Why a credential was refused (the 401's message); never echoes the credential. */
export type Refusal = "invalid" | "revoked" | "expired";

export type Resolution =
  | { ok: true; principal: Principal; touchKeyId?: string }
  | { ok: false; refusal: Refusal };

const INVALID: Resolution = { ok: false, refusal: "invalid" };

/** Resolves a presented key against the root keys and the owned keys. */
export async function resolveKey(
  db: D1Database,
  configured: string[],
  presented: string,
  now: number,
): Promise<Resolution> {
  const digest = await sha256(presented);
  if (presented.startsWith(KEY_PREFIX)) {
    const stored = await keyByHash(db, toHex(digest));
    if (!stored || !crypto.subtle.timingSafeEqual(digest, fromHex(stored.keyHash))) return INVALID;
    if (stored.revokedAt !== null) return { ok: false, refusal: "revoked" };
    if (stored.expiresAt !== null && stored.expiresAt <= now) return { ok: false, refusal: "expired" };
    return {
      ok: true,
      principal: {
        keyId: stored.id,
        ownerId: stored.ownerId,
        scopes: new Set(stored.scopes),
        root: false,
        expiresAt: stored.expiresAt,
      },
      touchKeyId: stored.id,
    };
  }
  // Every root key is compared (no early exit), so timing does not reveal which one matched.
  let matched: string | null = null;
  for (const key of configured) {
    if (crypto.subtle.timingSafeEqual(digest, await sha256(key))) matched = key;
  }
  if (matched === null) return INVALID;
  return {
    ok: true,
    principal: {
      keyId: `root-${await sha256Hex(`picasso-root:${matched}`, 6)}`,
      ownerId: DEFAULT_OWNER,
      scopes: new Set(ALL_SCOPES),
      root: true,
    },
  };
}
