/**
 * PicassoWorkflow: runs one job durably. The Orchestrator agent decides; every effect (a D1 write,
 * an R2 put, an Images call, a message to the session actor) is one `step.do` with a deterministic
 * name ("generate local#1"), so it is retried on transient errors and replayed from its recorded
 * result after a restart instead of being done twice. Tasks run concurrently.
 */
import {
  WorkflowEntrypoint,
  type WorkflowEvent,
  type WorkflowStep,
  type WorkflowStepConfig,
} from "cloudflare:workers";
import { NonRetryableError } from "cloudflare:workflows";
import { ProviderError, type ProviderResult } from "../adapters/provider.types";
import { getAdapter } from "../adapters/router";
import { judgeOffline } from "../agents/judge.agent";
import { finalStatus, findDuplicate, originalKey, PROGRESS, summarize } from "../agents/orchestrator.agent";
import { refineWithRules } from "../agents/refine";
import { analyzeImage } from "../agents/tools/images";
import { deleteOriginal, putOriginal, readOriginal } from "../agents/tools/r2";
import {
  getJob,
  getTasks,
  mergeJobMetadata,
  transitionJob,
  transitionTask,
  transitionTaskStatement,
} from "../db/jobs";
import { listTips } from "../db/knowledge";
import { insertProgressionStatement, projectPhashes } from "../db/progressions";
import { touchProjectStatement } from "../db/projects";
import { publishEventBatch } from "../lib/actor";
import type { AppEnv } from "../lib/env";
import { newId } from "../lib/ids";
import { createLogger, type Logger } from "../lib/logging";
import { DEFAULT_PHASH_THRESHOLD, hammingDistance } from "../lib/phash";
import type { PublishEvent } from "../lib/ws-events";
import type { ProviderId } from "../schemas/common";
import type { Job, JobTask } from "../types/domain";

export interface JobWorkflowParams {
  jobId: string;
  /** The API's origin at submission, for absolute `generatedImageUrl`s. */
  origin: string;
}

type StepConfig = WorkflowStepConfig;

/** Provider calls and Images work: transient failures are retried with exponential backoff. */
const RETRYING: StepConfig = {
  retries: { limit: 3, delay: 500, backoff: "exponential" },
  timeout: "2 minutes",
};
/** D1 writes and actor messages: quick, idempotent, a couple of retries. */
const QUICK: StepConfig = {
  retries: { limit: 2, delay: 200, backoff: "exponential" },
  timeout: "30 seconds",
};

/** Reads a positive integer var with a default. */
function intVar(raw: string | undefined, fallback: number): number {
  const n = Number(raw);
  return Number.isInteger(n) && n >= 0 ? n : fallback;
}

/** The user-facing text of a failed step (the runtime prefixes some messages with the error's class). */
function taskErrorMessage(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.replace(/^(NonRetryableError|Error|ProviderError):\s*/, "").slice(0, 2000) || "the task failed";
}

/** Maps a provider failure onto the workflow's retry rules (4xx/validation are permanent). */
function asStepError(err: unknown): Error {
  if (err instanceof ProviderError && !err.retryable) return new NonRetryableError(err.message);
  return err instanceof Error ? err : new Error(String(err));
}

