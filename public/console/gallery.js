/**
 * The project's images with filters, each image's lineage, Roll back, Continue from here and
 * Delete. Buttons that change something carry data-needs="write": a read-only key does not see them.
 */
import { api, describe } from "./api.js";
import { confirmAction } from "./confirm.js";
import { byId, el, focusIfLost, say } from "./dom.js";
import { continuingFrom, setContinueFrom } from "./start-image.js";

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

async function deleteImage(p, node) {
  const sure = await confirmAction({
    title: "Delete this image?",
    message: `“${p.prompt.slice(0, 120)}” (${p.provider}) is removed from the project and its history. This cannot be undone.`,
    action: "Delete image",
  });
  if (!sure) return say("gallery-status", "Nothing was deleted.");
  try {
    await api("DELETE", `/api/progressions/${p.id}`);
    node.remove();
    if (continuingFrom()?.id === p.id) setContinueFrom(null);
    byId("lineage").hidden = true;
    const left = byId("gallery").children.length;
    say("gallery-status", `Image deleted. ${left ? `${left} image(s) left.` : "No images left."}`);
    focusIfLost(byId("h-gallery"));
  } catch (err) {
    say("gallery-status", describe(err), true);
  }
}

function item(p) {
  const notes = p.aiNotes.length ? p.aiNotes.join(" · ") : "";
  const label = `image “${p.prompt.slice(0, 40)}” (${p.provider})`;
  const node = el(
    "li",
    { class: "image", dataset: { judgment: p.judgment ?? "none", id: p.id } },
    thumb(p, 320),
    el("p", { class: "prompt", text: p.prompt }),
    el("p", { class: "hint", text: verdictText(p) }),
    notes ? el("p", { class: "notes", text: notes }) : null,
    el(
      "div",
      { class: "actions" },
      el("button", { type: "button", onclick: () => showLineage(p), text: "Lineage" }),
      el("button", { type: "button", "data-needs": "write", onclick: () => rollBack(p), text: "Roll back" }),
      el("button", {
        type: "button",
        "data-needs": "write",
        onclick: () => setContinueFrom(p),
        text: "Continue from here",
      }),
      el("button", {
        type: "button",
        class: "danger",
        "data-needs": "write",
        "aria-label": `Delete ${label}`,
        onclick: () => deleteImage(p, node),
        text: "Delete",
      }),
    ),
  );
  return node;
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

/** Clears what belongs to the previous key's owner. */
export function resetGallery() {
  byId("gallery").replaceChildren();
  byId("lineage").hidden = true;
  say("gallery-status", "");
}

/** Wires the filters; `projectId()` names the current project. */
export function initGallery(projectId) {
  projectOf = projectId;
  byId("filter-form").addEventListener("submit", (event) => {
    event.preventDefault();
    loadGallery();
  });
}
