/**
 * PicassoWorkflow: runs one job durably. Every effect (a D1 write, an R2 put, an Images call, a
 * message to the session actor) is one `step.do` with a deterministic name ("generate local#1"), so
 * it is retried on transient errors and replayed from its recorded result after a restart instead of
 * being done twice. Tasks run concurrently; whatever a task does, the finish step runs (src/jobs/finish.ts).
 */
import { WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cloudflare:workers";
import { NonRetryableError } from "cloudflare:workflows";
import { refinePrompt } from "../agents/refine-model";
import { getJob, getTasks, mergeJobMetadata, touchHeartbeat, transitionJob } from "../db/jobs";
import { listTips } from "../db/knowledge";
import { endingEvents, endJob } from "../jobs/finish";
import { JOB_COMPLETE_STEP } from "../jobs/keys";
import { HEARTBEAT_MS } from "../jobs/recover";
import type { AppEnv } from "../lib/env";
import { createLogger, describeError, type Logger } from "../lib/logging";
import { isTerminal, type ProviderId } from "../lib/vocabulary";
import type { Job } from "../types/domain";
import { notifyJobEnded } from "../webhooks/enqueue";
import { publishStep, QUICK, runStep } from "./steps";
import { runTask } from "./task-runner";

export interface JobWorkflowParams {
  jobId: string;
  /** The API's origin at submission, for absolute `generatedImageUrl`s. */
  origin: string;
}

/** The error of a task that was still unfinished when all task runners had returned (a bug's backstop). */
export const UNFINISHED = "the task ended without a result";

export class PicassoWorkflow extends WorkflowEntrypoint<AppEnv, JobWorkflowParams> {
  override async run(event: WorkflowEvent<JobWorkflowParams>, step: WorkflowStep): Promise<unknown> {
    const { jobId, origin } = event.payload;
    const db = this.env.DB;
    // The heartbeat runs outside steps on purpose: it is a sign of life, repeated on every replay.
    const beat = () => touchHeartbeat(db, jobId, Date.now()).catch(() => undefined);
    await beat();
    const timer = setInterval(beat, HEARTBEAT_MS);
    try {
      return await this.runJob(step, jobId, origin);
    } finally {
      clearInterval(timer);
    }
  }

  private async runJob(step: WorkflowStep, jobId: string, origin: string): Promise<unknown> {
    const db = this.env.DB;
    const bootLog = createLogger({ jobId });
    const { job, tasks } = await runStep(step, bootLog, "load-job", null, QUICK, async () => {
      const job = await getJob(db, jobId);
      if (!job) throw new NonRetryableError(`job ${jobId} not found`);
      return { job, tasks: await getTasks(db, jobId) };
    });
    const log = bootLog.child({ sessionId: job.sessionId });
    const started = await runStep(step, log, "start-job", null, QUICK, async () => {
      if (await transitionJob(db, jobId, ["queued"], "running", Date.now())) return true;
      // Resumed after a restart: the job is already running. Anything else (cancelled, ended) stops here.
      return (await getJob(db, jobId))?.status === "running";
    });
    if (!started) return { jobId, status: "not-started" };

    const refined = await this.refine(step, log, job);
    // runTask settles every task itself; allSettled is the belt to its braces.
    await Promise.allSettled(
      tasks
        .filter((task) => !isTerminal(task.status))
        .map((task) =>
          runTask({ env: this.env, step, log }, job, task, refined[task.provider] ?? job.prompt, origin),
        ),
    );

    const ending = await runStep(step, log, "finish-job", null, QUICK, () =>
      endJob(db, jobId, UNFINISHED, Date.now()),
    );
    // Published even when this run did not change the job (a replay, a cancellation): ids keep it once.
    await publishStep(this.env, step, log, JOB_COMPLETE_STEP, endingEvents(jobId, ending, UNFINISHED), job);
    if (job.webhook) {
      await runStep(step, log, "notify-job-webhook", null, QUICK, async () => {
        await notifyJobEnded(this.env, jobId);
        return true;
      });
    }
    return { jobId, status: ending.status, summary: ending.summary };
  }

  /** One refinement per provider, recorded on the job's metadata; the plain prompt if that fails. */
  private async refine(
    step: WorkflowStep,
    log: Logger,
    job: Job,
  ): Promise<Partial<Record<ProviderId, string>>> {
    try {
      const results = await Promise.all(
        job.providers.map(async (provider) => {
          const r = await runStep(step, log, `refine-prompt ${provider}`, provider, QUICK, async () =>
            refinePrompt(this.env, job.prompt, provider, await listTips(this.env.DB, provider)),
          );
          return [provider, r] as const;
        }),
      );
      await runStep(step, log, "record-refinement", null, QUICK, () =>
        mergeJobMetadata(
          this.env.DB,
          job.id,
          {
            refinement: Object.fromEntries(
              results.map(([p, r]) => [
                p,
                { mode: r.mode, appliedTips: r.appliedTips, ...(r.note ? { note: r.note } : {}) },
              ]),
            ),
          },
          Date.now(),
        ),
      );
      return Object.fromEntries(results.map(([p, r]) => [p, r.refinedPrompt]));
    } catch (err) {
      log.warn("job.refinement_failed", describeError(err));
      return {};
    }
  }
}
