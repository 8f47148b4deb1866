/**
 * The Generate form: providers, kind, start image, mask, parameters, and submission
 * (POST /api/projects/:id/jobs). The cards it starts are updated from the stream (cards.js).
 */
import { api, describe, uploadImage } from "./api.js";
import { applyEvent, clearCards, initCards, jobEnded, newJobCards } from "./cards.js";
import { byId, el, say } from "./dom.js";
import { initMask, maskBlob, paintedShare, showMask } from "./mask.js";
import { currentKind, initParams, paramFields, setProviderInfo } from "./params.js";
import { currentStart, initStart, resetStart, startFields } from "./start-image.js";
import { sessionId } from "./stream.js";

export { applyEvent };
export const PROVIDERS = ["local", "openai", "gemini", "workers"];

let jobProject = null;
let submitting = false;

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
 * The same list tells the kind and parameter controls what each provider can do (params.js).
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
  setProviderInfo(providers);
}

/** Clears what belongs to the previous key's owner (its session is another stream). */
export function resetJobs() {
  jobProject = null;
  clearCards();
  resetStart();
  say("job-status", "");
  say("stream-status", "");
}

/** A deleted project's job cards go with it. */
export function projectDeleted(id) {
  if (jobProject !== id) return;
  jobProject = null;
  clearCards();
  say("job-status", "The last job's project was deleted.");
}

/** The inpaint mask, uploaded (POST /api/uploads): its id, or a reason it cannot be sent. */
async function uploadMask() {
  const start = currentStart();
  if (!start || start.source === "url")
    return {
      error: "Inpaint paints its mask over the start image: upload one or continue from a gallery image.",
    };
  if (paintedShare() === 0) return { error: "Paint the part to repaint on the start image first." };
  say("job-status", "Uploading the mask…");
  const mask = await uploadImage(await maskBlob());
  return { id: mask.id };
}

async function submit(form, project) {
  const fields = paramFields(new FormData(form));
  if (fields.error) return say("job-status", fields.error, true);
  const data = new FormData(form);
  const body = {
    prompt: String(data.get("prompt") ?? ""),
    providers: data.getAll("providers").map(String),
    variants: Number(data.get("variants")),
    autoRetry: Number(data.get("autoRetry") || 0),
    sessionId: sessionId(),
    ...startFields(),
    ...fields.body,
  };
  if (body.providers.length === 0) return say("job-status", "Pick at least one provider.", true);
  const kind = currentKind();
  if (kind !== "generate" && !currentStart())
    return say(
      "job-status",
      `${kind} needs a start image: choose one from disk, a URL or the gallery.`,
      true,
    );
  let maskId = null;
  if (kind === "inpaint") {
    const mask = await uploadMask();
    if (mask.error) return say("job-status", mask.error, true);
    maskId = mask.id;
    body.maskUploadId = maskId;
  }
  say("job-status", "Submitting…");
  try {
    const job = await api("POST", `/api/projects/${project}/jobs`, body);
    jobProject = project;
    newJobCards(job.jobId, job.tasks);
    // A fast job may have finished before its 202 was read: its "Job finished" line stays.
    if (!jobEnded(job.jobId))
      say("job-status", `Job ${job.jobId} accepted: ${job.tasks.length} task(s), watching live.`);
  } finally {
    // The job copied the mask into its own storage: the upload is not needed any more.
    if (maskId) api("DELETE", `/api/uploads/${maskId}`).catch(() => undefined);
  }
}

/** Wires the job form: `projectId()` names the target, `ended(jobId)` runs when a job finishes. */
export function initJobs(projectId, ended) {
  initCards(ended);
  initStart();
  initMask();
  initParams((kind) => showMask(kind === "inpaint"));
  byId("job-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const project = projectId();
    if (!project) return say("job-status", "Create or pick a project first.", true);
    if (submitting) return;
    submitting = true;
    try {
      await submit(event.currentTarget, project);
    } catch (err) {
      say("job-status", describe(err), true);
    } finally {
      submitting = false;
    }
  });
}
