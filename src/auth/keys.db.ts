/** D1 access for owners and api_keys. Keys are stored as the SHA-256 of their secret only. */
import { z } from "zod";
import { parseStoredJson } from "../lib/json";
import { type KeyScope, KeyScopes } from "./scopes";

interface KeyRow {
  id: string;
  owner_id: string;
  name: string;
  scopes: string;
  key_hash: string;
  created_at: number;
  last_used_at: number | null;
  expires_at: number | null;
  revoked_at: number | null;
}

export interface StoredKey {
  id: string;
  ownerId: string;
  name: string;
  scopes: KeyScope[];
  keyHash: string;
  createdAt: number;
  lastUsedAt: number | null;
  expiresAt: number | null;
  revokedAt: number | null;
}

const toKey = (row: KeyRow): StoredKey => ({
  id: row.id,
  ownerId: row.owner_id,
  name: row.name,
  scopes: parseStoredJson(row.scopes, z.array(KeyScopes), [], "api_keys.scopes"),
  keyHash: row.key_hash,
  createdAt: row.created_at,
  lastUsedAt: row.last_used_at,
  expiresAt: row.expires_at,
  revokedAt: row.revoked_at,
});

export async function keyByHash(db: D1Database, keyHash: string): Promise<StoredKey | null> {
  const row = await db.prepare("SELECT * FROM api_keys WHERE key_hash = ?").bind(keyHash).first<KeyRow>();
  return row ? toKey(row) : null;
}

export async function listKeys(db: D1Database, ownerId: string): Promise<StoredKey[]> {
  const { results } = await db
    .prepare("SELECT * FROM api_keys WHERE owner_id = ? ORDER BY created_at DESC, id DESC")
    .bind(ownerId)
    .all<KeyRow>();
  return results.map(toKey);
}

export async function ownerExists(db: D1Database, ownerId: string): Promise<boolean> {
  return (await db.prepare("SELECT 1 FROM owners WHERE id = ?").bind(ownerId).first()) !== null;
}

/** Inserts a key, and its new owner first when `newOwnerName` is given (one batch: both or neither). */
export async function insertKey(db: D1Database, key: StoredKey, newOwnerName?: string): Promise<void> {
  const statements: D1PreparedStatement[] = [];
  if (newOwnerName !== undefined)
    statements.push(
      db
        .prepare("INSERT INTO owners (id, name, created_at) VALUES (?, ?, ?)")
        .bind(key.ownerId, newOwnerName, key.createdAt),
    );
  statements.push(
    db
      .prepare(
        `INSERT INTO api_keys (id, owner_id, name, scopes, key_hash, created_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .bind(
        key.id,
        key.ownerId,
        key.name,
        JSON.stringify(key.scopes),
        key.keyHash,
        key.createdAt,
        key.expiresAt,
      ),
  );
  await db.batch(statements);
}

/** Revokes one of the owner's keys (idempotent: the first revocation time stays). Null when not the owner's. */
export async function revokeKey(
  db: D1Database,
  ownerId: string,
  id: string,
  now: number,
): Promise<StoredKey | null> {
  const row = await db
    .prepare(
      `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?3)
       WHERE id = ?1 AND owner_id = ?2 RETURNING *`,
    )
    .bind(id, ownerId, now)
    .first<KeyRow>();
  return row ? toKey(row) : null;
}

/** Records a use, at most once a minute per key, so a busy key does not write on every request. */
export function touchKeyStatement(db: D1Database, id: string, now: number): D1PreparedStatement {
  return db
    .prepare(
      "UPDATE api_keys SET last_used_at = ?2 WHERE id = ?1 AND (last_used_at IS NULL OR last_used_at < ?3)",
    )
    .bind(id, now, now - 60_000);
}
