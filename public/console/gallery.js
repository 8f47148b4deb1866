/** The project's images with filters, each image's lineage, Roll back and Continue from here. */
import { api, describe } from "./api.js";
import { byId, el, say } from "./dom.js";
import { setContinueFrom } from "./jobs.js";

let projectOf = () => "";

function thumb(p, width) {
  const sep = p.generatedImageUrl.includes("?") ? "&" : "?";
  return el("img", {
    src: `${p.generatedImageUrl}${sep}w=${width}&format=webp`,
    alt: p.prompt,
    width: String(width / 2),
    height: String(width / 2),
    loading: "lazy",
  });
}

function verdictText(p) {
  const verdict = p.judgment ?? "no verdict";
  return `${p.provider} · ${verdict}${p.aiTags.length ? ` · ${p.aiTags.slice(0, 4).join(", ")}` : ""}`;
}

/** The chain from the first step to `id`, parents first. */
async function lineageOf(id) {
  const chain = [];
  let next = id;
  while (next && chain.length < 50) {
    const step = await api("GET", `/api/progressions/${next}`);
    chain.unshift(step);
    next = step.parentProgressionId;
  }
  return chain;
}

async function showLineage(p) {
  const box = byId("lineage");
  box.hidden = false;
  const list = byId("lineage-steps");
  list.replaceChildren(el("li", { text: "Loading…" }));
  try {
    const chain = await lineageOf(p.id);
    list.replaceChildren(
      ...chain.map((step, i) =>
        el(
          "li",
          { class: "step" },
          thumb(step, 160),
          el("span", { text: `Step ${i + 1}: “${step.prompt}” — ${verdictText(step)}` }),
        ),
      ),
    );
    box.focus();
  } catch (err) {
    list.replaceChildren(el("li", { class: "error", text: describe(err) }));
  }
}

async function rollBack(p) {
  try {
    const head = await api("POST", `/api/progressions/${p.id}/rollback`, {});
    say("gallery-status", `Rolled back: a new step ${head.id.slice(0, 8)} now continues from this image.`);
    await loadGallery();
  } catch (err) {
    say("gallery-status", describe(err), true);
  }
}

function item(p) {
  const notes = p.aiNotes.length ? p.aiNotes.join(" · ") : "";
  return el(
    "li",
    { class: "image", dataset: { judgment: p.judgment ?? "none" } },
    thumb(p, 320),
    el("p", { class: "prompt", text: p.prompt }),
    el("p", { class: "hint", text: verdictText(p) }),
    notes ? el("p", { class: "notes", text: notes }) : null,
    el(
      "div",
      { class: "actions" },
      el("button", { type: "button", onclick: () => showLineage(p), text: "Lineage" }),
      el("button", { type: "button", onclick: () => rollBack(p), text: "Roll back" }),
      el("button", { type: "button", onclick: () => setContinueFrom(p), text: "Continue from here" }),
    ),
  );
}

/** Reloads the gallery with the filter form's values. */
export async function loadGallery() {
  const project = projectOf();
  const list = byId("gallery");
  if (!project) {
    list.replaceChildren();
    return say("gallery-status", "No project yet.");
  }
  const form = new FormData(byId("filter-form"));
  const query = new URLSearchParams({ limit: "48" });
  for (const name of ["query", "tags", "judgment", "provider"]) {
    const value = String(form.get(name) ?? "").trim();
    if (value) query.set(name, value);
  }
  try {
    const page = await api("GET", `/api/projects/${project}/progressions?${query}`);
    list.replaceChildren(...page.progressions.map(item));
    say(
      "gallery-status",
      page.progressions.length ? `${page.progressions.length} image(s).` : "No images match.",
    );
  } catch (err) {
    say("gallery-status", describe(err), true);
  }
}

/** Wires the filters; `projectId()` names the current project. */
export function initGallery(projectId) {
  projectOf = projectId;
  byId("filter-form").addEventListener("submit", (event) => {
    event.preventDefault();
    loadGallery();
  });
}
