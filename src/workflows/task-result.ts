/**
 * What a task does with a provider's image, as the bodies of its steps: analyze it (Images: pHash,
 * near-duplicate check, the verdict), discard it, or record it as a progression. Each function is
 * one step's whole effect and is safe to repeat.
 */
import { judgeOffline } from "../agents/judge.agent";
import { deleteHosted } from "../agents/tools/hosted-images";
import { analyzeImage } from "../agents/tools/images";
import { deleteOriginal, readOriginal } from "../agents/tools/r2";
import { type JudgedVerdict, judgeWithVision } from "../agents/vision-judge";
import { findNearDuplicate, insertFingerprintStatements } from "../db/image-fingerprints";
import {
  recordReportStatement,
  recordSimilarityStatement,
  type TaskReport,
  taskState,
  transitionTaskStatement,
} from "../db/jobs";
import { discardProgression, insertProgressionStatement, progressionsWithOriginal } from "../db/progressions";
import { touchProjectStatement } from "../db/projects";
import { imagesGate } from "../lib/concurrency";
import type { AppEnv } from "../lib/env";
import { compareFingerprints } from "../lib/near-duplicate/compare";
import type { Fingerprint } from "../lib/near-duplicate/fingerprint";
import { hammingDistance } from "../lib/phash";
import type { Job, JobTask } from "../types/domain";

/** Images the vision model sees are kept small: its input travels as a number array. */
const MAX_VISION_BYTES = 512 * 1024;

async function visionImage(env: AppEnv, bytes: Uint8Array): Promise<Uint8Array> {
  if (bytes.byteLength <= MAX_VISION_BYTES) return bytes;
  const small = await env.IMAGES.input(new Blob([bytes]).stream())
    .transform({ width: 768 })
    .output({ format: "image/jpeg" });
  return new Uint8Array(await new Response(small.image()).arrayBuffer());
}

export type Verdict = JudgedVerdict;

export interface Analysis {
  phash: string;
  /**
   * Every hash the near-duplicate rule needs (stored with the progression). Optional because an
   * analyze step recorded by an older build (a workflow resumed across a deploy) has none.
   */
  fingerprint?: Fingerprint;
  /** The stored progression this result matched, with the distances that decided it. */
  duplicate: { id: string; distances: Record<string, number> } | null;
  /**
   * For a job with a start image: the distances between the result and its start, and whether they
   * are within the near-duplicate thresholds (an edit that changed little is kept, and says so).
   */
  similarToStart?: { distances: Record<string, number>; nearlyIdentical: boolean };
  verdict: Verdict | null;
}

/** The Images work on a stored original, and what it decides: near-duplicate or not, and the verdict. */
export async function analyzeResult(env: AppEnv, job: Job, key: string): Promise<Analysis> {
  const original = await readOriginal(env.BUCKET, key);
  if (!original) throw new Error(`original ${key} missing`);
  const image = await imagesGate.run(() => analyzeImage(env.IMAGES, original.bytes));
  // A result is never a duplicate of its own start: the progression it continues (and any rollback
  // sharing that image) is left out; everything else in the project is compared as before.
  const exclude = await lineageExclusions(env, job);
  // Bounded: only the progressions sharing a hash band are compared (src/db/image-fingerprints.ts).
  const match = await findNearDuplicate(env.DB, job.projectId, image.fingerprint, exclude);
  if (match) {
    return {
      phash: image.phash,
      fingerprint: image.fingerprint,
      duplicate: { id: match.progressionId, distances: match.distances },
      verdict: null,
    };
  }
  const start = job.startImageR2Key ? await readOriginal(env.BUCKET, job.startImageR2Key) : null;
  const startImage = start ? await imagesGate.run(() => analyzeImage(env.IMAGES, start.bytes)) : null;
  const startPhash = startImage?.phash ?? null;
  const toStart = startImage ? compareFingerprints(image.fingerprint, startImage.fingerprint) : null;
  const similarToStart = toStart
    ? { distances: toStart.distances, nearlyIdentical: toStart.duplicate }
    : undefined;
  const offline = judgeOffline({
    prompt: job.prompt,
    kind: job.kind,
    stats: image.stats,
    width: image.width,
    height: image.height,
    startImageDistance: startPhash ? hammingDistance(image.phash, startPhash) : undefined,
  });
  // The vision model where the AI binding works; the heuristic verdict (noted as such) otherwise.
  const verdict = await judgeWithVision(env, {
    prompt: job.prompt,
    kind: job.kind,
    image: await imagesGate.run(() => visionImage(env, original.bytes)),
    contentType: original.contentType,
    offline,
  });
  return { phash: image.phash, fingerprint: image.fingerprint, duplicate: null, verdict, similarToStart };
}