export class PicassoWorkflow extends WorkflowEntrypoint<AppEnv, JobWorkflowParams> {
  override async run(event: WorkflowEvent<JobWorkflowParams>, step: WorkflowStep): Promise<unknown> {
    const { jobId, origin } = event.payload;
    const bootLog = createLogger({ jobId });
    const { job, tasks } = await this.step(step, bootLog, "load-job", null, QUICK, async () => {
      const job = await getJob(this.env.DB, jobId);
      if (!job) throw new NonRetryableError(`job ${jobId} not found`);
      return { job, tasks: await getTasks(this.env.DB, jobId) };
    });
    const log = bootLog.child({ sessionId: job.sessionId });
    const started = await this.step(step, log, "start-job", null, QUICK, () =>
      transitionJob(this.env.DB, jobId, ["queued"], "running", Date.now()),
    );
    if (!started) return { jobId, status: "not-started" };

    const refined = await this.refine(step, log, job);
    await Promise.all(
      tasks.map((task) => this.runTask(step, log, job, task, refined[task.provider] ?? job.prompt, origin)),
    );

    const outcome = await this.step(step, log, "finish-job", null, QUICK, async () => {
      const ended = await getTasksWithJudgments(this.env.DB, jobId);
      const status = finalStatus(ended);
      const summary = summarize(ended);
      const changed = await transitionJob(this.env.DB, jobId, ["running"], status, Date.now());
      return { changed, status, summary };
    });
    if (outcome.changed) {
      const done: PublishEvent = { type: "complete", data: { jobId, summary: outcome.summary } };
      await this.publish(step, log, "publish-job-complete", [done], job.sessionId);
    }
    return { jobId, status: outcome.status, summary: outcome.summary };
  }

  /** One refinement per provider, recorded on the job's metadata. */
  private async refine(
    step: WorkflowStep,
    log: Logger,
    job: Job,
  ): Promise<Partial<Record<ProviderId, string>>> {
    const results = await Promise.all(
      job.providers.map(async (provider) => {
        const r = await this.step(step, log, `refine-prompt ${provider}`, provider, QUICK, async () =>
          refineWithRules(job.prompt, await listTips(this.env.DB, provider)),
        );
        return [provider, r] as const;
      }),
    );
    await this.step(step, log, "record-refinement", null, QUICK, () =>
      mergeJobMetadata(
        this.env.DB,
        job.id,
        {
          refinement: Object.fromEntries(
            results.map(([p, r]) => [p, { mode: r.mode, appliedTips: r.appliedTips }]),
          ),
        },
        Date.now(),
      ),
    );
    return Object.fromEntries(results.map(([p, r]) => [p, r.refinedPrompt]));
  }

  private async runTask(
    step: WorkflowStep,
    log: Logger,
    job: Job,
    task: JobTask,
    refinedPrompt: string,
    origin: string,
  ): Promise<void> {
    const label = `${task.provider}#${task.variantIndex}${task.attempt > 0 ? `.${task.attempt}` : ""}`;
    const taskLog = log.child({ provider: task.provider, variantIndex: task.variantIndex });
    const db = this.env.DB;
    const ids = { jobId: job.id, provider: task.provider, variantIndex: task.variantIndex };
    const publish = (name: string, ...events: PublishEvent[]) =>
      this.publish(step, taskLog, `${name} ${label}`, events, job.sessionId);

    const running = await this.step(step, taskLog, `start-task ${label}`, task.provider, QUICK, () =>
      transitionTask(db, task.id, ["queued"], { status: "running", refinedPrompt }, Date.now()),
    );
    if (!running) return; // cancelled before it started
    await publish("publish-running", { type: "running", data: ids });

    try {
      const generated = await this.step(
        step,
        taskLog,
        `generate ${label}`,
        task.provider,
        RETRYING,
        async () => {
          const start = job.startImageR2Key ? await readOriginal(this.env.BUCKET, job.startImageR2Key) : null;
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
              this.env,
            );
          } catch (err) {
            throw asStepError(err);
          }
          // Provider output and its storage are one effect: bytes never travel through step state.
          const key = originalKey(job.projectId, job.id, task.ordinal);
          await putOriginal(this.env.BUCKET, key, result.bytes, result.contentType);
          return {
            key,
            contentType: result.contentType,
            providerMeta: result.providerMeta,
            progressionId: newId(),
          };
        },
      );
      await publish("publish-progress", { type: "progress", data: { ...ids, progress: PROGRESS.generated } });

