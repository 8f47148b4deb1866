/**
 * Storing an upload: the bytes decide (the checks URL ingest makes, src/agents/tools/ingest.ts
 * inspectImage), one upload per owner and bytes (UNIQUE (owner_id, sha256): concurrent uploads of
 * the same bytes make one row), and nothing half-written (the original is removed again when its
 * row cannot be written).
 */
import { inspectImage } from "../agents/tools/ingest";
import { putOriginal } from "../agents/tools/r2";
import type { AppEnv } from "../lib/env";
import { ApiError, type ErrorCode } from "../lib/errors";
import { sha256Hex } from "../lib/hashing";
import { newId } from "../lib/ids";
import { sniffImageType } from "../lib/image-type";
import { describeError, type Logger } from "../lib/logging";
import { findUploadBySha, insertUpload, type Upload, uploadKeyOf } from "./store";

const refuse = (code: ErrorCode, reason: string) => new ApiError(code, `upload: ${reason}`);

/** The upload of `bytes`, and whether it existed already (the same bytes sent before by this owner). */
export interface CreatedUpload {
  upload: Upload;
  replayed: boolean;
}

/**
 * Checks `bytes` and stores them as one of `ownerId`'s uploads. `declared` is the Content-Type a raw
 * body came with: bytes of another type are refused (415) rather than relabelled. Refusals: 400
 * empty, 413 over 20 MiB or 8192 px per side (a declared canvas before decoding), 415 not a
 * PNG/JPEG/WebP/GIF by its magic bytes, not decodable, or not what Content-Type says.
 */
export async function createUpload(
  env: AppEnv,
  ownerId: string,
  bytes: Uint8Array,
  declared: string | null,
  logger: Logger,
): Promise<CreatedUpload> {
  if (bytes.byteLength === 0) throw refuse("invalid_request", "the body is empty");
  const sniffed = sniffImageType(bytes);
  if (declared !== null && sniffed !== null && sniffed !== declared)
    throw refuse("unsupported_media_type", `Content-Type says ${declared} but the bytes are ${sniffed}`);
  const sha256 = await sha256Hex(bytes);
  // Bytes already stored passed every check then; the lookup spares the decoder a second run.
  const existing = await findUploadBySha(env.DB, ownerId, sha256);
  if (existing) return { upload: existing, replayed: true };

  const image = await inspectImage(env.IMAGES, bytes);
  if (!image.ok) throw refuse(image.code, image.reason);
  const id = newId();
  const upload: Upload = {
    id,
    ownerId,
    sha256,
    contentType: image.contentType,
    width: image.width,
    height: image.height,
    bytes: bytes.byteLength,
    r2Key: uploadKeyOf(ownerId, id),
    createdAt: Date.now(),
  };
  // The original first: a row never points at nothing. Without its row, it is removed again.
  await putOriginal(env.BUCKET, upload.r2Key, bytes, upload.contentType);
  let inserted: boolean;
  try {
    inserted = await insertUpload(env.DB, upload);
  } catch (err) {
    await discard(env, upload.r2Key, logger);
    throw err;
  }
  if (inserted) return { upload, replayed: false };
  // A concurrent upload of the same bytes wrote its row first: that one is the upload.
  await discard(env, upload.r2Key, logger);
  const winner = await findUploadBySha(env.DB, ownerId, sha256);
  if (!winner)
    throw refuse("conflict", "the same bytes were uploaded and deleted at the same time; send them again");
  return { upload: winner, replayed: true };
}

async function discard(env: AppEnv, key: string, logger: Logger): Promise<void> {
  try {
    await env.BUCKET.delete(key);
  } catch (err) {
    logger.error("upload.discard_failed", { r2Key: key, ...describeError(err) });
  }
}
