/**
 * The compare deck: per prompt, every provider's and variant's result side by side (each job of that
 * prompt a row), with verdict, the judge's notes and the latency; a failed task is shown as failed
 * with its error, a skipped near-duplicate as such, a judge-driven retry next to what it retried.
 */
import { escapeHtml } from "../../lib/html";
import type { JobTask } from "../../types/domain";
import { imgTag } from "../page-images";
import {
  commonValues,
  isoDate,
  loadData,
  type PageData,
  projectNames,
  stepAnchor,
  verdictBadge,
  withSizes,
} from "../page-kit";
import type { JobRecord, LineageStep } from "../project-data";
import type { ArtifactGenerator, GenerateInput } from "../types";
import template from "./template.html";

const seconds = (ms: number): string => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;

/** The estimated cost of the call (src/jobs/cost.ts), when one is known. */
const cost = (task: JobTask): string =>
  typeof task.costUsd === "number" ? ` · est. $${task.costUsd.toFixed(task.costUsd < 0.01 ? 4 : 3)}` : "";

function timing(task: JobTask, step: LineageStep | undefined): string {
  if (step?.provider.latencyMs != null)
    return `provider latency ${seconds(step.provider.latencyMs)}${cost(task)}`;
  if (task.startedAt != null && task.finishedAt != null)
    return `ran ${seconds(task.finishedAt - task.startedAt)}${cost(task)}`;
  return cost(task).replace(/^ · /, "");
}

function outcome(task: JobTask, step: LineageStep | undefined, data: PageData, input: GenerateInput): string {
  if (step) {
    const p = step.progression;
    const notes = step.judge.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join("");
    const img = imgTag(input.origin, p, data.sizes.get(p.id), {
      alt: p.prompt,
      sizes: "(max-width: 40rem) 100vw, 16rem",
    });
    return `${img}<p class="verdict">${verdictBadge(p.judgment)} <span class="step">step ${step.step}</span></p>${notes ? `<ul class="notes">${notes}</ul>` : ""}`;
  }
  switch (task.status) {
    case "failed":
      return `<p class="verdict"><span class="badge fail">task failed</span></p><p class="error">${escapeHtml(task.error ?? "No error was recorded.")}</p>`;
    case "cancelled":
      return `<p class="verdict"><span class="badge muted">cancelled</span></p>`;
    case "complete": {
      const of = task.duplicateOf ? data.stepById.get(task.duplicateOf) : undefined;
      const which = of ? `step ${of.step}` : "an earlier image";
      return `<p class="verdict"><span class="badge muted">skipped</span></p><p class="note">A near-duplicate of ${escapeHtml(which)}, so it was not kept.</p>`;
    }
    default:
      return `<p class="verdict"><span class="badge muted">${escapeHtml(task.status)}</span></p>`;
  }
}

function cell(task: JobTask, data: PageData, input: GenerateInput): string {
  const step = task.progressionId ? data.stepById.get(task.progressionId) : undefined;
  const retry = task.attempt > 0 ? ` · retry ${task.attempt}` : "";
  const model = step?.provider.model ? `<span class="model">${escapeHtml(step.provider.model)}</span>` : "";
  const time = timing(task, step);
  const anchor = step ? ` id="${stepAnchor(step.step)}"` : "";
  return `<div class="cell ${escapeHtml(task.status)}"${anchor}>
  <p class="who"><strong>${escapeHtml(task.provider)}</strong> #${task.variantIndex}${retry} ${model}</p>
  ${outcome(task, step, data, input)}
  ${time ? `<p class="time">${escapeHtml(time)}</p>` : ""}
</div>`;
}

function jobRow(job: JobRecord, data: PageData, input: GenerateInput): string {
  const from = job.parentProgressionId ? data.stepById.get(job.parentProgressionId) : undefined;
  const continued = from ? ` · continued from step ${from.step}` : "";
  const cells = job.tasks.map((t) => cell(t, data, input)).join("\n");
  return `<div class="job"><p class="job-meta">${escapeHtml(job.kind)} · ${escapeHtml(job.providers.join(", "))} · ${job.variants} variant${job.variants === 1 ? "" : "s"}${escapeHtml(continued)} · ${escapeHtml(isoDate(job.createdAt))} · <span class="badge ${job.status === "failed" ? "fail" : "muted"}">${escapeHtml(job.status)}</span></p><div class="cells">${cells}</div></div>`;
}

/** Jobs grouped by their prompt, in order of each prompt's first job. */
function byPrompt(jobs: JobRecord[]): [string, JobRecord[]][] {
  const groups = new Map<string, JobRecord[]>();
  for (const job of jobs) groups.set(job.prompt, [...(groups.get(job.prompt) ?? []), job]);
  return [...groups.entries()];
}

export const compareDeckGenerator: ArtifactGenerator = {
  id: "compare-deck",
  name: "Compare deck",
  output: "html",
  description:
    "Per prompt, every provider's and variant's result side by side with verdict, notes, latency, estimated cost and errors.",
  defaultTemplate: template,
  publicPath: "/public/artifact",
  async generate(input) {
    const project = await loadData(input);
    const shown = project.jobs
      .flatMap((j) => j.tasks)
      .map((t) => (t.progressionId ? project.stepById.get(t.progressionId) : undefined))
      .filter((s): s is LineageStep => s !== undefined);
    const data = await withSizes(input, project, shown);
    const groups = byPrompt(data.jobs);
    const sections = groups.map(
      ([prompt, jobs], i) =>
        `<section class="prompt-group" id="prompt-${i + 1}"><h2>${escapeHtml(prompt)}</h2>${jobs.map((j) => jobRow(j, data, input)).join("\n")}</section>`,
    );
    const tasks = data.jobs.flatMap((j) => j.tasks);
    const failed = tasks.filter((t) => t.status === "failed").length;
    return {
      values: {
        ...commonValues(input, data, {
          fallbackDescription: `Every provider side by side for ${projectNames(data)}`,
          cover: shown[0],
          imageCount: shown.length,
        }),
        SUMMARY: `${groups.length} prompt${groups.length === 1 ? "" : "s"} · ${data.jobs.length} jobs · ${tasks.length} tasks · ${failed} failed`,
        PROMPTS: {
          html: sections.length > 0 ? sections.join("\n") : '<p class="empty">No jobs yet.</p>',
        },
      },
    };
  },
};
