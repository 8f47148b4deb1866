/**
 * PicassoWorkflow: runs one job durably. Every state change (the job or a task moving on, an image
 * stored, a progression recorded) is one `step.do` with a deterministic name ("generate local#1"),
 * carrying the events that report it; it is retried on transient errors and replayed from its
 * recorded result after a restart instead of being done twice, and its writes and events are keyed
 * so a repeat finds them. A job is `start-job` (src/workflows/job-start.ts), `fingerprint-start`
 * (with a start image), two steps per task (src/workflows/task-runner.ts) and `finish-job`. Tasks run
 * concurrently; whatever a task does, the finish step runs (src/jobs/finish.ts).
 */
import { WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cloudflare:workers";
import { touchHeartbeat } from "../db/jobs";
import { meteredDb, meteringOn } from "../db/meter";
import { endingEvents, endJob } from "../jobs/finish";
import { HEARTBEAT_MS } from "../jobs/recover";
import type { AppEnv } from "../lib/env";
import { createLogger, describeError } from "../lib/logging";
import { isTerminal } from "../lib/vocabulary";
import { notifyJobEnded } from "../webhooks/enqueue";
import { startJob } from "./job-start";
import { logStepTimings, publishEvents, QUICK, RETRYING, runStep } from "./steps";
import { analyzeStart } from "./task-result";
import { jobInputs, runTask } from "./task-runner";

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
    // D1_METER=1 (benchmarks): this run's D1 statements are counted, and logged once at its end.
    const metered = meteringOn(this.env) ? meteredDb(this.env.DB) : null;
    const env = metered ? { ...this.env, DB: metered.db } : this.env;
    const db = env.DB;
    // The heartbeat runs outside steps on purpose: it is a sign of life, repeated on every replay.
    // Not awaited: the first step need not wait for it.
    const beat = () => touchHeartbeat(db, jobId, Date.now()).catch(() => undefined);
    void beat();
    const timer = setInterval(beat, HEARTBEAT_MS);
    try {
      return await this.runJob(env, step, jobId, origin);
    } finally {
      clearInterval(timer);
      const log = createLogger({ jobId });
      logStepTimings(step, log);
      if (metered) log.info("d1", { scope: "workflow", jobId, ...metered.tally });
    }
  }

  private async runJob(env: AppEnv, step: WorkflowStep, jobId: string, origin: string): Promise<unknown> {
    const db = env.DB;
    const bootLog = createLogger({ jobId });
    // The job and its tasks move to running with their refined prompts, and say so, in one step.
    const { job, tasks, started, refined } = await runStep(step, bootLog, "start-job", null, QUICK, () =>
      startJob(env, jobId, bootLog),
    );
    if (!started) return { jobId, status: "not-started" };
    const log = bootLog.child({ sessionId: job.sessionId });

    // The start image is measured once for all tasks (near-duplicate lineage, similarity to start).
    const start = job.startImageR2Key
      ? await runStep(step, log, "fingerprint-start", null, RETRYING, () =>
          analyzeStart(env, job, job.startImageR2Key as string),
        ).catch((err: unknown) => {
          log.warn("job.start_unmeasured", describeError(err));
          return null;
        })
      : null;
    const ctx = { env, step, log, inputs: jobInputs(env, job), start };
    // runTask settles every task itself; allSettled is the belt to its braces.
    await Promise.allSettled(
      tasks
        .filter((task) => !isTerminal(task.status))
        .map((task) => runTask(ctx, job, task, refined[task.provider] ?? job.prompt, origin)),
    );

    // The job's ending and the events that say so (each unfinished task's `fail`, then the job's
    // `complete`), in one step. Published even when this run did not change the job (a replay, a
    // cancellation): their ids keep each once.
    const ending = await runStep(step, log, "finish-job", null, QUICK, async () => {
      const ending = await endJob(db, jobId, UNFINISHED, Date.now());
      await publishEvents(env, job, "finish-job", endingEvents(jobId, ending, UNFINISHED));
      return ending;
    });
    if (job.webhook) {
      await runStep(step, log, "notify-job-webhook", null, QUICK, async () => {
        await notifyJobEnded(env, jobId);
        return true;
      });
    }
    return { jobId, status: ending.status, summary: ending.summary };
  }
}
