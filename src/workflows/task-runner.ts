/**
 * One task of a job (provider × variant) inside PicassoWorkflow: start → generate (provider + R2
 * put) → analyze (Images: pHash, dedupe, offline verdict) → record → publish, or fail. Every effect
 * is one named step; every status write is a conditional transition, so a cancelled task stays so.
 */
import type { WorkflowStep } from "cloudflare:workers";
import { NonRetryableError } from "cloudflare:workflows";
import type { ProviderResult } from "../adapters/provider.types";
import { getAdapter } from "../adapters/router";
import { judgeOffline } from "../agents/judge.agent";
import { findDuplicate, originalKey, PROGRESS, retryOf } from "../agents/orchestrator.agent";
import { analyzeImage } from "../agents/tools/images";
import { deleteOriginal, putOriginal, readOriginal } from "../agents/tools/r2";
import { judgeWithVision } from "../agents/vision-judge";
import { insertTaskStatement, transitionTask, transitionTaskStatement } from "../db/jobs";
import { insertProgressionStatement, projectPhashes } from "../db/progressions";
import { touchProjectStatement } from "../db/projects";
import type { AppEnv } from "../lib/env";
import { newId } from "../lib/ids";
import type { Logger } from "../lib/logging";
import { DEFAULT_PHASH_THRESHOLD, hammingDistance } from "../lib/phash";
import type { PublishEvent } from "../lib/ws-events";
import type { Job, JobTask } from "../types/domain";
import { asStepError, intVar, publishStep, QUICK, RETRYING, runStep, taskErrorMessage } from "./steps";

/** Images the vision model sees are kept small: its input travels as a number array. */
const MAX_VISION_BYTES = 512 * 1024;

async function visionImage(env: AppEnv, bytes: Uint8Array): Promise<Uint8Array> {
  if (bytes.byteLength <= MAX_VISION_BYTES) return bytes;
  const small = await env.IMAGES.input(new Blob([bytes]).stream())
    .transform({ width: 768 })
    .output({ format: "image/jpeg" });
  return new Uint8Array(await new Response(small.image()).arrayBuffer());
}

export interface TaskContext {
  env: AppEnv;
  step: WorkflowStep;
  log: Logger;
}

