/**
 * PicassoWorkflow: runs one job durably. The Orchestrator agent decides; every effect (a D1 write,
 * an R2 put, an Images call, a message to the session actor) is one `step.do` with a deterministic
 * name ("generate local#1"), so it is retried on transient errors and replayed from its recorded
 * result after a restart instead of being done twice. Tasks run concurrently.
 */
import { WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cloudflare:workers";
import { NonRetryableError } from "cloudflare:workflows";
import { finalStatus, summarize } from "../agents/orchestrator.agent";
import { refinePrompt } from "../agents/refine-model";
import { getJob, getTasks, mergeJobMetadata, taskOutcomes, transitionJob } from "../db/jobs";
import { listTips } from "../db/knowledge";
import type { AppEnv } from "../lib/env";
import { createLogger, type Logger } from "../lib/logging";
import type { PublishEvent } from "../lib/ws-events";
import type { ProviderId } from "../schemas/common";
import type { Job } from "../types/domain";
import { publishStep, QUICK, runStep } from "./steps";
import { runTask } from "./task-runner";

export interface JobWorkflowParams {
  jobId: string;
  /** The API's origin at submission, for absolute `generatedImageUrl`s. */
  origin: string;
}

export class PicassoWorkflow extends WorkflowEntrypoint<AppEnv, JobWorkflowParams> {
  override async run(event: WorkflowEvent<JobWorkflowParams>, step: WorkflowStep): Promise<unknown> {
    const { jobId, origin } = event.payload;
    const bootLog = createLogger({ jobId });
    const { job, tasks } = await runStep(step, bootLog, "load-job", null, QUICK, async () => {
      const job = await getJob(this.env.DB, jobId);
      if (!job) throw new NonRetryableError(`job ${jobId} not found`);
      return { job, tasks: await getTasks(this.env.DB, jobId) };
    });
    const log = bootLog.child({ sessionId: job.sessionId });
    const started = await runStep(step, log, "start-job", null, QUICK, () =>
      transitionJob(this.env.DB, jobId, ["queued"], "running", Date.now()),
    );
    if (!started) return { jobId, status: "not-started" };

    const refined = await this.refine(step, log, job);
    await Promise.all(
      tasks.map((task) =>
        runTask({ env: this.env, step, log }, job, task, refined[task.provider] ?? job.prompt, origin),
      ),
    );

    const outcome = await runStep(step, log, "finish-job", null, QUICK, async () => {
      const ended = await taskOutcomes(this.env.DB, jobId);
      const status = finalStatus(ended);
      const summary = summarize(ended);
      const changed = await transitionJob(this.env.DB, jobId, ["running"], status, Date.now());
      return { changed, status, summary };
    });
    if (outcome.changed) {
      const done: PublishEvent = { type: "complete", data: { jobId, summary: outcome.summary } };
      await publishStep(this.env, step, log, "publish-job-complete", [done], job.sessionId);
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
  }
}
