/**
 * Where uploads live: one D1 row per (owner, bytes) in `uploads`, the original in R2 under
 * `uploads/{ownerId}/{id}` with its sniffed content type. Every read names the owner in the same
 * query, so another owner's id reads exactly like an unknown one.
 */
import { deleteImageObjects } from "../deletion/objects";
import type { AppEnv } from "../lib/env";
import { type UploadContentType, UploadContentTypes } from "./schemas";

/** An upload as stored (and, without `r2Key` and `ownerId`, as the API shows it). */
export interface Upload {
  id: string;
  ownerId: string;
  sha256: string;
  contentType: UploadContentType;
  width: number;
  height: number;
  bytes: number;
  r2Key: string;
  createdAt: number;
}

interface UploadRow {
  id: string;
  owner_id: string;
  sha256: string;
  content_type: string;
  width: number;
  height: number;
  bytes: number;
  r2_key: string;
  created_at: number;
}

const toUpload = (row: UploadRow): Upload => ({
  id: row.id,
  ownerId: row.owner_id,
  sha256: row.sha256,
  // Written from the sniffed type only; a row that says otherwise is a bug worth a loud failure.
  contentType: UploadContentTypes.parse(row.content_type),
  width: row.width,
  height: row.height,
  bytes: row.bytes,
  r2Key: row.r2_key,
  createdAt: row.created_at,
});

/** The R2 key of an upload's original. */
export const uploadKeyOf = (ownerId: string, id: string): string => `uploads/${ownerId}/${id}`;

/** One of `ownerId`'s uploads, or null (unknown, or another owner's). */
export async function getUpload(db: D1Database, id: string, ownerId: string): Promise<Upload | null> {
  const row = await db
    .prepare("SELECT * FROM uploads WHERE id = ? AND owner_id = ?")
    .bind(id, ownerId)
    .first<UploadRow>();
  return row ? toUpload(row) : null;
}

/** The owner's upload of exactly these bytes, if any. */
export async function findUploadBySha(
  db: D1Database,
  ownerId: string,
  sha256: string,
): Promise<Upload | null> {
  const row = await db
    .prepare("SELECT * FROM uploads WHERE owner_id = ? AND sha256 = ?")
    .bind(ownerId, sha256)
    .first<UploadRow>();
  return row ? toUpload(row) : null;
}

/**
 * Inserts the row unless the owner already has these bytes (UNIQUE (owner_id, sha256)): true when
 * this row was written, false when another request's row for the same bytes won.
 */
export async function insertUpload(db: D1Database, upload: Upload): Promise<boolean> {
  const result = await db
    .prepare(
      `INSERT INTO uploads (id, owner_id, sha256, content_type, width, height, bytes, r2_key, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (owner_id, sha256) DO NOTHING`,
    )
    .bind(
      upload.id,
      upload.ownerId,
      upload.sha256,
      upload.contentType,
      upload.width,
      upload.height,
      upload.bytes,
      upload.r2Key,
      upload.createdAt,
    )
    .run();
  return result.meta.changes > 0;
}

/**
 * Removes an upload: its original (and any rendition made from it) first, then its row. A failure
 * part way leaves the row, so repeating the DELETE finishes the job; never an object nobody can
 * find. Returns how many rows went (0 when a concurrent delete took it first).
 */
export async function removeUpload(env: AppEnv, upload: Upload): Promise<{ rows: number; objects: number }> {
  const objects = await deleteImageObjects(env.BUCKET, upload.r2Key);
  const result = await env.DB.prepare("DELETE FROM uploads WHERE id = ? AND owner_id = ?")
    .bind(upload.id, upload.ownerId)
    .run();
  return { rows: result.meta.changes, objects };
}

/** An upload's original, as the job submission code uses it as a start image. */
export interface LoadedUpload {
  id: string;
  bytes: Uint8Array;
  contentType: string;
  width: number;
  height: number;
  r2Key: string;
}

/**
 * `ownerId`'s upload `id` with its bytes, or null when it is unknown, another owner's, or its
 * original is gone (deleted meanwhile). The content type is the one sniffed at upload time.
 */
export async function loadUpload(env: AppEnv, ownerId: string, id: string): Promise<LoadedUpload | null> {
  const upload = await getUpload(env.DB, id, ownerId);
  if (!upload) return null;
  const object = await env.BUCKET.get(upload.r2Key);
  if (!object) return null;
  return {
    id: upload.id,
    bytes: new Uint8Array(await object.arrayBuffer()),
    contentType: upload.contentType,
    width: upload.width,
    height: upload.height,
    r2Key: upload.r2Key,
  };
}
