/**
 * One task of a job (provider × variant) inside PicassoWorkflow: start → generate (provider + R2
 * put) → analyze (Images: pHash, dedupe, verdict) → record → publish, or fail. Every effect is one
 * named step; every status write is a conditional transition, so a cancelled task stays so; every
 * row a step inserts has a derived id, so a replayed step finds it instead of inserting another.
 */
import type { WorkflowStep } from "cloudflare:workers";
import { NonRetryableError } from "cloudflare:workflows";
import type { ProviderResult } from "../adapters/provider.types";
import { getAdapter } from "../adapters/router";
import { hostedBase, uploadHosted } from "../agents/tools/hosted-images";
import { putOriginal, readOriginal } from "../agents/tools/r2";
import { insertTaskStatement, recordReportStatement, settleTask, taskState } from "../db/jobs";
import { taskFailEvent } from "../jobs/finish";
import { FAIL_STEP, originalKey, progressionIdOf, taskLabel } from "../jobs/keys";
import { PROGRESS, retryOf } from "../jobs/plan";
import { reportFields, taskReport } from "../jobs/report";
import { taskSpec } from "../jobs/spec";
import type { AppEnv } from "../lib/env";
import { describeError, type Logger } from "../lib/logging";
import type { PublishEvent } from "../lib/ws-events";
import type { Job, JobTask } from "../types/domain";
import { notifyTaskEnded } from "../webhooks/enqueue";
import { asStepError, publishStep, QUICK, RETRYING, runStep, taskErrorMessage } from "./steps";
import { analyzeResult, discardResult, type RecordInput, recordResult } from "./task-result";

export interface TaskContext {
  env: AppEnv;
  step: WorkflowStep;
  log: Logger;
}

const taskRunning = async (db: D1Database, taskId: string) =>
  (await taskState(db, taskId))?.status === "running";

/** The task events' common fields. */
const idsOf = (job: Job, task: JobTask) => ({
  jobId: job.id,
  provider: task.provider,
  variantIndex: task.variantIndex,
  ...(task.attempt > 0 ? { attempt: task.attempt } : {}),
});

/**
 * Runs one task to its end and never throws: whatever fails (a provider, a platform error that
 * outlived its retries, a publish), the task ends `failed` with the reason in its `fail` event. If
 * even that cannot be written, the job's finish step ends the task (src/jobs/finish.ts).
 */
export async function runTask(
  ctx: TaskContext,
  job: Job,
  task: JobTask,
  refinedPrompt: string,
  origin: string,
): Promise<void> {
  const label = taskLabel(task);
  const log = ctx.log.child({ provider: task.provider, variantIndex: task.variantIndex });
  try {
    const retryFrom = await runSteps({ ...ctx, log }, job, task, refinedPrompt, origin, label);
    await notifyTask({ ...ctx, log }, job, task, label);
    if (retryFrom) await retryTask({ ...ctx, log }, job, task, refinedPrompt, origin, retryFrom);
  } catch (err) {
    await failTask({ ...ctx, log }, job, task, label, err);
    await notifyTask({ ...ctx, log }, job, task, label);
  }
}

/** The task's webhook event (task.completed / task.failed) when the job subscribed to one. */
async function notifyTask(ctx: TaskContext, job: Job, task: JobTask, label: string): Promise<void> {
  if (!job.webhook?.events.some((e) => e.startsWith("task."))) return;
  try {
    await runStep(ctx.step, ctx.log, `notify-task-webhook ${label}`, task.provider, QUICK, async () => {
      await notifyTaskEnded(ctx.env, job.id, task);
      return true;
    });
  } catch (err) {
    ctx.log.error("task.webhook_unqueued", describeError(err));
  }
}

/** Ends a task as failed with the error's message (if it is still unfinished) and says so. */
async function failTask(
  ctx: TaskContext,
  job: Job,
  task: JobTask,
  label: string,
  err: unknown,
): Promise<void> {
  const message = taskErrorMessage(err);
  ctx.log.warn("task.failed", { error: message });
  try {
    const failed = await runStep(ctx.step, ctx.log, `fail-task ${label}`, task.provider, QUICK, () =>
      settleTask(
        ctx.env.DB,
        task.id,
        ["queued", "running"],
        { status: "failed", error: message },
        Date.now(),
      ),
    );
    if (failed)
      await publishStep(
        ctx.env,
        ctx.step,
        ctx.log,
        FAIL_STEP(label),
        [taskFailEvent(job.id, task, message)],
        job,
      );
  } catch (cause) {
    ctx.log.error("task.fail_unrecorded", describeError(cause));
  }
}

