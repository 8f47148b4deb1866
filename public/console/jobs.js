/** Job submission and the live task cards: one card per task, updated from stream events. */
import { api, describe } from "./api.js";
import { byId, el, say } from "./dom.js";
import { sessionId } from "./stream.js";

export const PROVIDERS = ["local", "openai", "gemini", "workers"];
const STATUS_WORDS = { queued: "queued", running: "running", complete: "complete", fail: "failed" };

const cards = new Map();
let currentJob = null;
let jobProject = null;
let continueFrom = null;
let onJobEnded = () => {};

const taskKey = (d) => `${d.jobId}/${d.provider}#${d.variantIndex}${d.attempt ? `.${d.attempt}` : ""}`;

/** A short note for a provider that cannot run here, from GET /api/providers' reason. */
function noteFor(provider) {
  if (!provider || provider.ready) return null;
  const reason = provider.reason ?? "";
  if (/remote-only|offline/.test(reason)) return "not available here (AI is remote-only)";
  if (/not configured/.test(reason)) return "not configured here";
  return reason || "not available here";
}

/**
 * The provider checkboxes (GET /api/providers): one per provider, labelled with its id; one that
 * cannot run here says why next to its label (it can still be picked: its tasks then fail saying so).
 */
export function renderProviders(providers) {
  const known = new Map((providers ?? []).map((p) => [p.id, p]));
  const box = byId("providers");
  box.replaceChildren(
    ...PROVIDERS.map((id) => {
      const note = noteFor(known.get(id));
      return el(
        "div",
        { class: "check" },
        el("input", {
          type: "checkbox",
          id: `p-${id}`,
          name: "providers",
          value: id,
          checked: id === "local",
          ...(note ? { "aria-describedby": `p-${id}-note`, title: known.get(id)?.reason ?? note } : {}),
        }),
        el("label", { for: `p-${id}` }, id),
        note ? el("span", { class: "hint", id: `p-${id}-note` }, ` — ${note}`) : null,
      );
    }),
  );
}

/** The progression the next job continues from, or null. */
export const continuingFrom = () => continueFrom;

/** The next job continues from this progression (its image is the start image of edits). */
export function setContinueFrom(progression) {
  continueFrom = progression;
  byId("continue-from").hidden = !progression;
  if (progression) {
    byId("continue-text").textContent =
      `Continuing from step ${progression.id.slice(0, 8)} (“${progression.prompt.slice(0, 60)}”). `;
    byId("prompt").focus();
  }
}

function card(d) {
  const key = taskKey(d);
  let entry = cards.get(key);
  if (entry) return entry;
  const label = `${d.provider} · variant ${d.variantIndex + 1}${d.attempt ? ` · retry ${d.attempt}` : ""}`;
  const bar = el("progress", { max: "1", value: "0", "aria-label": `Progress of ${label}` });
  const status = el("span", { class: "status", text: "queued" });
  const figure = el("div", { class: "thumb" });
  const verdict = el("p", { class: "verdict" });
  const root = el("li", { class: "task" }, el("strong", { text: label }), " ", status, bar, figure, verdict);
  byId("tasks").append(root);
  entry = { root, bar, status, figure, verdict };
  cards.set(key, entry);
  return entry;
}

function setStatus(entry, type) {
  entry.status.textContent = STATUS_WORDS[type] ?? type;
  entry.root.dataset.status = STATUS_WORDS[type] ?? type;
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
    if (data.generatedImageUrl) {
      const src = `${data.generatedImageUrl}${data.generatedImageUrl.includes("?") ? "&" : "?"}w=320&format=webp`;
      entry.figure.replaceChildren(
        el("img", {
          src,
          alt: `Result of ${data.provider} variant ${data.variantIndex + 1}`,
          width: "160",
          height: "160",
        }),
      );
    }
  }
  if (type === "fail") {
    setStatus(entry, "fail");
    entry.verdict.textContent = `Failed: ${data.error}`;
  }
}

/** Clears what belongs to the previous key's owner (its session is another stream). */
export function resetJobs() {
  cards.clear();
  currentJob = null;
  jobProject = null;
  byId("tasks").replaceChildren();
  setContinueFrom(null);
  say("job-status", "");
  say("stream-status", "");
}

/** A deleted project's job cards go with it. */
export function projectDeleted(id) {
  if (jobProject !== id) return;
  cards.clear();
  currentJob = null;
  jobProject = null;
  byId("tasks").replaceChildren();
  say("job-status", "The last job's project was deleted.");
}

/** Wires the job form: `projectId()` names the target, `ended(jobId)` runs when a job finishes. */
export function initJobs(projectId, ended) {
  onJobEnded = ended;
  byId("continue-clear").addEventListener("click", () => setContinueFrom(null));
  byId("job-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const project = projectId();
    if (!project) return say("job-status", "Create or pick a project first.", true);
    const form = new FormData(event.currentTarget);
    const body = {
      prompt: String(form.get("prompt") ?? ""),
      providers: form.getAll("providers").map(String),
      variants: Number(form.get("variants")),
      autoRetry: Number(form.get("autoRetry") || 0),
      sessionId: sessionId(),
    };
    const start = String(form.get("startImageUrl") ?? "").trim();
    if (start) body.startImageUrl = start;
    if (continueFrom) body.parentProgressionId = continueFrom.id;
    if (body.providers.length === 0) return say("job-status", "Pick at least one provider.", true);
    say("job-status", "Submitting…");
    try {
      const job = await api("POST", `/api/projects/${project}/jobs`, body);
      currentJob = job.jobId;
      jobProject = project;
      byId("tasks").replaceChildren();
      cards.clear();
      for (const t of job.tasks) card({ jobId: job.jobId, ...t });
      say("job-status", `Job ${currentJob} accepted: ${job.tasks.length} task(s), watching live.`);
      setContinueFrom(null);
    } catch (err) {
      say("job-status", describe(err), true);
    }
  });
}
