/**
 * How a job ends — the one place for it. The workflow's last step, crash recovery and cancellation
 * all end a job here: unfinished tasks end with a reason, the job's final status follows from its
 * tasks, and the events that say so (each task's `fail`, then one job-level `complete`) carry ids, so
 * whoever publishes them a second time is ignored by the actor.
 */

import { endJobStatements, tasksEndedWithStatement, toEndedTasks } from "../db/job-endings";
import { taskOutcomesStatement, toOutcomes } from "../db/job-tasks";
import type { JobStatus } from "../lib/vocabulary";
import type { PublishEvent } from "../lib/ws-events";
import type { JobTask, Judgment } from "../types/domain";
import { eventId, FAIL_STEP, JOB_COMPLETE_STEP, taskEventIds, taskLabel } from "./keys";

export interface TaskOutcome {
  status: JobStatus;
  skipped: "duplicate" | null;
  judgment: Judgment | null;
}

export interface JobSummary {
  total: number;
  passed: number;
  failed: number;
  skipped: number;
  cancelled: number;
}

/** Counts for the job-level `complete` event. A judged-fail result counts as failed. */
export function summarize(tasks: TaskOutcome[]): JobSummary {
  const summary = { total: tasks.length, passed: 0, failed: 0, skipped: 0, cancelled: 0 };
  for (const t of tasks) {
    if (t.status === "cancelled") summary.cancelled++;
    else if (t.status === "failed") summary.failed++;
    else if (t.skipped === "duplicate") summary.skipped++;
    else if (t.judgment === "pass") summary.passed++;
    else if (t.judgment === "fail") summary.failed++;
  }
  return summary;
}

/** A job completes when at least one task completed (duplicates included), fails when none did. */
export function finalStatus(tasks: TaskOutcome[]): "complete" | "failed" {
  return tasks.some((t) => t.status === "complete") ? "complete" : "failed";
}

type EndedTask = Pick<JobTask, "provider" | "variantIndex" | "attempt">;

export interface JobEnding {
  /** True when this call moved the job to its final status. */
  changed: boolean;
  status: JobStatus;
  summary: JobSummary;
  /** Tasks that ended with `reason` (including by an earlier run of the same call). */
  ended: EndedTask[];
}

/**
 * Ends every unfinished task of a job with `reason` and the job itself, and reads back what that
 * left, in one D1 transaction and round trip (a cancelled job stays cancelled). Safe to repeat: a
 * second call changes nothing and reports the same.
 */
export async function endJob(db: D1Database, jobId: string, reason: string, now: number): Promise<JobEnding> {
  const [, jobUpdate, outcomeRows, jobRow, endedRows] = await db.batch([
    ...endJobStatements(db, jobId, reason, now),
    taskOutcomesStatement(db, jobId),
    db.prepare("SELECT status FROM jobs WHERE id = ?").bind(jobId),
    tasksEndedWithStatement(db, jobId, reason),
  ]);
  const outcomes = toOutcomes(outcomeRows?.results ?? []);
  const status = (jobRow?.results[0] as { status: JobStatus } | undefined)?.status;
  return {
    changed: (jobUpdate?.meta.changes ?? 0) > 0,
    status: status ?? finalStatus(outcomes),
    summary: summarize(outcomes),
    ended: toEndedTasks(endedRows?.results ?? []),
  };
}

/** A task's `fail` event, under the id every publisher of that task's failure shares. */
export function taskFailEvent(jobId: string, task: EndedTask, error: string): PublishEvent {
  return {
    id: eventId(jobId, FAIL_STEP(taskLabel(task)), 0),
    type: "fail",
    data: { ...taskEventIds(jobId, task), error },
  };
}

/** The job-level `complete` (one per job, whoever ends it). */
export function jobCompleteEvent(jobId: string, summary: JobSummary): PublishEvent {
  return { id: eventId(jobId, JOB_COMPLETE_STEP, 0), type: "complete", data: { jobId, summary } };
}

/** What the stream says about an ending: each task it ended, then the job. */
export function endingEvents(jobId: string, ending: JobEnding, reason: string): PublishEvent[] {
  return [
    ...ending.ended.map((t) => taskFailEvent(jobId, t, reason)),
    jobCompleteEvent(jobId, ending.summary),
  ];
}