      // The Images work, plus what it decides: near-duplicate or not, and the offline verdict.
      const threshold = intVar(this.env.PHASH_THRESHOLD, DEFAULT_PHASH_THRESHOLD);
      const analysis = await this.step(
        step,
        taskLog,
        `analyze ${label}`,
        task.provider,
        RETRYING,
        async () => {
          const original = await readOriginal(this.env.BUCKET, generated.key);
          if (!original) throw new Error(`original ${generated.key} missing`);
          const image = await analyzeImage(this.env.IMAGES, original.bytes);
          const duplicate = findDuplicate(image.phash, await projectPhashes(db, job.projectId), threshold);
          if (duplicate) return { phash: image.phash, duplicate, verdict: null };
          const start = job.startImageR2Key ? await readOriginal(this.env.BUCKET, job.startImageR2Key) : null;
          const startPhash = start ? (await analyzeImage(this.env.IMAGES, start.bytes)).phash : null;
          const verdict = judgeOffline({
            prompt: job.prompt,
            kind: job.kind,
            stats: image.stats,
            width: image.width,
            height: image.height,
            startImageDistance: startPhash ? hammingDistance(image.phash, startPhash) : undefined,
          });
          return { phash: image.phash, duplicate: null, verdict };
        },
      );

      const { duplicate, verdict } = analysis;
      if (duplicate || !verdict) {
        await this.step(step, taskLog, `discard-original ${label}`, task.provider, QUICK, () =>
          deleteOriginal(this.env.BUCKET, generated.key),
        );
        const done = await this.step(step, taskLog, `finish-task ${label}`, task.provider, QUICK, () =>
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
      const recorded = await this.step(
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
    } catch (err) {
      const message = taskErrorMessage(err);
      taskLog.warn("task.failed", { error: message });
      const failed = await this.step(step, taskLog, `fail-task ${label}`, task.provider, QUICK, () =>
        transitionTask(db, task.id, ["running"], { status: "failed", error: message }, Date.now()),
      );
      if (failed) await publish("publish-fail", { type: "fail", data: { ...ids, error: message } });
    }
  }

  /** A step with a structured log line `{ jobId, sessionId, provider, step, ms }` when it runs. */
  private step<T>(
    step: WorkflowStep,
    log: Logger,
    name: string,
    provider: ProviderId | null,
    config: StepConfig,
    fn: () => Promise<T>,
  ): Promise<T> {
    const timed = async () => {
      const started = Date.now();
      try {
        return await fn();
      } finally {
        log.info("step", { provider, step: name, ms: Date.now() - started });
      }
    };
    // Step results are plain JSON data (rows, ids, verdicts); the cast only bridges Rpc.Serializable's
    // inability to see through `Record<string, unknown>`.
    return step.do(name, config, timed as () => Promise<Rpc.Serializable<never>>) as unknown as Promise<T>;
  }

  /**
   * Sends events to the session actor in one message. The actor drops events of a task that a
   * cancellation closed, so nothing contradicts a task's `fail: cancelled`.
   */
  private async publish(
    step: WorkflowStep,
    log: Logger,
    name: string,
    events: PublishEvent[],
    sessionId: string,
  ) {
    return this.step(step, log, name, null, QUICK, async () => {
      const result = await publishEventBatch(this.env, sessionId, events);
      if (!result.ok) throw new NonRetryableError(`invalid event: ${result.message}`);
      return true;
    });
  }
}

/** Task outcomes with the judgment of their progression, for the job summary. */
async function getTasksWithJudgments(db: D1Database, jobId: string) {
  const { results } = await db
    .prepare(
      `SELECT t.status, t.skipped, p.judgment FROM job_tasks t
       LEFT JOIN image_progressions p ON p.id = t.progression_id WHERE t.job_id = ?`,
    )
    .bind(jobId)
    .all<{ status: JobTask["status"]; skipped: string | null; judgment: "pass" | "fail" | null }>();
  return results.map((r) => ({
    status: r.status,
    skipped: r.skipped === "duplicate" ? ("duplicate" as const) : null,
    judgment: r.judgment,
  }));
}
