/**
 * The data every artifact generator starts from: the projects, their lineage in order (parents
 * before children, each step with how it came from its parent), their jobs with tasks and requests,
 * judge and provider metadata in typed form, and the knowledge tips the jobs could apply.
 */
import { z } from "zod";
import { type JobFacts, type LinkedArtifact, loadProjectRows, type TaskFacts } from "../db/artifact-data";
import { listTips } from "../db/knowledge";
import { getProject } from "../db/projects";
import type { AppEnv } from "../lib/env";
import { type ProviderId, ProviderIds } from "../lib/vocabulary";
import type { Judgment, KnowledgeTip, Progression, Project } from "../types/domain";

/** How a step came from its parent: a job continuing from it, a rollback to it, or a judge-driven retry. */
export type LinkKind = "continue" | "rollback" | "retry";

/** How one provider's prompt was refined for a job (jobs.metadata.refinement). */
export interface Refinement {
  mode: string;
  appliedTips: string[];
  note: string | null;
}

/** A job with its tasks (ordinal order) and its per-provider refinement. */
export interface JobRecord extends JobFacts {
  tasks: TaskFacts[];
  refinement: Partial<Record<ProviderId, Refinement>>;
}

/** What the provider reported about a call (progression provider_meta). */
export interface ProviderInfo {
  model: string | null;
  latencyMs: number | null;
  /** 'offline' | 'live' as reported. */
  mode: string | null;
}

/** The judge's output for a step (judgment, notes, tags and judge_meta). */
export interface JudgeInfo {
  judgment: Judgment | null;
  notes: string[];
  tags: string[];
  /** Which judge ran ('heuristic' | 'vision') and how ('offline' | 'live'). */
  judge: string | null;
  mode: string | null;
  model: string | null;
  /** The prompt change the judge proposed for a failed image. */
  retrySuggestion: string | null;
  /** Why the vision judge fell back to the heuristic one, when it did. */
  visionError: string | null;
}

export interface LineageStep {
  /** 1-based position in `ProjectData.steps`. */
  step: number;
  progression: Progression;
  /** The parent link; `step` is null when the parent is not among the loaded projects. */
  parent: { id: string; kind: LinkKind; step: number | null } | null;
  /** The job and task that made the image (for a rollback: those of the step it rolled back to). */
  job: JobRecord | null;
  task: TaskFacts | null;
  provider: ProviderInfo;
  judge: JudgeInfo;
  /** Knowledge tips the refinement applied for this step's provider. */
  appliedTips: string[];
}

export interface ProjectData {
  /** Found projects, in the order asked for (unknown ids are left out). */
  projects: Project[];
  /** Every progression, parents before children, otherwise oldest first. */
  steps: LineageStep[];
  /** Every job, oldest first. */
  jobs: JobRecord[];
  /** The knowledge base's tips, by key. */
  tips: KnowledgeTip[];
  /** Artifacts linked to the projects (for archives). */
  artifacts: LinkedArtifact[];
  stepById: Map<string, LineageStep>;
}

const RefinementSchema = z.object({
  mode: z.string(),
  appliedTips: z.array(z.string()).default([]),
  note: z.string().optional(),
});
const MetadataSchema = z.object({
  refinement: z
    .partialRecord(ProviderIds, RefinementSchema.catch({ mode: "unknown", appliedTips: [] }))
    .catch({}),
});
const ProviderMetaSchema = z.object({
  model: z.string().catch("").optional(),
  latencyMs: z.number().nonnegative().catch(-1).optional(),
  mode: z.string().catch("").optional(),
});
const JudgeMetaSchema = z.object({
  judge: z.string().catch("").optional(),
  mode: z.string().catch("").optional(),
  model: z.string().catch("").optional(),
  retrySuggestion: z.string().catch("").optional(),
  visionError: z.string().catch("").optional(),
});

/** Empty or wrongly typed meta values read as "not recorded". */
const orNull = (s: string | undefined) => (s === undefined || s === "" ? null : s);

function jobRecord(job: JobFacts, tasks: TaskFacts[]): JobRecord {
  const meta = MetadataSchema.safeParse(job.metadata);
  const refinement: JobRecord["refinement"] = {};
  for (const [p, r] of Object.entries(meta.success ? meta.data.refinement : {})) {
    const id = ProviderIds.safeParse(p);
    if (id.success && r)
      refinement[id.data] = { mode: r.mode, appliedTips: r.appliedTips, note: r.note ?? null };
  }
  return { ...job, tasks, refinement };
}

function providerInfo(p: Progression): ProviderInfo {
  const meta = ProviderMetaSchema.safeParse(p.providerMeta);
  const data = meta.success ? meta.data : {};
  const latency = data.latencyMs;
  return {
    model: orNull(data.model),
    latencyMs: latency === undefined || latency < 0 ? null : latency,
    mode: orNull(data.mode),
  };
}

