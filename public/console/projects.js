/**
 * Projects: the picker, Create project, and Delete project with its progress (DELETE answers 202
 * with a statusUrl, polled until the deletion is complete).
 */
import { api, describe } from "./api.js";
import { confirmAction } from "./confirm.js";
import { byId, el, focusIfLost, say } from "./dom.js";

const PROJECT_STORAGE = "picasso.projectId";
const POLL_MS = 1000;
/** Projects being deleted: kept out of the picker even while the listing still has them. */
const deleting = new Set();
let changed = () => {};
let gone = () => {};
/** Bumped when the key's owner changes: a progress loop of the previous owner stops. */
let generation = 0;

/** The current project's id, or "" when there is none. */
export const projectId = () => String(byId("project-pick").value);

/** Reloads the picker (newest first) and selects `select`, else the remembered project. */
export async function loadProjects(select) {
  const { projects: all } = await api("GET", "/api/projects?limit=100");
  const projects = all.filter((p) => !deleting.has(p.id));
  const pick = byId("project-pick");
  byId("project-delete").disabled = projects.length === 0;
  if (projects.length === 0) {
    pick.replaceChildren(el("option", { value: "", text: "No projects yet" }));
    return;
  }
  pick.replaceChildren(...projects.map((p) => el("option", { value: p.id, text: p.name })));
  const wanted = select ?? localStorage.getItem(PROJECT_STORAGE);
  if (wanted && projects.some((p) => p.id === wanted)) pick.value = wanted;
  localStorage.setItem(PROJECT_STORAGE, pick.value);
}

function removed(status) {
  const rows = status.removed?.rows ?? 0;
  const objects = status.removed?.objects ?? 0;
  return `${rows} row(s) and ${objects} stored object(s) removed`;
}

/** One line per deletion under way (or just finished): its words and a progress bar. */
function deletionEntry(name) {
  const text = el("p", { role: "status" });
  const bar = el("progress", { "aria-label": `Deletion of ${name}` });
  const entry = el("li", {}, text, bar);
  byId("deletions").prepend(entry);
  return {
    say(words, error = false) {
      text.textContent = words;
      text.classList.toggle("error", error);
    },
    done() {
      bar.max = 1;
      bar.value = 1;
    },
  };
}

/** Polls the deletion's statusUrl until it is complete (or no longer pending/running). */
async function follow(name, first) {
  const entry = deletionEntry(name);
  const url = new URL(first.statusUrl ?? `/api/deletions/${first.id}`, location.origin);
  const path = `${url.pathname}${url.search}`;
  const mine = generation;
  let status = first;
  let failures = 0;
  for (;;) {
    if (mine !== generation) return null;
    const note = status.lastError ? ` (retrying after: ${status.lastError})` : "";
    if (status.status === "complete") {
      entry.done();
      entry.say(`Deleted “${name}”: complete, ${removed(status)}.`);
      return status;
    }
    if (status.status !== "pending" && status.status !== "running") {
      entry.say(`Deleting “${name}”: ${status.status}, ${removed(status)}${note}.`, true);
      return status;
    }
    entry.say(`Deleting “${name}”: ${status.status}, ${removed(status)} so far${note}…`);
    await new Promise((r) => setTimeout(r, POLL_MS));
    if (mine !== generation) return null;
    try {
      status = await api("GET", path);
      failures = 0;
    } catch (err) {
      if (err.status === 401 || ++failures >= 5) {
        entry.say(`Deleting “${name}”: could not read its progress (${describe(err)}).`, true);
        return null;
      }
    }
  }
}

async function deleteProject() {
  const pick = byId("project-pick");
  const id = projectId();
  if (!id) return say("project-status", "There is no project to delete.", true);
  const name = pick.selectedOptions[0]?.textContent ?? id;
  const sure = await confirmAction({
    title: `Delete project “${name}”?`,
    message:
      "Its jobs, images, published artifacts and their public pages are removed for good. This cannot be undone.",
    action: "Delete project",
  });
  if (!sure) return say("project-status", "Nothing was deleted.");
  say("project-status", `Deleting “${name}”…`);
  const mine = generation;
  try {
    const accepted = await api("DELETE", `/api/projects/${id}`);
    deleting.add(id);
    gone(id);
    say("project-status", `“${name}” is being deleted; its progress is below.`);
    await loadProjects().catch(() => undefined);
    changed();
    focusIfLost(byId("project-pick"));
    const done = await follow(name, accepted);
    if (mine !== generation) return;
    if (done?.status === "complete") say("project-status", "");
    deleting.delete(id);
    await loadProjects().catch(() => undefined);
  } catch (err) {
    say("project-status", describe(err), true);
  }
}

/**
 * Wires the project form, picker and Delete project; `onChange()` runs when the current project
 * changes, `onDeleted(id)` once a project's deletion is accepted.
 */
export function initProjects(onChange, onDeleted) {
  changed = onChange;
  gone = onDeleted;
  byId("project-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const name = String(byId("project-name").value).trim();
    try {
      const project = await api("POST", "/api/projects", { name });
      await loadProjects(project.id);
      say("project-status", `Created “${project.name}”.`);
      byId("project-name").value = "";
      changed();
    } catch (err) {
      say("project-status", describe(err), true);
    }
  });
  byId("project-pick").addEventListener("change", () => {
    localStorage.setItem(PROJECT_STORAGE, projectId());
    changed();
  });
  byId("project-delete").addEventListener("click", deleteProject);
}

/** Clears what belongs to the previous key's owner. */
export function resetProjects() {
  generation += 1;
  deleting.clear();
  byId("project-pick").replaceChildren(el("option", { value: "", text: "No projects yet" }));
  byId("deletions").replaceChildren();
  say("project-status", "");
}
