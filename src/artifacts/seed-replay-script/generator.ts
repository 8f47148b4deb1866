/**
 * seed-replay-script (shell): a bash + curl script that recreates the projects on any deployment —
 * each project, then its jobs (prompt, providers, variants, kind, autoRetry, start image URL) and
 * rollbacks in their original order, rebuilding continue-from links from the ids the new server
 * answers with. Every recorded value reaches the script only inside single quotes.
 */
import type { DocumentSpec } from "../documents";
import type { JobRecord, LineageStep, ProjectData } from "../project-data";
import { PREAMBLE } from "./preamble";

/** One shell word: single quotes, with each `'` closed, escaped and reopened. Nothing expands inside. */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

const SAFE_ID = /^[A-Za-z0-9_-]{1,64}$/;

interface Action {
  at: number;
  /** Jobs before rollbacks recorded in the same millisecond: a rollback needs its source first. */
  order: number;
  lines: string[];
}

/** The POST body of a replayed job without its closing brace (the script appends session and parent). */
function jobBodyPrefix(job: JobRecord): string {
  // The generation parameters too: the same seed (and size, model, margins…) makes the same images.
  const { maskR2Key: _mask, ...params } = job.params;
  const body = JSON.stringify({
    prompt: job.prompt,
    providers: job.providers,
    variants: job.variants,
    kind: job.kind,
    autoRetry: job.autoRetry,
    ...params,
    ...(job.startImageUrl ? { startImageUrl: job.startImageUrl } : {}),
  });
  return body.slice(0, -1);
}

function jobAction(job: JobRecord, n: number, made: LineageStep[]): Action {
  if (job.providers.length === 0) {
    // Only an unreadable stored request leaves no providers (logged when it was read).
    return {
      at: job.createdAt,
      order: 0,
      lines: [`log ${shellQuote(`job ${n}: its stored request is unreadable; not replayed`)}`],
    };
  }
  // An uploaded start image or mask is the owner's bytes: the script cannot bring them along.
  const fromUpload = !job.startImageUrl && !job.parentProgressionId && job.startImageR2Key !== null;
  if (job.kind === "inpaint" || (fromUpload && job.kind !== "generate")) {
    const why = job.kind === "inpaint" ? "its mask was an upload" : "it started from an uploaded image";
    return {
      at: job.createdAt,
      order: 0,
      lines: [
        `log ${shellQuote(`job ${n} skipped: ${why}, which this script cannot bring along`)}`,
        "SKIPPED=$((SKIPPED + 1))",
      ],
    };
  }
  const needsParent = job.kind !== "generate" && !job.startImageUrl ? 1 : 0;
  const lines = [
    `submit_job ${n} ${shellQuote(job.parentProgressionId ?? "")} ${needsParent} ${shellQuote(jobBodyPrefix(job))}`,
  ];
  for (const step of made) {
    const task = step.task;
    if (!task) continue;
    lines.push(
      `remember ${shellQuote(step.progression.id)} ${shellQuote(task.provider)} ${task.variantIndex} ${task.attempt}`,
    );
  }
  return { at: job.createdAt, order: 0, lines };
}

function projectSection(
  data: ProjectData,
  projectIndex: number,
  firstJob: number,
): { lines: string[]; jobs: number } {
  const project = data.projects[projectIndex];
  if (!project) return { lines: [], jobs: 0 };
  const steps = data.steps.filter((s) => s.progression.projectId === project.id);
  const jobs = data.jobs.filter((j) => j.projectId === project.id);
  const actions: Action[] = jobs.map((job, i) =>
    jobAction(
      job,
      firstJob + i,
      steps.filter((s) => s.progression.jobId === job.id && s.parent?.kind !== "rollback"),
    ),
  );
  for (const step of steps) {
    if (step.parent?.kind !== "rollback") continue;
    actions.push({
      at: step.progression.createdAt,
      order: 1,
      lines: [`rollback ${shellQuote(step.parent.id)} ${shellQuote(step.progression.id)}`],
    });
  }
  actions.sort((a, b) => a.at - b.at || a.order - b.order);
  const projectBody = JSON.stringify({
    name: project.name,
    ...(project.description ? { description: project.description } : {}),
  });
  const header = SAFE_ID.test(project.id) ? `# Project ${project.id}` : `# Project ${projectIndex + 1}`;
  return {
    lines: ["", header, `create_project ${shellQuote(projectBody)}`, ...actions.flatMap((a) => a.lines)],
    jobs: jobs.length,
  };
}

export function replayScript(data: ProjectData, generatedAt: Date): string {
  const sections: string[] = [];
  let nextJob = 1;
  for (let i = 0; i < data.projects.length; i++) {
    const section = projectSection(data, i, nextJob);
    nextJob += section.jobs;
    sections.push(...section.lines);
  }
  const jobCount = nextJob - 1;
  const rollbacks = data.steps.filter((s) => s.parent?.kind === "rollback").length;
  return [
    "#!/usr/bin/env bash",
    "# Picasso seed replay: recreates the projects below on any Picasso deployment by creating each",
    "# project and submitting its jobs and rollbacks in their original order. Needs bash and curl.",
    "#   BASE_URL=http://127.0.0.1:8787 API_KEY=dev-key-change-me bash replay.sh",
    "# Prints each new project id on stdout; progress goes to stderr. REPLAY_JOB_TIMEOUT (seconds,",
    "# default 300) bounds the wait for each job. Exit 0: everything replayed; 2: some steps skipped.",
    `# Generated ${generatedAt.toISOString()}: ${data.projects.length} project(s), ${jobCount} job(s), ${rollbacks} rollback(s).`,
    "",
    PREAMBLE.trimEnd(),
    ...sections,
    "",
    'log "done: $JOBS job(s) and $ROLLBACKS rollback(s) replayed, $IMAGES step(s) recreated, $SKIPPED skipped"',
    "if ((SKIPPED > 0)); then exit 2; fi",
    "",
  ].join("\n");
}

export const seedReplayScript: DocumentSpec = {
  id: "seed-replay-script",
  name: "Seed replay script",
  // It serves text/plain (migration 0012 added "text" to the output vocabulary).
  output: "text",
  description:
    "A bash + curl script (BASE_URL, API_KEY from the environment) that recreates the projects on any deployment: the project, its jobs and rollbacks in order, continue-from links rebuilt.",
  async build(_input, data) {
    // text/plain rather than text/x-shellscript: browsers show it instead of downloading it, and
    // `curl -o replay.sh` or `bash <(curl …)` treat both alike.
    return { body: replayScript(data, new Date()), contentType: "text/plain; charset=utf-8" };
  },
};