function judgeInfo(p: Progression): JudgeInfo {
  const meta = JudgeMetaSchema.safeParse(p.judgeMeta);
  const data = meta.success ? meta.data : {};
  return {
    judgment: p.judgment,
    notes: p.aiNotes,
    tags: p.aiTags,
    judge: orNull(data.judge),
    mode: orNull(data.mode),
    model: orNull(data.model),
    retrySuggestion: orNull(data.retrySuggestion),
    visionError: orNull(data.visionError),
  };
}

/**
 * Orders progressions (given oldest first) so every parent precedes its children, otherwise keeping
 * age order: a step whose parent is not placed yet waits and follows right after it. A parent
 * outside the set makes the step a root; a cycle (only a hand-edited row can make one) is released
 * oldest first rather than dropped.
 */
function lineageOrder(progressions: Progression[]): Progression[] {
  const known = new Set(progressions.map((p) => p.id));
  const waiting = new Map<string, Progression[]>();
  const placed = new Set<string>();
  const ordered: Progression[] = [];
  const place = (first: Progression) => {
    const stack = [first];
    for (let p = stack.pop(); p; p = stack.pop()) {
      if (placed.has(p.id)) continue;
      placed.add(p.id);
      ordered.push(p);
      const children = waiting.get(p.id);
      waiting.delete(p.id);
      if (children) stack.push(...children.reverse());
    }
  };
  for (const p of progressions) {
    const parent = p.parentProgressionId;
    if (parent && parent !== p.id && known.has(parent) && !placed.has(parent)) {
      const siblings = waiting.get(parent);
      if (siblings) siblings.push(p);
      else waiting.set(parent, [p]);
    } else place(p);
  }
  for (const p of progressions) place(p);
  return ordered;
}

/** Loads what the projects recorded. Unknown project ids are skipped (the artifact may outlive them). */
export async function loadProjectData(env: AppEnv, projectIds: string[]): Promise<ProjectData> {
  const found = await Promise.all(projectIds.map((id) => getProject(env.DB, id)));
  const projects = found.filter((p): p is Project => p !== null);
  const [rows, tips] = await Promise.all([
    loadProjectRows(
      env.DB,
      projects.map((p) => p.id),
    ),
    listTips(env.DB),
  ]);

  const tasksByJob = new Map<string, TaskFacts[]>();
  for (const t of rows.tasks) {
    const list = tasksByJob.get(t.jobId);
    if (list) list.push(t);
    else tasksByJob.set(t.jobId, [t]);
  }
  const jobs = rows.jobs.map((j) => jobRecord(j, tasksByJob.get(j.id) ?? []));
  const jobById = new Map(jobs.map((j) => [j.id, j]));
  const taskById = new Map(rows.tasks.map((t) => [t.id, t]));
  const progressionById = new Map(rows.progressions.map((p) => [p.id, p]));

  /** A rollback copies its source step's image: follow the chain back to the step a task made. */
  const madeBy = (p: Progression): Progression => {
    let current = p;
    const seen = new Set<string>();
    while (current.jobId === null && current.parentProgressionId && !seen.has(current.id)) {
      seen.add(current.id);
      const parent = progressionById.get(current.parentProgressionId);
      if (!parent) break;
      current = parent;
    }
    return current;
  };

  const steps: LineageStep[] = [];
  const stepById = new Map<string, LineageStep>();
  for (const progression of lineageOrder(rows.progressions)) {
    const origin = madeBy(progression);
    const job = origin.jobId ? (jobById.get(origin.jobId) ?? null) : null;
    const task = origin.taskId ? (taskById.get(origin.taskId) ?? null) : null;
    const parentId = progression.parentProgressionId;
    // Only the rollback route writes job-less steps; only retry tasks have attempt > 0.
    const kind: LinkKind =
      progression.jobId === null ? "rollback" : task && task.attempt > 0 ? "retry" : "continue";
    const step: LineageStep = {
      step: steps.length + 1,
      progression,
      parent: parentId ? { id: parentId, kind, step: stepById.get(parentId)?.step ?? null } : null,
      job,
      task,
      provider: providerInfo(progression),
      judge: judgeInfo(progression),
      appliedTips: job?.refinement[progression.provider]?.appliedTips ?? [],
    };
    steps.push(step);
    stepById.set(progression.id, step);
  }
  return { projects, steps, jobs, tips, artifacts: rows.artifacts, stepById };
}

/** A step's R2 original as bytes, or null when the object is gone (the row outlived its image). */
export async function readStepOriginal(
  env: AppEnv,
  step: LineageStep,
): Promise<{ bytes: Uint8Array; contentType: string } | null> {
  const object = await env.BUCKET.get(step.progression.originalImageR2Key);
  if (!object) return null;
  return {
    bytes: new Uint8Array(await object.arrayBuffer()),
    contentType:
      object.httpMetadata?.contentType ?? step.progression.contentType ?? "application/octet-stream",
  };
}
