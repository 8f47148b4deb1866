/**
 * One task of a job (provider × variant) inside PicassoWorkflow, in two steps, each one state
 * change with the events that report it: `generate` (provider call, R2 put and the analysis of the
 * bytes in hand, + `progress`) and `record` (the progression and the task's ending in one batch,
 * + `progress 1`, `judge`, `complete`); or `fail` (the task's ending, + `fail`). The job's first
 * step moves its tasks to running (src/workflows/job-start.ts); a task planned later (a retry) has a
 * `start` step of its own (queued → running, + `running`). Every status write is a conditional transition, so a cancelled task
 * stays so; every row a step inserts has a derived id and every event an id from its step's name,
 * so a retried or replayed step finds what it made before instead of making it twice.
 */
import type { WorkflowStep } from "cloudflare:workers";
import { NonRetryableError } from "cloudflare:workflows";
import type { ProviderResult } from "../adapters/provider.types";
import { getAdapter } from "../adapters/router";
import { hostedBase, uploadHosted } from "../agents/tools/hosted-images";
import { putOriginal, readOriginal } from "../agents/tools/r2";
import { settleTask, taskState } from "../db/job-tasks";
import { insertTaskStatement } from "../db/jobs";
import { taskFailEvent } from "../jobs/finish";
import {
  eventId,
  FAIL_STEP,
  originalKey,
  progressionIdOf,
  START_STEP,
  taskEventIds,
  taskLabel,
} from "../jobs/keys";
import { PROGRESS, retryOf } from "../jobs/plan";
import { reportFields, taskReport } from "../jobs/report";
import { taskSpec } from "../jobs/spec";
import type { AppEnv } from "../lib/env";
import { describeError, type Logger } from "../lib/logging";
import type { Job, JobTask } from "../types/domain";
import { notifyTaskEnded } from "../webhooks/enqueue";
import { asStepError, publishEvents, QUICK, RETRYING, runStep, taskErrorMessage } from "./steps";
import {
  type Analysis,
  analyzeResult,
  analyzeStored,
  type Generated,
  recordResult,
  type StartAnalysis,
  skipResult,
} from "./task-result";

export interface TaskContext {
  env: AppEnv;
  step: WorkflowStep;
  log: Logger;
  /** The job's start image and mask, read from R2 once per run and shared by its tasks. */
  inputs: JobInputs;
  /** The start image's analysis, made once per job (null without a start image). */
  start: StartAnalysis | null;
}

type Stored = { bytes: Uint8Array; contentType: string };

/** The job's stored inputs, each read at most once per workflow run however many tasks need it. */
export interface JobInputs {
  startImage(): Promise<Stored | null>;
  mask(): Promise<Stored | null>;
}

/** Lazily reads a job's start image and mask; a failed read is forgotten, so a retry reads again. */
export function jobInputs(env: AppEnv, job: Job): JobInputs {
  const once = (key: string | null | undefined, what: string) => {
    let pending: Promise<Stored> | null = null;
    return async (): Promise<Stored | null> => {
      if (!key) return null;
      pending ??= readOriginal(env.BUCKET, key).then((found) => {
        if (!found) throw new NonRetryableError(`the ${what} is no longer in storage`);
        return found;
      });
      const current = pending;
      current.catch(() => {
        if (pending === current) pending = null;
      });
      return current;
    };
  };
  return { startImage: once(job.startImageR2Key, "start image"), mask: once(job.params.maskR2Key, "mask") };
}

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

/** Ends a task as failed with the error's message (if it is still unfinished) and says so, in one step. */
async function failTask(
  ctx: TaskContext,
  job: Job,
  task: JobTask,
  label: string,
  err: unknown,
): Promise<void> {
  const message = taskErrorMessage(err);
  ctx.log.warn("task.failed", { error: message });
  const name = FAIL_STEP(label);
  try {
    await runStep(ctx.step, ctx.log, name, task.provider, QUICK, async () => {
      const failed = await settleTask(
        ctx.env.DB,
        task.id,
        ["queued", "running"],
        { status: "failed", error: message },
        Date.now(),
      );
      // The fail event's id is the one every publisher of this task's failure shares.
      if (failed) await publishEvents(ctx.env, job, name, [taskFailEvent(job.id, task, message)]);
      return failed;
    });
  } catch (cause) {
    ctx.log.error("task.fail_unrecorded", describeError(cause));
  }
}

/** What the generate step hands on: the stored original, and its analysis unless that failed. */
interface GenerateOutcome extends Generated {
  analysis: Analysis | null;
}

