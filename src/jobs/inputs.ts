/**
 * A job's inputs, resolved at submission: the start image (a URL fetched and checked, an upload, or
 * the progression it continues), the inpaint mask (an upload), and the JobSpec's parameters with
 * what depends on the start image (outpaint margins from an aspect ratio, the upscale cap). Every
 * object it writes is named in `written`, so a submission that fails afterwards removes them.
 */
import type { Margins } from "../adapters/params";
import { ratioOf } from "../adapters/params";
import { imageInfo } from "../agents/tools/images";
import { ingestStartImage } from "../agents/tools/ingest";
import { putOriginal, readOriginal } from "../agents/tools/r2";
import { getProgression } from "../db/progressions";
import type { AppEnv } from "../lib/env";
import { ApiError } from "../lib/errors";
import type { Logger } from "../lib/logging";
import type { CreateJob } from "../schemas/jobs";
import { loadUpload } from "../uploads/store";
import { maskKey, startImageKey } from "./keys";
import { needsStartImage } from "./plan";
import { drawSeed, type JobParams, marginsToAspect } from "./spec";

/** The platform's limit on a side, for outpaint and upscale results. */
const MAX_SIDE = 8192;

const refuse = (path: string, message: string): ApiError =>
  new ApiError("invalid_request", `${path}: ${message}`, {
    details: [{ code: "custom", path: path.split("."), message }],
  });

/** What the request's kind and parameters say together, before anything is read or written. */
export function checkKindAndParameters(body: CreateJob): void {
  const sources = [body.startImageUrl, body.startImageUploadId, body.parentProgressionId];
  if (needsStartImage(body.kind) && sources.every((s) => s === undefined))
    throw refuse(
      "kind",
      `'${body.kind}' needs a start image: give startImageUrl, startImageUploadId or parentProgressionId`,
    );
  if (body.kind === "inpaint" && body.maskUploadId === undefined)
    throw refuse(
      "maskUploadId",
      "inpaint needs a mask: upload a PNG (white = repaint, black = keep) and give its id",
    );
  if (body.maskUploadId !== undefined && body.kind !== "inpaint")
    throw refuse("maskUploadId", `a mask is for kind 'inpaint', not '${body.kind}'`);
  if (body.outpaint !== undefined && body.kind !== "outpaint")
    throw refuse("outpaint", `margins are for kind 'outpaint', not '${body.kind}'`);
  if (body.kind === "outpaint" && body.outpaint === undefined && body.aspectRatio === undefined)
    throw refuse(
      "outpaint",
      "outpaint needs margins ({ left, right, top, bottom } in pixels) or an aspectRatio to grow to",
    );
  if (body.upscale !== undefined && body.kind !== "upscale")
    throw refuse("upscale", `a factor is for kind 'upscale', not '${body.kind}'`);
  if (body.strength !== undefined && body.kind !== "edit" && body.kind !== "variation")
    throw refuse("strength", `strength is for kinds 'edit' and 'variation', not '${body.kind}'`);
}

/** The parameters as far as the request alone decides them (margins from a ratio come later). */
export function requestParams(body: CreateJob, seed = body.seed ?? drawSeed()): JobParams {
  return {
    seed,
    ...(body.aspectRatio ? { aspectRatio: body.aspectRatio } : {}),
    ...(body.negativePrompt ? { negativePrompt: body.negativePrompt } : {}),
    ...(body.strength !== undefined ? { strength: body.strength } : {}),
    ...(body.models ? { models: body.models } : {}),
    ...(body.outpaint
      ? {
          outpaint: {
            left: body.outpaint.left ?? 0,
            right: body.outpaint.right ?? 0,
            top: body.outpaint.top ?? 0,
            bottom: body.outpaint.bottom ?? 0,
          },
        }
      : {}),
    ...(body.kind === "upscale" ? { upscale: body.upscale ?? { factor: 2 } } : {}),
  };
}

export interface ResolvedInputs {
  startImageR2Key: string | null;
  params: JobParams;
  /** R2 keys this submission wrote (removed again if the job is not kept). */
  written: string[];
}

