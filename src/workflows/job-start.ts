/**
 * The body of a job's first step: the job moves to running with its refined prompts, and so do its
 * queued tasks (all of a job's tasks run at once), in one D1 batch that also reads them back; then
 * one actor message says `running` for each. Each task event carries the id a task's own `start`
 * step gives it (a retry's child task has one, src/workflows/task-runner.ts), so a repeat is
 * streamed once.
 */
import { NonRetryableError } from "cloudflare:workflows";
import { refinePrompt } from "../agents/refine-model";
import { tasksStatement, toTasks } from "../db/job-tasks";
import { getJob, transitionJobStatement } from "../db/jobs";
import { listTips } from "../db/knowledge";
import { eventId, START_STEP, taskEventIds } from "../jobs/keys";
import type { AppEnv } from "../lib/env";
import { describeError, type Logger } from "../lib/logging";
import type { JobStatus, ProviderId } from "../lib/vocabulary";
import type { Job, JobTask } from "../types/domain";
import { publishEvents } from "./steps";

export interface JobStart {
  job: Job;
  /** The job's tasks after the start (the started ones `running`). */
  tasks: JobTask[];
  /** False when the job was no longer queued or running (cancelled, ended): nothing else runs. */
  started: boolean;
  /** The prompt each provider's tasks use. */
  refined: Partial<Record<ProviderId, string>>;
}

/** One refinement per provider, concurrently; a provider whose refinement fails keeps the plain prompt. */
async function refineAll(env: AppEnv, job: Job, log: Logger) {
  const tips = await listTips(env.DB).catch((err: unknown) => {
    log.warn("job.tips_unread", describeError(err));
    return [];
  });
  const results = await Promise.all(
    job.providers.map(async (provider) => {
      try {
        const own = tips.filter((t) => t.provider === provider);
        return [provider, await refinePrompt(env, job.prompt, provider, own)] as const;
      } catch (err) {
        log.warn("job.refinement_failed", { provider, ...describeError(err) });
        return [provider, null] as const;
      }
    }),
  );
  const metadata = {
    refinement: Object.fromEntries(
      results.flatMap(([p, r]) =>
        r ? [[p, { mode: r.mode, appliedTips: r.appliedTips, ...(r.note ? { note: r.note } : {}) }]] : [],
      ),
    ),
  };
  const refined = Object.fromEntries(results.flatMap(([p, r]) => (r ? [[p, r.refinedPrompt]] : [])));
  return { metadata, refined: refined as Partial<Record<ProviderId, string>> };
}

/**
 * Starts a job (see the module comment). Safe to repeat: on a resumed run the job is already
 * running, nothing changes, and the same events are sent again under the same ids.
 */
export async function startJob(env: AppEnv, jobId: string, log: Logger): Promise<JobStart> {
  const db = env.DB;
  const job = await getJob(db, jobId);
  if (!job) throw new NonRetryableError(`job ${jobId} not found`);
  const { metadata, refined } = await refineAll(env, job, log);
  const now = Date.now();
  const results = await db.batch([
    transitionJobStatement(db, jobId, ["queued"], "running", now, metadata),
    // Every queued task of the job, with its provider's prompt; a cancelled one stays cancelled.
    ...job.providers.map((provider) =>
      db
        .prepare(
          `UPDATE job_tasks SET status = 'running', refined_prompt = ?, started_at = COALESCE(started_at, ?)
           WHERE job_id = ? AND provider = ? AND status = 'queued'
             AND EXISTS (SELECT 1 FROM jobs WHERE id = ? AND status = 'running')`,
        )
        .bind(refined[provider] ?? job.prompt, now, jobId, provider, jobId),
    ),
    db.prepare("SELECT status FROM jobs WHERE id = ?").bind(jobId),
    tasksStatement(db, jobId),
  ]);
  const status = (results.at(-2)?.results[0] as { status: JobStatus } | undefined)?.status;
  const tasks = toTasks(results.at(-1)?.results ?? []);
  const started = status === "running";
  if (started) {
    await publishEvents(
      env,
      job,
      "start-job",
      tasks
        .filter((t) => t.status === "running")
        .map((t) => ({
          id: eventId(jobId, START_STEP(t), 0),
          type: "running" as const,
          data: taskEventIds(jobId, t),
        })),
    );
  }
  return { job: { ...job, status: status ?? job.status }, tasks, started, refined };
}
