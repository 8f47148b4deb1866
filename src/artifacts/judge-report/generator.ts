/**
 * The judge report: every verdict with the judge's notes, which judge decided, tag frequencies,
 * pass rates per provider, the retry suggestions, and how each judge-driven retry turned out.
 */
import { escapeHtml } from "../../lib/html";
import type { JobTask } from "../../types/domain";
import { imgTag } from "../page-images";
import {
  commonValues,
  isRollback,
  loadData,
  type PageData,
  projectNames,
  stepAnchor,
  verdictBadge,
  withSizes,
} from "../page-kit";
import type { LineageStep } from "../project-data";
import type { ArtifactGenerator, GenerateInput } from "../types";
import template from "./template.html";

const percent = (part: number, whole: number): string =>
  whole === 0 ? "–" : `${Math.round((part / whole) * 100)}%`;
const meter = (value: number, max: number): string =>
  `<meter min="0" max="${Math.max(1, max)}" value="${value}"></meter>`;

function summary(judged: LineageStep[]): string {
  const passed = judged.filter((s) => s.judge.judgment === "pass").length;
  const judges = new Map<string, number>();
  for (const s of judged) {
    const name =
      s.judge.judge === "vision" && s.judge.model
        ? `vision (${s.judge.model})`
        : (s.judge.judge ?? "unknown");
    judges.set(name, (judges.get(name) ?? 0) + 1);
  }
  const by = [...judges].map(([name, n]) => `${escapeHtml(name)}: ${n}`).join(", ");
  return `<dl class="stats"><div><dt>Judged</dt><dd>${judged.length}</dd></div><div><dt>Passed</dt><dd class="pass">${passed}</dd></div><div><dt>Failed</dt><dd class="fail">${judged.length - passed}</dd></div><div><dt>Pass rate</dt><dd>${percent(passed, judged.length)}</dd></div></dl><p class="judges">Judges: ${by || "none yet"}</p>`;
}

function providers(judged: LineageStep[]): string {
  const rows = new Map<string, { n: number; passed: number }>();
  for (const s of judged) {
    const row = rows.get(s.progression.provider) ?? { n: 0, passed: 0 };
    row.n++;
    if (s.judge.judgment === "pass") row.passed++;
    rows.set(s.progression.provider, row);
  }
  const body = [...rows]
    .map(
      ([provider, r]) =>
        `<tr><th scope="row">${escapeHtml(provider)}</th><td>${r.n}</td><td>${r.passed}</td><td>${r.n - r.passed}</td><td>${meter(r.passed, r.n)} ${percent(r.passed, r.n)}</td></tr>`,
    )
    .join("");
  return `<table><thead><tr><th scope="col">Provider</th><th scope="col">Judged</th><th scope="col">Passed</th><th scope="col">Failed</th><th scope="col">Pass rate</th></tr></thead><tbody>${body}</tbody></table>`;
}

function tags(judged: LineageStep[]): string {
  const counts = new Map<string, number>();
  for (const s of judged) for (const t of new Set(s.judge.tags)) counts.set(t, (counts.get(t) ?? 0) + 1);
  const sorted = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const top = sorted[0]?.[1] ?? 0;
  if (sorted.length === 0) return '<p class="empty">No tags yet.</p>';
  return `<ul class="tags">${sorted.map(([t, n]) => `<li><span>${escapeHtml(t)}</span>${meter(n, top)}<span>${n}</span></li>`).join("")}</ul>`;
}