interface Start {
  key: string;
  size: () => Promise<{ width: number; height: number }>;
}

/** Fetches, copies and checks what the job starts from; see the module comment. */
export async function resolveInputs(
  env: AppEnv,
  sub: { projectId: string; ownerId: string; body: CreateJob },
  jobId: string,
  params: JobParams,
  log: Logger,
): Promise<ResolvedInputs> {
  const { projectId, ownerId, body } = sub;
  const written: string[] = [];
  let start: Start | null = null;
  try {
    if (body.parentProgressionId) {
      const parent = await getProgression(env.DB, body.parentProgressionId);
      if (!parent || parent.projectId !== projectId)
        throw refuse("parentProgressionId", "not a progression of this project");
      const key = parent.originalImageR2Key;
      start = {
        key,
        size: async () => {
          const original = await readOriginal(env.BUCKET, key);
          if (!original) throw refuse("parentProgressionId", "its image is no longer in storage");
          return imageInfo(env.IMAGES, original.bytes);
        },
      };
    } else if (body.startImageUploadId) {
      const upload = await loadUpload(env, ownerId, body.startImageUploadId);
      if (!upload) throw refuse("startImageUploadId", "not an upload of yours");
      const key = startImageKey(projectId, jobId);
      await putOriginal(env.BUCKET, key, upload.bytes, upload.contentType);
      written.push(key);
      start = { key, size: async () => ({ width: upload.width, height: upload.height }) };
    } else if (body.startImageUrl !== undefined) {
      const key = startImageKey(projectId, jobId);
      const image = await ingestStartImage(env, body.startImageUrl, key);
      written.push(key);
      log.info("job.start_image_ingested", {
        jobId,
        contentType: image.contentType,
        bytes: image.bytes.byteLength,
        width: image.width,
        height: image.height,
      });
      start = { key, size: async () => ({ width: image.width, height: image.height }) };
    }

    const resolved: JobParams = { ...params };
    if (body.kind === "inpaint" && body.maskUploadId) {
      const mask = await loadUpload(env, ownerId, body.maskUploadId);
      if (!mask) throw refuse("maskUploadId", "not an upload of yours");
      if (mask.contentType !== "image/png") throw refuse("maskUploadId", "the mask must be a PNG");
      const key = maskKey(projectId, jobId);
      await putOriginal(env.BUCKET, key, mask.bytes, "image/png");
      written.push(key);
      resolved.maskR2Key = key;
    }
    if (start && (body.kind === "outpaint" || body.kind === "upscale")) {
      const size = await start.size();
      if (body.kind === "outpaint") {
        const margins: Margins =
          params.outpaint ?? marginsToAspect(size.width, size.height, ratioOf(params.aspectRatio ?? "1:1"));
        const width = size.width + margins.left + margins.right;
        const height = size.height + margins.top + margins.bottom;
        if (width > MAX_SIDE || height > MAX_SIDE)
          throw refuse(
            "outpaint",
            `the result would be ${width}×${height} px; at most ${MAX_SIDE} px per side`,
          );
        if (width === size.width && height === size.height)
          throw refuse(
            "aspectRatio",
            `the start image already has that ratio (${size.width}×${size.height}): nothing to outpaint`,
          );
        resolved.outpaint = margins;
      } else {
        const factor = params.upscale?.factor ?? 2;
        if (size.width * factor > MAX_SIDE || size.height * factor > MAX_SIDE)
          throw refuse(
            "upscale",
            `${size.width}×${size.height} × ${factor} is over ${MAX_SIDE} px per side: choose a smaller factor or image`,
          );
      }
    }
    // A parent's image is the start of edit-type kinds only (for generate it sets the lineage alone).
    const parentOnly = body.parentProgressionId !== undefined && !needsStartImage(body.kind);
    return { startImageR2Key: start && !parentOnly ? start.key : null, params: resolved, written };
  } catch (err) {
    await Promise.all(written.map((key) => env.BUCKET.delete(key)));
    throw err;
  }
}