/** The task's steps; returns what a judge-driven retry needs when one is due. */
async function runSteps(
  { env, step, log, inputs, start }: TaskContext,
  job: Job,
  task: JobTask,
  refinedPrompt: string,
  origin: string,
  label: string,
): Promise<{ progressionId: string; suggestion: string } | null> {
  const db = env.DB;
  const ids = taskEventIds(job.id, task);
  // Derived from (job, ordinal): the same on every replay, so the record step's insert is replay-safe.
  const progressionId = await progressionIdOf(job.id, task.ordinal);

  // The job's first step starts its tasks; a task planned later (a judge-driven retry) starts here.
  // Resumed after a restart, the task may have been started before: settleTask says so too.
  if (task.status === "queued") {
    const startName = START_STEP(task);
    const running = await runStep(step, log, startName, task.provider, QUICK, async () => {
      const started = await settleTask(
        db,
        task.id,
        ["queued"],
        { status: "running", refinedPrompt },
        Date.now(),
      );
      if (started) await publishEvents(env, job, startName, [{ type: "running", data: ids }]);
      return started;
    });
    if (!running) return null; // cancelled (or ended) before it started
  }

  // A retry first looks whether the task is still running: a cancelled job's workflow winds down by
  // itself (no provider call, nothing stored) instead of being terminated mid-step. The first attempt
  // follows the task's start by milliseconds and skips that read; should a cancellation land in
  // between, the record step finds the task cancelled and keeps nothing.
  const generateName = `generate ${label}`;
  const generated = await runStep(step, log, generateName, task.provider, RETRYING, async (attempt) => {
    if (attempt > 1 && (await taskState(db, task.id))?.status !== "running") return null;
    const [startImage, mask] = await Promise.all([inputs.startImage(), inputs.mask()]);
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
          startImage: startImage ?? undefined,
          spec,
        },
        env,
      );
    } catch (err) {
      throw await asStepError(err);
    }
    const report = taskReport(env, task.provider, result, Date.now() - started);
    // Provider output and its storage are one effect: bytes never travel through step state. The
    // analysis (Worker CPU) runs while the put and the `progress` event (I/O) are under way; the
    // step ends only once the original is stored. An Images hiccup in the analysis must not cost a
    // second provider call: the record step analyses the stored original instead.
    const key = originalKey(job.projectId, job.id, task.ordinal);
    const stored = putOriginal(env.BUCKET, key, result.bytes, result.contentType).then(() =>
      publishEvents(env, job, generateName, [
        { type: "progress", data: { ...ids, progress: PROGRESS.generated } },
      ]),
    );
    stored.catch(() => undefined); // awaited below; this only keeps it from counting as unhandled
    const analysis = await analyzeResult(env, job, result, start).catch((err: unknown) => {
      log.warn("task.analysis_deferred", describeError(err));
      return null;
    });
    await stored;
    // Hosted Images where the account has it (IMAGES_DELIVERY_URL), from the same bytes; a failed
    // upload falls back to the rendition route (providerMeta.delivery says which).
    const keep = analysis !== null && !analysis.duplicate && analysis.verdict !== null;
    const delivery =
      keep && hostedBase(env)
        ? await uploadHosted(env, progressionId, result.bytes, { projectId: job.projectId, jobId: job.id })
        : null;
    const providerMeta = delivery ? { ...result.providerMeta, delivery } : result.providerMeta;
    return { key, contentType: result.contentType, providerMeta, report, analysis } satisfies GenerateOutcome;
  });
  if (!generated) return null;

  const recordName = `record ${label}`;
  return runStep(step, log, recordName, task.provider, RETRYING, async () => {
    const analysis = generated.analysis ?? (await analyzeStored(env, job, generated.key, start));
    const verdict = analysis.verdict;
    if (analysis.duplicate || !verdict) {
      const duplicate = analysis.duplicate;
      if (!(await skipResult(env, task.id, generated, duplicate))) return null; // cancelled meanwhile
      await publishEvents(env, job, recordName, [
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
      ]);
      return null;
    }
    const delivery = generated.providerMeta.delivery as { mode?: string; url?: string } | undefined;
    const generatedImageUrl =
      delivery?.mode === "hosted" && delivery.url ? delivery.url : `${origin}/images/${progressionId}`;
    const recorded = await recordResult(env, {
      job,
      task,
      refinedPrompt,
      progressionId,
      generatedImageUrl,
      generated,
      analysis: { ...analysis, verdict },
    });
    if (!recorded) return null; // cancelled meanwhile: the row is gone, so is the image
    await publishEvents(env, job, recordName, [
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
    ]);
    return verdict.judgment === "fail" && verdict.retrySuggestion && task.attempt < job.autoRetry
      ? { progressionId, suggestion: verdict.retrySuggestion }
      : null;
  });
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
  const childLabel = taskLabel({ ...task, attempt: task.attempt + 1 });
  const child = await runStep(
    ctx.step,
    ctx.log,
    `plan-retry ${childLabel}`,
    task.provider,
    QUICK,
    async () => {
      // The child's id is derived, and the insert does nothing when the row exists: replay-safe.
      const planned = await retryOf(task, Date.now());
      await insertTaskStatement(ctx.env.DB, planned).run();
      // The same event id the submission gives a task's `queued`.
      await publishEvents(ctx.env, job, `publish-queued ${childLabel}`, [
        {
          id: eventId(job.id, `publish-queued ${childLabel}`, 0),
          type: "queued",
          data: taskEventIds(job.id, planned),
        },
      ]);
      return planned;
    },
  );
  const prompt = `${refinedPrompt.replace(/[.\s]+$/, "")}. ${from.suggestion}`;
  await runTask(ctx, { ...job, parentProgressionId: from.progressionId }, child, prompt, origin);
}