/** The task's steps; returns what a judge-driven retry needs when one is due. */
async function runSteps(
  { env, step, log }: TaskContext,
  job: Job,
  task: JobTask,
  refinedPrompt: string,
  origin: string,
  label: string,
): Promise<{ progressionId: string; suggestion: string } | null> {
  const db = env.DB;
  const ids = idsOf(job, task);
  const publish = (name: string, ...events: PublishEvent[]) =>
    publishStep(env, step, log, `${name} ${label}`, events, job);

  // Resumed after a restart, the task may have been started before: settleTask says so too.
  const running = await runStep(step, log, `start-task ${label}`, task.provider, QUICK, () =>
    settleTask(db, task.id, ["queued"], { status: "running", refinedPrompt }, Date.now()),
  );
  if (!running) return null; // cancelled (or ended) before it started
  await publish("publish-running", { type: "running", data: ids });

  // Each attempt first looks whether the task is still running: a cancelled job's workflow winds
  // down by itself (no provider call, nothing stored) instead of being terminated mid-step.
  const generated = await runStep(step, log, `generate ${label}`, task.provider, RETRYING, async () => {
    if (!(await taskRunning(db, task.id))) return null;
    const start = job.startImageR2Key ? await readOriginal(env.BUCKET, job.startImageR2Key) : null;
    if (job.startImageR2Key && !start) throw new NonRetryableError("the start image is no longer in storage");
    const mask = job.params.maskR2Key ? await readOriginal(env.BUCKET, job.params.maskR2Key) : null;
    if (job.params.maskR2Key && !mask) throw new NonRetryableError("the mask is no longer in storage");
    const spec = taskSpec(
      job.params,
      task.provider,
      task.variantIndex,
      mask ? { bytes: mask.bytes, contentType: "image/png" } : undefined,
    );
    let result: ProviderResult;
    const started = Date.now();
    try {
      result = await getAdapter(task.provider).run(
        {
          kind: job.kind,
          prompt: refinedPrompt,
          variantIndex: task.variantIndex,
          startImage: start ?? undefined,
          spec,
        },
        env,
      );
    } catch (err) {
      throw await asStepError(err);
    }
    const report = taskReport(env, task.provider, result, Date.now() - started);
    // Provider output and its storage are one effect: bytes never travel through step state.
    const key = originalKey(job.projectId, job.id, task.ordinal);
    await putOriginal(env.BUCKET, key, result.bytes, result.contentType);
    // The report rides along with the task's ending (record-progression's batch, or finish-task).
    return { key, contentType: result.contentType, providerMeta: result.providerMeta, report };
  });
  if (!generated) return null;
  await publish("publish-progress", { type: "progress", data: { ...ids, progress: PROGRESS.generated } });

  const analysis = await runStep(step, log, `analyze ${label}`, task.provider, RETRYING, async () =>
    (await taskRunning(db, task.id)) ? analyzeResult(env, job, generated.key) : null,
  );
  const discard = () =>
    runStep(step, log, `discard-original ${label}`, task.provider, QUICK, () =>
      discardResult(env, generated.key),
    );
  if (!analysis) {
    await discard(); // cancelled while the provider was answering
    return null;
  }

  if (analysis.duplicate || !analysis.verdict) {
    await discard();
    const duplicate = analysis.duplicate;
    const done = await runStep(step, log, `finish-task ${label}`, task.provider, QUICK, async () => {
      const change = {
        status: "complete" as const,
        skipped: "duplicate" as const,
        duplicateOf: duplicate?.id,
        duplicateDistances: duplicate?.distances,
      };
      if (generated.report) await recordReportStatement(db, task.id, generated.report).run();
      return settleTask(db, task.id, ["running"], change, Date.now());
    });
    if (done) {
      await publish(
        "publish-final",
        { type: "progress", data: { ...ids, progress: PROGRESS.done } },
        {
          type: "complete",
          data: {
            ...ids,
            skipped: "duplicate",
            ...(duplicate ? { duplicateOf: duplicate.id, distances: duplicate.distances } : {}),
            ...reportFields(generated.report),
          },
        },
      );
    }
    return null;
  }

  const verdict = analysis.verdict;
  // Derived from (job, ordinal): the same on every replay, so the insert below is replay-safe.
  const progressionId = await progressionIdOf(job.id, task.ordinal);
  // Hosted Images where the account has it (IMAGES_DELIVERY_URL); else, or when the upload fails,
  // the rendition route — the progression's providerMeta.delivery says which.
  const delivery = hostedBase(env)
    ? await runStep(step, log, `deliver-hosted ${label}`, task.provider, QUICK, async () => {
        const original = await readOriginal(env.BUCKET, generated.key);
        if (!original) throw new Error(`original ${generated.key} missing`);
        return uploadHosted(env, progressionId, original.bytes, { projectId: job.projectId, jobId: job.id });
      })
    : null;
  const generatedImageUrl = delivery?.mode === "hosted" ? delivery.url : `${origin}/images/${progressionId}`;
  const providerMeta = delivery ? { ...generated.providerMeta, delivery } : generated.providerMeta;
  const record: RecordInput = {
    job,
    task,
    refinedPrompt,
    progressionId,
    generatedImageUrl,
    generated: { ...generated, providerMeta },
    analysis: { ...analysis, verdict },
  };
  const recorded = await runStep(step, log, `record-progression ${label}`, task.provider, QUICK, () =>
    recordResult(env, record),
  );
  if (!recorded) {
    await discard(); // cancelled meanwhile: the row is gone, so is the image
    return null;
  }
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
    {
      type: "complete",
      data: {
        ...ids,
        progressionId,
        generatedImageUrl,
        judgment: verdict.judgment,
        ...reportFields(generated.report),
        ...(analysis.similarToStart ? { similarToStart: analysis.similarToStart } : {}),
      },
    },
  );
  if (verdict.judgment === "fail" && verdict.retrySuggestion && task.attempt < job.autoRetry) {
    return { progressionId, suggestion: verdict.retrySuggestion };
  }
  return null;
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
  const child = await runStep(
    ctx.step,
    ctx.log,
    `plan-retry ${taskLabel({ ...task, attempt: task.attempt + 1 })}`,
    task.provider,
    QUICK,
    async () => {
      // The child's id is derived, and the insert does nothing when the row exists: replay-safe.
      const planned = await retryOf(task, Date.now());
      await insertTaskStatement(ctx.env.DB, planned).run();
      return planned;
    },
  );
  await publishStep(
    ctx.env,
    ctx.step,
    ctx.log,
    `publish-queued ${taskLabel(child)}`,
    [{ type: "queued", data: idsOf(job, child) }],
    job,
  );
  const prompt = `${refinedPrompt.replace(/[.\s]+$/, "")}. ${from.suggestion}`;
  await runTask(ctx, { ...job, parentProgressionId: from.progressionId }, child, prompt, origin);
}