/** Runs one task to its end; never throws (a failure ends the task as `failed` with its event). */
export async function runTask(
  { env, step, log }: TaskContext,
  job: Job,
  task: JobTask,
  refinedPrompt: string,
  origin: string,
): Promise<void> {
  const label = `${task.provider}#${task.variantIndex}${task.attempt > 0 ? `.${task.attempt}` : ""}`;
  const taskLog = log.child({ provider: task.provider, variantIndex: task.variantIndex });
  const db = env.DB;
  const ids = {
    jobId: job.id,
    provider: task.provider,
    variantIndex: task.variantIndex,
    ...(task.attempt > 0 ? { attempt: task.attempt } : {}),
  };
  /** Set when the judge failed this result and the job allows another attempt. */
  let retryFrom: { progressionId: string; suggestion: string } | null = null;
  const publish = (name: string, ...events: PublishEvent[]) =>
    publishStep(env, step, taskLog, `${name} ${label}`, events, job.sessionId);

  const running = await runStep(step, taskLog, `start-task ${label}`, task.provider, QUICK, () =>
    transitionTask(db, task.id, ["queued"], { status: "running", refinedPrompt }, Date.now()),
  );
  if (!running) return; // cancelled before it started
  await publish("publish-running", { type: "running", data: ids });

  try {
    const generated = await runStep(step, taskLog, `generate ${label}`, task.provider, RETRYING, async () => {
      const start = job.startImageR2Key ? await readOriginal(env.BUCKET, job.startImageR2Key) : null;
      if (job.startImageR2Key && !start)
        throw new NonRetryableError("the start image is no longer in storage");
      let result: ProviderResult;
      try {
        result = await getAdapter(task.provider).run(
          {
            kind: job.kind,
            prompt: refinedPrompt,
            variantIndex: task.variantIndex,
            startImage: start ?? undefined,
          },
          env,
        );
      } catch (err) {
        throw await asStepError(err);
      }
      // Provider output and its storage are one effect: bytes never travel through step state.
      const key = originalKey(job.projectId, job.id, task.ordinal);
      await putOriginal(env.BUCKET, key, result.bytes, result.contentType);
      return {
        key,
        contentType: result.contentType,
        providerMeta: result.providerMeta,
        progressionId: newId(),
      };
    });
    await publish("publish-progress", { type: "progress", data: { ...ids, progress: PROGRESS.generated } });

    // The Images work, plus what it decides: near-duplicate or not, and the offline verdict.
    const threshold = intVar(env.PHASH_THRESHOLD, DEFAULT_PHASH_THRESHOLD);
    const analysis = await runStep(step, taskLog, `analyze ${label}`, task.provider, RETRYING, async () => {
      const original = await readOriginal(env.BUCKET, generated.key);
      if (!original) throw new Error(`original ${generated.key} missing`);
      const image = await analyzeImage(env.IMAGES, original.bytes);
      const duplicate = findDuplicate(image.phash, await projectPhashes(db, job.projectId), threshold);
      if (duplicate) return { phash: image.phash, duplicate, verdict: null };
      const start = job.startImageR2Key ? await readOriginal(env.BUCKET, job.startImageR2Key) : null;
      const startPhash = start ? (await analyzeImage(env.IMAGES, start.bytes)).phash : null;
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
        image: await visionImage(env, original.bytes),
        contentType: original.contentType,
        offline,
      });
      return { phash: image.phash, duplicate: null, verdict };
    });

    const { duplicate, verdict } = analysis;
    if (duplicate || !verdict) {
      await runStep(step, taskLog, `discard-original ${label}`, task.provider, QUICK, () =>
        deleteOriginal(env.BUCKET, generated.key),
      );
      const done = await runStep(step, taskLog, `finish-task ${label}`, task.provider, QUICK, () =>
        transitionTask(
          db,
          task.id,
          ["running"],
          { status: "complete", skipped: "duplicate", duplicateOf: duplicate?.id },
          Date.now(),
        ),
      );
      if (done) {
        await publish(
          "publish-final",
          { type: "progress", data: { ...ids, progress: PROGRESS.done } },
          { type: "complete", data: { ...ids, skipped: "duplicate" } },
        );
      }
      return;
    }

    const progressionId = generated.progressionId;
    const generatedImageUrl = `${origin}/images/${progressionId}`;
    const recorded = await runStep(
      step,
      taskLog,
      `record-progression ${label}`,
      task.provider,
      QUICK,
      async () => {
        const now = Date.now();
        const [, update] = await db.batch([
          insertProgressionStatement(db, {
            id: progressionId,
            projectId: job.projectId,
            parentProgressionId: job.parentProgressionId,
            jobId: job.id,
            taskId: task.id,
            startImageUrl: job.startImageUrl,
            prompt: job.prompt,
            refinedPrompt,
            provider: task.provider,
            variantIndex: task.variantIndex,
            originalImageR2Key: generated.key,
            generatedImageUrl,
            contentType: generated.contentType,
            phash: analysis.phash,
            judgment: verdict.judgment,
            aiNotes: verdict.notes,
            aiTags: verdict.tags,
            providerMeta: generated.providerMeta,
            judgeMeta: { ...verdict.judgeMeta, retrySuggestion: verdict.retrySuggestion },
            createdAt: now,
          }),
          transitionTaskStatement(db, task.id, ["running"], { status: "complete", progressionId }, now),
          touchProjectStatement(db, job.projectId, now),
        ]);
        if ((update?.meta.changes ?? 0) === 0) {
          // Cancelled meanwhile: keep D1 consistent with the stream by not keeping the row.
          await db.prepare("DELETE FROM image_progressions WHERE id = ?").bind(progressionId).run();
          return false;
        }
        return true;
      },
    );
    if (!recorded) return;
    await publish(
      "publish-final",
      { type: "progress", data: { ...ids, progress: PROGRESS.done } },
      {
        type: "judge",
        data: {
          ...ids,
          progressionId,
          judgment: verdict.judgment,
          notes: verdict.notes,
          tags: verdict.tags,
          ...(verdict.retrySuggestion ? { retrySuggestion: verdict.retrySuggestion } : {}),
        },
      },
      { type: "complete", data: { ...ids, progressionId, generatedImageUrl, judgment: verdict.judgment } },
    );
    if (verdict.judgment === "fail" && verdict.retrySuggestion && task.attempt < job.autoRetry) {
      retryFrom = { progressionId, suggestion: verdict.retrySuggestion };
    }
  } catch (err) {
    const message = taskErrorMessage(err);
    taskLog.warn("task.failed", { error: message });
    const failed = await runStep(step, taskLog, `fail-task ${label}`, task.provider, QUICK, () =>
      transitionTask(db, task.id, ["running"], { status: "failed", error: message }, Date.now()),
    );
    if (failed) await publish("publish-fail", { type: "fail", data: { ...ids, error: message } });
  }
  if (retryFrom) await retryTask({ env, step, log }, job, task, refinedPrompt, origin, retryFrom);
}

/**
 * Judge-driven auto-retry: a child task (next attempt, same provider and variant) whose prompt applies
 * the judge's retrySuggestion; its progression continues the lineage from the failed one.
 */
async function retryTask(
  ctx: TaskContext,
  job: Job,
  task: JobTask,
  refinedPrompt: string,
  origin: string,
  from: { progressionId: string; suggestion: string },
): Promise<void> {
  const label = `${task.provider}#${task.variantIndex}.${task.attempt + 1}`;
  const child = await runStep(ctx.step, ctx.log, `plan-retry ${label}`, task.provider, QUICK, async () => {
    const planned = retryOf(task, Date.now());
    await insertTaskStatement(ctx.env.DB, planned).run();
    return planned;
  });
  await publishStep(
    ctx.env,
    ctx.step,
    ctx.log,
    `publish-queued ${label}`,
    [
      {
        type: "queued",
        data: {
          jobId: job.id,
          provider: child.provider,
          variantIndex: child.variantIndex,
          attempt: child.attempt,
        },
      },
    ],
    job.sessionId,
  );
  const prompt = `${refinedPrompt.replace(/[.\s]+$/, "")}. ${from.suggestion}`;
  await runTask(ctx, { ...job, parentProgressionId: from.progressionId }, child, prompt, origin);
}