/** How one judge-driven retry went: the failed image, the suggestion applied, and the result. */
function retryItem(
  task: JobTask,
  data: PageData,
): { html: string; result: "passed" | "failed" | "unfinished" } {
  const job = data.jobs.find((j) => j.id === task.jobId);
  const parentTask = job?.tasks.find((t) => t.id === task.parentTaskId);
  const from = parentTask?.progressionId ? data.stepById.get(parentTask.progressionId) : undefined;
  const to = task.progressionId ? data.stepById.get(task.progressionId) : undefined;
  const suggestion = from?.judge.retrySuggestion;
  const result = to
    ? to.judge.judgment === "pass"
      ? "passed"
      : "failed"
    : task.status === "failed"
      ? "failed"
      : "unfinished";
  const outcome = to
    ? `became <a href="#${stepAnchor(to.step)}">step ${to.step}</a>, which ${to.judge.judgment === "pass" ? "passed" : "failed again"}`
    : task.status === "failed"
      ? `did not produce an image: ${escapeHtml(task.error ?? "no error recorded")}`
      : `is ${escapeHtml(task.status)}`;
  const source = from ? `<a href="#${stepAnchor(from.step)}">Step ${from.step}</a>` : "An image";
  const applied = suggestion ? `<p class="suggestion">Applied: ${escapeHtml(suggestion)}</p>` : "";
  return {
    result,
    html: `<li class="retry ${result}"><p>${source} (${escapeHtml(task.provider)} #${task.variantIndex}) failed the judge; retry ${task.attempt} ${outcome}.</p>${applied}</li>`,
  };
}

function retries(data: PageData): string {
  const items = data.jobs.flatMap((j) => j.tasks.filter((t) => t.attempt > 0)).map((t) => retryItem(t, data));
  if (items.length === 0) return '<p class="empty">No judge-driven retries.</p>';
  const passed = items.filter((i) => i.result === "passed").length;
  const failed = items.filter((i) => i.result === "failed").length;
  return `<p>${items.length} retr${items.length === 1 ? "y" : "ies"}: ${passed} passed, ${failed} failed, ${items.length - passed - failed} unfinished.</p><ol class="retries">${items.map((i) => i.html).join("")}</ol>`;
}

function verdict(s: LineageStep, data: PageData, input: GenerateInput): string {
  const p = s.progression;
  const judge =
    s.judge.judge === "vision"
      ? `vision judge${s.judge.model ? ` (${s.judge.model})` : ""}`
      : `${s.judge.judge ?? "unknown"} judge`;
  const notes = s.judge.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join("");
  const suggestion = s.judge.retrySuggestion
    ? `<p class="suggestion">Suggested: ${escapeHtml(s.judge.retrySuggestion)}</p>`
    : "";
  const img = imgTag(input.origin, p, data.sizes.get(p.id), {
    alt: p.prompt,
    sizes: "10rem",
    fallbackWidth: 320,
  });
  return `<article class="verdict" id="${stepAnchor(s.step)}">${img}<div><p class="meta"><strong>Step ${s.step}</strong> · ${escapeHtml(p.provider)} · ${verdictBadge(p.judgment)} · ${escapeHtml(judge)}</p><p class="prompt">${escapeHtml(p.prompt)}</p>${notes ? `<ul class="notes">${notes}</ul>` : ""}${suggestion}</div></article>`;
}

export const judgeReportGenerator: ArtifactGenerator = {
  id: "judge-report",
  name: "Judge report",
  output: "html",
  description:
    "Verdicts, the judge's notes, tag frequencies, retry suggestions and how the auto-retries turned out.",
  defaultTemplate: template,
  publicPath: "/public/artifact",
  async generate(input) {
    const project = await loadData(input);
    // A rollback repeats a verdict already counted: only steps a judge looked at count.
    const judged = project.steps.filter((s) => !isRollback(s) && s.judge.judgment !== null);
    const shown = judged.slice(0, input.options.maxImages ?? 200);
    const data = await withSizes(input, project, shown);
    return {
      values: {
        ...commonValues(input, data, {
          fallbackDescription: `How the judge saw ${projectNames(data)}`,
          cover: shown.find((s) => s.judge.judgment === "pass") ?? shown[0],
          imageCount: shown.length,
        }),
        SUMMARY: { html: summary(judged) },
        PROVIDERS: {
          html: judged.length > 0 ? providers(judged) : '<p class="empty">Nothing judged yet.</p>',
        },
        TAGS: { html: tags(judged) },
        RETRIES: { html: retries(data) },
        VERDICTS: {
          html:
            shown.length > 0
              ? shown.map((s) => verdict(s, data, input)).join("\n")
              : '<p class="empty">No verdicts yet.</p>',
        },
      },
    };
  },
};
