/** Publishing: the lookbook button, a picker for every other type, links, Delete, and views by country. */
import { api, describe } from "./api.js";
import { confirmAction } from "./confirm.js";
import { byId, el, focusIfLost, say } from "./dom.js";

let projectOf = () => "";

function bars(byCountry, total) {
  const chart = byId("views-chart");
  const rows = Object.entries(byCountry).sort((a, b) => b[1] - a[1]);
  const max = Math.max(1, ...rows.map(([, n]) => n));
  chart.setAttribute(
    "aria-label",
    `Views by country: ${rows.map(([cc, n]) => `${cc} ${n}`).join(", ") || "none"}`,
  );
  chart.replaceChildren(
    ...rows.map(([country, n]) => {
      const bar = el("span", { class: "bar" });
      // CSSOM, not a style attribute: the CSP allows styles from console.css only.
      bar.style.width = `${Math.max(4, (n / max) * 100)}%`;
      return el(
        "div",
        { class: "bar-row" },
        el("span", { class: "cc", text: country }),
        bar,
        el("span", { class: "n", text: String(n) }),
      );
    }),
  );
  say("views-status", `${total} view(s)${rows.length ? "" : " (no country recorded yet)"}.`);
}

async function refreshViews(artifact) {
  say("views-status", `Views of “${artifact.title}”…`);
  try {
    const views = await api("GET", `/api/artifacts/${artifact.id}/views`);
    bars(views.byCountry, views.total);
  } catch (err) {
    say("views-status", describe(err), true);
  }
}

async function deleteArtifact(artifact, node) {
  const sure = await confirmAction({
    title: `Delete “${artifact.title}”?`,
    message: `This ${artifact.type} and its public page are removed at once; its link stops working. This cannot be undone.`,
    action: "Delete artifact",
  });
  if (!sure) return say("publish-status", "Nothing was deleted.");
  try {
    await api("DELETE", `/api/artifacts/${artifact.id}`);
    node.remove();
    say("publish-status", `Deleted “${artifact.title}”: its public page is gone.`);
    focusIfLost(byId("h-publish"));
  } catch (err) {
    say("publish-status", describe(err), true);
  }
}

function listed(artifact) {
  const missing = artifact.missingPlaceholders?.length
    ? ` — draft until filled: ${artifact.missingPlaceholders.join(", ")}`
    : "";
  const name = `${artifact.title} (${artifact.type})`;
  const node = el(
    "li",
    { dataset: { id: artifact.id } },
    artifact.status === "published"
      ? el("a", {
          href: artifact.publicUrl,
          target: "_blank",
          rel: "noopener",
          text: `${artifact.title} (${artifact.type})`,
        })
      : el("span", { text: `${artifact.title} (${artifact.type})` }),
    el("span", { class: "hint", text: ` ${artifact.status}${missing} ` }),
    el("button", {
      type: "button",
      "aria-label": `Views of ${name}`,
      onclick: () => refreshViews(artifact),
      text: "Views",
    }),
    " ",
    el("button", {
      type: "button",
      class: "danger",
      "aria-label": `Delete ${name}`,
      onclick: () => deleteArtifact(artifact, node),
      text: "Delete",
    }),
  );
  return node;
}

async function publish(type) {
  const project = projectOf();
  if (!project) return say("publish-status", "Create or pick a project first.", true);
  const title = String(byId("artifact-title").value).trim() || "Untitled";
  say("publish-status", `Publishing ${type}…`);
  try {
    const artifact =
      type === "lookbook"
        ? await api("POST", `/api/projects/${project}/artifacts/lookbook`, { title })
        : await api("POST", "/api/artifacts", { type, title, projectIds: [project] });
    byId("artifacts").prepend(listed(artifact));
    say(
      "publish-status",
      artifact.status === "published" ? `Published: ${artifact.publicUrl}` : "Saved as a draft.",
    );
    refreshViews(artifact);
  } catch (err) {
    say("publish-status", describe(err), true);
  }
}

/** Wires the buttons; `projectId()` names the current project. */
export function initArtifacts(projectId) {
  projectOf = projectId;
  byId("publish-lookbook").addEventListener("click", () => publish("lookbook"));
  byId("publish-other").addEventListener("click", () => publish(String(byId("artifact-type").value)));
}

/** Clears what belongs to the previous key's owner. */
export function resetArtifacts() {
  byId("artifacts").replaceChildren();
  byId("views-chart").replaceChildren();
  say("publish-status", "");
  say("views-status", "Publish an artifact, then refresh its views.");
}

/** Fills the type picker from the registry (new generators appear by themselves). */
export async function loadArtifactTypes() {
  try {
    const { types } = await api("GET", "/api/artifacts/types");
    byId("artifact-type").replaceChildren(
      ...types
        .filter((t) => t.id !== "lookbook")
        .map((t) => el("option", { value: t.id, title: t.description, text: `${t.name} (${t.output})` })),
    );
  } catch (err) {
    say("publish-status", describe(err), true);
  }
}
