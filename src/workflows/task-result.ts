/**
 * What a task does with a provider's image, inside its steps: analyze it (Images: pHash,
 * near-duplicate check, the verdict) on the bytes in hand, then record it as a progression or skip
 * it. Each function is safe to repeat.
 */
import { NonRetryableError } from "cloudflare:workflows";
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
  taskStateStatement,
  transitionTaskStatement,
} from "../db/job-tasks";
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
  return imagesGate.run(async () => {
    const small = await env.IMAGES.input(new Blob([bytes]).stream())
      .transform({ width: 768 })
      .output({ format: "image/jpeg" });
    return new Uint8Array(await new Response(small.image()).arrayBuffer());
  });
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

/** A job's start image as the analysis needs it: measured once per job (its own step), not per task. */
export interface StartAnalysis {
  phash: string;
  fingerprint: Fingerprint;
  /** The project's progressions whose image is this start (the one continued, its rollbacks). */
  sharing: string[];
}

/** The Images work on a job's start image and its lineage, once per job (the `fingerprint-start` step). */
export async function analyzeStart(env: AppEnv, job: Job, key: string): Promise<StartAnalysis> {
  const start = await readOriginal(env.BUCKET, key);
  if (!start) throw new NonRetryableError("the start image is no longer in storage");
  const image = await analyzeImage(env.IMAGES, start.bytes);
  const sharing = await progressionsWithOriginal(env.DB, job.projectId, key);
  return { phash: image.phash, fingerprint: image.fingerprint, sharing };
}

/**
 * The Images work on a result, on the bytes the provider just returned (nothing is read back from
 * R2), and what it decides: near-duplicate or not, and the verdict.
 */
export async function analyzeResult(
  env: AppEnv,
  job: Job,
  original: { bytes: Uint8Array; contentType: string },
  start: StartAnalysis | null,
): Promise<Analysis> {
  const image = await analyzeImage(env.IMAGES, original.bytes);
  // A result is never a duplicate of its own start: the progression it continues (and any rollback
  // sharing that image) is left out; everything else in the project is compared as before.
  const exclude = new Set([
    ...(start?.sharing ?? []),
    ...(job.parentProgressionId ? [job.parentProgressionId] : []),
  ]);
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
  const toStart = start ? compareFingerprints(image.fingerprint, start.fingerprint) : null;
  const similarToStart = toStart
    ? { distances: toStart.distances, nearlyIdentical: toStart.duplicate }
    : undefined;
  const offline = judgeOffline({
    prompt: job.prompt,
    kind: job.kind,
    stats: image.stats,
    width: image.width,
    height: image.height,
    startImageDistance: start ? hammingDistance(image.phash, start.phash) : undefined,
  });
  // The vision model where the AI binding works; the heuristic verdict (noted as such) otherwise.
  const verdict = await judgeWithVision(env, {
    prompt: job.prompt,
    kind: job.kind,
    image: () => visionImage(env, original.bytes),
    contentType: original.contentType,
    offline,
  });
  return { phash: image.phash, fingerprint: image.fingerprint, duplicate: null, verdict, similarToStart };
}

/**
 * The analysis of a stored original: only when analysing the provider's bytes failed inside the
 * generate step (an Images hiccup), so that retrying it never calls the provider a second time.
 */
export async function analyzeStored(
  env: AppEnv,
  job: Job,
  key: string,
  start: StartAnalysis | null,
): Promise<Analysis> {
  const original = await readOriginal(env.BUCKET, key);
  if (!original) throw new NonRetryableError(`the generated image ${key} is no longer in storage`);
  return analyzeResult(env, job, original, start);
}

export interface Generated {
  key: string;
  contentType: string;
  providerMeta: Record<string, unknown>;
  report?: TaskReport;
}

/**
 * A result that is not kept (a near-duplicate, or no verdict): its original leaves R2, and the task
 * completes as skipped with its report, in one batch. True when the task holds that ending
 * afterwards (also on a replay); false when it was cancelled meanwhile.
 */
export async function skipResult(
  env: AppEnv,
  taskId: string,
  generated: Generated,
  duplicate: Analysis["duplicate"],
): Promise<boolean> {
  const db = env.DB;
  await deleteOriginal(env.BUCKET, generated.key);
  const results = await db.batch([
    ...(generated.report ? [recordReportStatement(db, taskId, generated.report)] : []),
    transitionTaskStatement(
      db,
      taskId,
      ["running"],
      {
        status: "complete",
        skipped: "duplicate",
        duplicateOf: duplicate?.id,
        duplicateDistances: duplicate?.distances,
      },
      Date.now(),
    ),
    taskStateStatement(db, taskId),
  ]);
  const state = results.at(-1)?.results[0] as { status: string; skipped: string | null } | undefined;
  return state?.status === "complete" && state.skipped === "duplicate";
}

export interface RecordInput {
  job: Job;
  task: JobTask;
  refinedPrompt: string;
  progressionId: string;
  generatedImageUrl: string;
  generated: Generated;
  analysis: Analysis & { verdict: Verdict };
}

/**
 * The progression row, its fingerprint, the task's transition to complete, the project's touch and
 * the task's report, in one batch that also reads the task back. True when the task holds this
 * progression afterwards — also on a replay whose first run had committed. False when the task was
 * cancelled meanwhile: then neither the row, its hosted copy nor its original is kept.
 */
export async function recordResult(env: AppEnv, r: RecordInput): Promise<boolean> {
  const db = env.DB;
  const now = Date.now();
  const { job, task, analysis } = r;
  const verdict = analysis.verdict;
  const results = await db.batch([
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
    taskStateStatement(db, task.id),
  ]);
  const state = results.at(-1)?.results[0] as { status: string; progression_id: string | null } | undefined;
  if (state?.status === "complete" && state.progression_id === r.progressionId) return true;
  // Cancelled meanwhile: keep D1 and R2 consistent with the stream by not keeping the result.
  await discardProgression(db, r.progressionId, task.id);
  await deleteHosted(env, r.progressionId);
  await deleteOriginal(env.BUCKET, r.generated.key);
  return false;
}
