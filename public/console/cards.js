/**
 * The live task cards: one per task, updated from stream events — status, progress, the image, the
 * verdict, and what the call was (size, seed, model, latency, estimated cost, warnings), with a
 * "Same seed" button. When a job ends, GET /api/jobs/:id gives its totals.
 */
import { api, describe } from "./api.js";
import { byId, el, say } from "./dom.js";
import { setSeed } from "./params.js";

const STATUS_WORDS = { queued: "queued", running: "running", complete: "complete", fail: "failed" };

const cards = new Map();
/** Jobs whose job-level complete was streamed. */
const ended = new Set();
let onJobEnded = () => {};

const taskKey = (d) => `${d.jobId}/${d.provider}#${d.variantIndex}${d.attempt ? `.${d.attempt}` : ""}`;

/** US dollars as an estimate: "$0.000 est." (three decimals under a dollar). */
export function money(usd) {
  if (usd === null || usd === undefined) return "no price known";
  return `$${usd < 1 ? usd.toFixed(3) : usd.toFixed(2)} est.`;
}

export function duration(ms) {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** The card of a task, made on first sight (from the 202's task list or its first event). */
export function card(d) {
  const key = taskKey(d);
  let entry = cards.get(key);
  if (entry) return entry;
  const label = `${d.provider} · variant ${d.variantIndex + 1}${d.attempt ? ` · retry ${d.attempt}` : ""}`;
  const bar = el("progress", { max: "1", value: "0", "aria-label": `Progress of ${label}` });
  const status = el("span", { class: "status", text: "queued" });
  const figure = el("div", { class: "thumb" });
  const facts = el("dl", { class: "facts", hidden: true });
  const warnings = el("ul", { class: "warnings", hidden: true, "aria-label": `Warnings of ${label}` });
  const similar = el("p", { class: "hint similar" });
  const verdict = el("p", { class: "verdict" });
  const actions = el("div", { class: "actions", hidden: true });
  const root = el(
    "li",
    { class: "task" },
    el("strong", { text: label }),
    " ",
    status,
    bar,
    figure,
    facts,
    warnings,
    similar,
    verdict,
    actions,
  );
  byId("tasks").append(root);
  entry = { jobId: d.jobId, root, bar, status, figure, facts, warnings, similar, verdict, actions, label };
  cards.set(key, entry);
  return entry;
}

function setStatus(entry, type) {
  entry.status.textContent = STATUS_WORDS[type] ?? type;
  entry.root.dataset.status = STATUS_WORDS[type] ?? type;
}

const fact = (term, value, cls) =>
  el("div", { class: cls }, el("dt", { text: term }), el("dd", { text: value }));

/** Size, seed, model, latency, estimated cost and warnings of a finished task, and Same seed. */
function showReport(entry, d) {
  if (d.width === undefined && d.seed === undefined && d.model === undefined) return;
  const rows = [];
  if (d.width && d.height) rows.push(fact("Size", `${d.width}×${d.height}`, "size"));
  if (d.seed !== undefined)
    rows.push(fact("Seed", d.seed === null ? "none (the provider takes none)" : String(d.seed), "seed"));
  if (d.model) rows.push(fact("Model", d.model, "model"));
  if (typeof d.latencyMs === "number") rows.push(fact("Latency", duration(d.latencyMs), "latency"));
  if (d.costUsd !== undefined) rows.push(fact("Cost", money(d.costUsd), "cost"));
  entry.facts.replaceChildren(...rows);
  entry.facts.hidden = rows.length === 0;
  const notes = (d.warnings ?? []).map((w) => el("li", { text: `${w.parameter}: ${w.message}` }));
  entry.warnings.replaceChildren(...notes);
  entry.warnings.hidden = notes.length === 0;
  entry.similar.textContent = d.similarToStart?.nearlyIdentical
    ? "Nearly identical to the start image (kept, not skipped as its duplicate)."
    : "";
  if (typeof d.seed === "number") {
    const seed = d.seed;
    entry.actions.replaceChildren(
      el("button", {
        type: "button",
        class: "secondary",
        title: `Put seed ${seed} in the Seed field`,
        onclick: () => {
          setSeed(seed);
          say(
            "job-status",
            `Seed ${seed} (${entry.label}) is in the Seed field: the same prompt, provider and parameters make the same picture.`,
          );
        },
        text: "Same seed",
      }),
    );
    entry.actions.hidden = false;
  }
}

function showImage(entry, d) {
  if (!d.generatedImageUrl) return;
  const src = `${d.generatedImageUrl}${d.generatedImageUrl.includes("?") ? "&" : "?"}w=320&format=webp`;
  entry.figure.replaceChildren(
    el("img", {
      src,
      alt: `Result of ${d.provider} variant ${d.variantIndex + 1}`,
      width: String(d.width ?? 160),
      height: String(d.height ?? 160),
    }),
  );
}

/** The job's totals (GET /api/jobs/:id), and any card detail the stream did not carry. */
async function showTotals(jobId) {
  try {
    const job = await api("GET", `/api/jobs/${jobId}`);
    for (const task of job.tasks) {
      const entry = cards.get(taskKey({ jobId, ...task }));
      if (entry && task.status === "complete") showReport(entry, task);
    }
    // Totals only for a job whose cards are shown (not one a newer job replaced meanwhile).
    if (![...cards.values()].some((entry) => entry.jobId === jobId)) return;
    const t = job.totals;
    byId("job-totals").dataset.job = jobId;
    const seed = typeof job.params?.seed === "number" ? ` · job seed ${job.params.seed}` : "";
    byId("job-totals").textContent =
      `Totals (${job.kind}): ${t.images} image(s) · ${money(t.costUsd)} (an estimate from the server's price table) · ${duration(t.latencyMs)} of provider time${seed}.`;
  } catch (err) {
    byId("job-totals").textContent = `Totals unavailable: ${describe(err)}`;
  }
}

/** Applies one stream event to the page (events of other jobs of this session are shown too). */
export function applyEvent(envelope) {
  const { type, data } = envelope;
  if (!data?.jobId) return;
  if (!data.provider) {
    if (type === "complete" && data.summary) {
      const s = data.summary;
      say(
        "job-status",
        `Job finished: ${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped of ${s.total}.`,
      );
      ended.add(data.jobId);
      showTotals(data.jobId);
      onJobEnded(data.jobId);
    }
    if (type === "fail") say("job-status", `Job failed: ${data.error}`, true);
    return;
  }
  const entry = card(data);
  if (type === "queued" || type === "running") setStatus(entry, type);
  if (type === "progress") {
    setStatus(entry, "running");
    entry.bar.value = data.progress;
  }
  if (type === "judge") {
    const notes = (data.notes ?? []).join(" · ");
    entry.verdict.textContent = `Verdict: ${data.judgment}${notes ? ` — ${notes}` : ""}`;
    if (data.retrySuggestion) entry.verdict.append(el("br"), `Suggestion: ${data.retrySuggestion}`);
  }
  if (type === "complete") {
    setStatus(entry, "complete");
    entry.bar.value = 1;
    if (data.skipped === "duplicate")
      entry.verdict.textContent = "Skipped: a near-duplicate of an earlier image.";
    showImage(entry, data);
    showReport(entry, data);
  }
  if (type === "fail") {
    setStatus(entry, "fail");
    entry.verdict.textContent = `Failed: ${data.error}`;
  }
}

/**
 * Starts a new job's cards: the previous jobs' go. A fast job's events may have arrived before its
 * 202 was read: the cards and totals they made stay.
 */
export function newJobCards(jobId, tasks) {
  for (const [key, entry] of cards)
    if (entry.jobId !== jobId) {
      entry.root.remove();
      cards.delete(key);
    }
  const totals = byId("job-totals");
  if (totals.dataset.job !== jobId) totals.textContent = "";
  for (const t of tasks) card({ jobId, ...t });
}

/** Whether this job's end was already streamed (see newJobCards). */
export const jobEnded = (jobId) => ended.has(jobId);

/** Removes every card and the totals. */
export function clearCards() {
  cards.clear();
  ended.clear();
  byId("tasks").replaceChildren();
  byId("job-totals").textContent = "";
  delete byId("job-totals").dataset.job;
}

/** `ended(jobId)` runs when a job of this session finishes. */
export function initCards(ended) {
  onJobEnded = ended;
}
