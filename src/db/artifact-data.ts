/**
 * D1 reads for artifact generators: everything a project recorded (progressions with every column,
 * jobs, their tasks, the artifacts linked to it) in one batch, mapped by the per-table modules'
 * row mappers. Writes stay in the per-table modules.
 */
import type { Job, JobTask, Progression } from "../types/domain";
import { type JobRow, type TaskRow, toJob, toTask } from "./jobs";
import { type ProgressionRow, toProgression } from "./progressions";

/**
 * The job fields an artifact shows: what was asked and when. Lifecycle bookkeeping (heartbeats,
 * submission origin) stays out, so those columns can change without touching artifacts.
 */
export type JobFacts = Pick<
  Job,
  | "id"
  | "projectId"
  | "sessionId"
  | "status"
  | "kind"
  | "prompt"
  | "variants"
  | "providers"
  | "autoRetry"
  | "startImageUrl"
  | "startImageR2Key"
  | "parentProgressionId"
  | "params"
  | "metadata"
  | "createdAt"
  | "updatedAt"
  | "finishedAt"
>;

/** The task fields an artifact shows: outcome, timings, retry lineage. */
export type TaskFacts = Pick<
  JobTask,
  | "id"
  | "jobId"
  | "ordinal"
  | "provider"
  | "variantIndex"
  | "attempt"
  | "parentTaskId"
  | "status"
  | "progressionId"
  | "skipped"
  | "duplicateOf"
  | "error"
  | "refinedPrompt"
  | "startedAt"
  | "finishedAt"
  | "createdAt"
  | "costUsd"
>;

/** An artifact linked to one of the projects, with where its rendered content lives. */
export interface LinkedArtifact {
  id: string;
  projectId: string;
  type: string;
  contentR2Key: string | null;
}

/** The rows of a set of projects, mapped (JSON columns parsed; bad values logged and defaulted). */
export interface ProjectRows {
  progressions: Progression[];
  jobs: JobFacts[];
  tasks: TaskFacts[];
  artifacts: LinkedArtifact[];
}

/**
 * Every progression, job, task and linked artifact of `projectIds`, oldest first, in one D1 batch
 * (one snapshot: no job can appear without its tasks).
 */
export async function loadProjectRows(db: D1Database, projectIds: string[]): Promise<ProjectRows> {
  const ids = JSON.stringify(projectIds);
  const inProjects = "IN (SELECT value FROM json_each(?))";
  const [progressions, jobs, tasks, artifacts] = await db.batch([
    db
      .prepare(`SELECT * FROM image_progressions WHERE project_id ${inProjects} ORDER BY created_at, id`)
      .bind(ids),
    db.prepare(`SELECT * FROM jobs WHERE project_id ${inProjects} ORDER BY created_at, id`).bind(ids),
    db
      .prepare(
        `SELECT t.* FROM job_tasks t JOIN jobs j ON j.id = t.job_id
         WHERE j.project_id ${inProjects} ORDER BY j.created_at, j.id, t.ordinal`,
      )
      .bind(ids),
    db
      .prepare(
        `SELECT a.id, pa.project_id, a.type, a.content_r2_key FROM artifacts a
         JOIN project_artifacts pa ON pa.artifact_id = a.id
         WHERE pa.project_id ${inProjects} ORDER BY a.created_at, a.id`,
      )
      .bind(ids),
  ]);
  return {
    progressions: ((progressions?.results ?? []) as unknown as ProgressionRow[]).map(toProgression),
    jobs: ((jobs?.results ?? []) as unknown as JobRow[]).map(toJob),
    tasks: ((tasks?.results ?? []) as unknown as TaskRow[]).map(toTask),
    artifacts: (
      (artifacts?.results ?? []) as unknown as {
        id: string;
        project_id: string;
        type: string;
        content_r2_key: string | null;
      }[]
    ).map((a) => ({ id: a.id, projectId: a.project_id, type: a.type, contentR2Key: a.content_r2_key })),
  };
}