/** The progression a job continues, and the progressions sharing its image (rollbacks of it). */
async function lineageExclusions(env: AppEnv, job: Job): Promise<Set<string>> {
  const ids = new Set<string>();
  if (job.parentProgressionId) ids.add(job.parentProgressionId);
  if (job.startImageR2Key)
    for (const id of await progressionsWithOriginal(env.DB, job.projectId, job.startImageR2Key)) ids.add(id);
  return ids;
}

/** A result that is not kept (a near-duplicate) leaves nothing in R2. */
export async function discardResult(env: AppEnv, key: string): Promise<true> {
  await deleteOriginal(env.BUCKET, key);
  return true;
}

export interface RecordInput {
  job: Job;
  task: JobTask;
  refinedPrompt: string;
  progressionId: string;
  generatedImageUrl: string;
  generated: { key: string; contentType: string; providerMeta: Record<string, unknown>; report?: TaskReport };
  analysis: Analysis & { verdict: Verdict };
}

/**
 * The progression row, the task's transition to complete and the project's touch, in one batch.
 * True when the task holds this progression afterwards — also on a replay whose first run had
 * committed. False when the task was cancelled meanwhile: then the row is not kept.
 */
export async function recordResult(env: AppEnv, r: RecordInput): Promise<boolean> {
  const db = env.DB;
  const now = Date.now();
  const { job, task, analysis } = r;
  const verdict = analysis.verdict;
  await db.batch([
    insertProgressionStatement(db, {
      id: r.progressionId,
      projectId: job.projectId,
      parentProgressionId: job.parentProgressionId,
      jobId: job.id,
      taskId: task.id,
      startImageUrl: job.startImageUrl,
      prompt: job.prompt,
      refinedPrompt: r.refinedPrompt,
      provider: task.provider,
      variantIndex: task.variantIndex,
      originalImageR2Key: r.generated.key,
      generatedImageUrl: r.generatedImageUrl,
      contentType: r.generated.contentType,
      phash: analysis.phash,
      judgment: verdict.judgment,
      aiNotes: verdict.notes,
      aiTags: verdict.tags,
      providerMeta: r.generated.providerMeta,
      judgeMeta: { ...verdict.judgeMeta, retrySuggestion: verdict.retrySuggestion },
      createdAt: now,
    }),
    // After the progression row (they reference it), in the same batch: never an image without it.
    ...(analysis.fingerprint
      ? insertFingerprintStatements(db, r.progressionId, job.projectId, analysis.fingerprint)
      : []),
    transitionTaskStatement(
      db,
      task.id,
      ["running"],
      { status: "complete", progressionId: r.progressionId },
      now,
    ),
    touchProjectStatement(db, job.projectId, now),
    ...(r.generated.report ? [recordReportStatement(db, task.id, r.generated.report)] : []),
    ...(analysis.similarToStart ? [recordSimilarityStatement(db, task.id, analysis.similarToStart)] : []),
  ]);
  const state = await taskState(db, task.id);
  if (state?.status === "complete" && state.progressionId === r.progressionId) return true;
  // Cancelled meanwhile: keep D1 consistent with the stream by not keeping the row (nor its hosted copy).
  await discardProgression(db, r.progressionId, task.id);
  await deleteHosted(env, r.progressionId);
  return false;
}
