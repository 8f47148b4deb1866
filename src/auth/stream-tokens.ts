/**
 * Stream tokens: browsers cannot set headers on a WebSocket, and an API key never goes in a URL.
 * POST /api/stream-tokens { sessionId } → a short-lived token (≤ 15 minutes) bound to the caller's
 * owner and that one session, passed as `?token=` on GET /api/stream/:sessionId and nowhere else.
 * Stored as a SHA-256 only; a token dies with the key that made it (revoked or expired).
 */
import { nanoid } from "nanoid";
import { sha256Hex } from "../lib/hashing";
import type { Principal } from "./scopes";

export const STREAM_TOKEN_PREFIX = "st_";
export const MAX_STREAM_TOKEN_SECONDS = 900;
export const DEFAULT_STREAM_TOKEN_SECONDS = 600;
/** The one route that accepts `?token=`. */
export const STREAM_PATH = /^\/api\/stream\/[^/]+$/;

export interface StreamToken {
  token: string;
  sessionId: string;
  expiresAt: number;
}

/** Makes a token for `sessionId` of `principal`'s owner (and deletes the owner's expired ones). */
export async function issueStreamToken(
  db: D1Database,
  principal: Principal,
  sessionId: string,
  ttlSeconds: number,
  now: number,
): Promise<StreamToken> {
  const token = `${STREAM_TOKEN_PREFIX}${nanoid(32)}`;
  const expiresAt = now + Math.min(ttlSeconds, MAX_STREAM_TOKEN_SECONDS) * 1000;
  await db.batch([
    db
      .prepare("DELETE FROM stream_tokens WHERE owner_id = ? AND expires_at <= ?")
      .bind(principal.ownerId, now),
    db
      .prepare(
        "INSERT INTO stream_tokens (token_hash, owner_id, session_id, key_id, expires_at) VALUES (?, ?, ?, ?, ?)",
      )
      .bind(await sha256Hex(token), principal.ownerId, sessionId, principal.keyId, expiresAt),
  ]);
  return { token, sessionId, expiresAt };
}

interface TokenRow {
  owner_id: string;
  session_id: string;
  key_id: string;
  expires_at: number;
  key_revoked_at: number | null;
  key_expires_at: number | null;
}

/** The principal a token stands for, or null when it is unknown, expired, or its key is no longer valid. */
export async function resolveStreamToken(
  db: D1Database,
  token: string,
  now: number,
): Promise<Principal | null> {
  if (!token.startsWith(STREAM_TOKEN_PREFIX) || token.length > 64) return null;
  const row = await db
    .prepare(
      `SELECT t.owner_id, t.session_id, t.key_id, t.expires_at,
              k.revoked_at AS key_revoked_at, k.expires_at AS key_expires_at
       FROM stream_tokens t LEFT JOIN api_keys k ON k.id = t.key_id
       WHERE t.token_hash = ?`,
    )
    .bind(await sha256Hex(token))
    .first<TokenRow>();
  if (!row || row.expires_at <= now) return null;
  if (row.key_revoked_at !== null || (row.key_expires_at !== null && row.key_expires_at <= now)) return null;
  return {
    keyId: row.key_id,
    ownerId: row.owner_id,
    scopes: new Set(["read"] as const),
    root: false,
    streamSession: row.session_id,
  };
}
