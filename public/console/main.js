/** The console: wires the key, projects, jobs, live stream, gallery and publishing together. */
import { api, describe, savedKey, saveKey } from "./api.js";
import { initArtifacts } from "./artifacts.js";
import { byId, el, say } from "./dom.js";
import { initGallery, loadGallery } from "./gallery.js";
import { applyEvent, initJobs, renderProviders } from "./jobs.js";
import { openStream } from "./stream.js";

const PROJECT_STORAGE = "picasso.projectId";
const projectId = () => String(byId("project-pick").value);

async function loadProjects(select) {
  const { projects } = await api("GET", "/api/projects?limit=100");
  const pick = byId("project-pick");
  if (projects.length === 0) {
    pick.replaceChildren(el("option", { value: "", text: "No projects yet" }));
    return;
  }
  pick.replaceChildren(...projects.map((p) => el("option", { value: p.id, text: p.name })));
  const wanted = select ?? localStorage.getItem(PROJECT_STORAGE);
  if (wanted && projects.some((p) => p.id === wanted)) pick.value = wanted;
  localStorage.setItem(PROJECT_STORAGE, pick.value);
}

function initKey() {
  const input = byId("api-key");
  input.value = savedKey();
  say("key-status", savedKey() ? "Key saved in this browser." : "Enter the key to create projects and jobs.");
  byId("key-form").addEventListener("submit", (event) => {
    event.preventDefault();
    saveKey(input.value.trim());
    say("key-status", "Key saved in this browser.");
  });
}

function initProjects() {
  byId("project-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const name = String(byId("project-name").value).trim();
    try {
      const project = await api("POST", "/api/projects", { name });
      await loadProjects(project.id);
      say("project-status", `Created “${project.name}”.`);
      byId("project-name").value = "";
      loadGallery();
    } catch (err) {
      say("project-status", describe(err), true);
    }
  });
  byId("project-pick").addEventListener("change", () => {
    localStorage.setItem(PROJECT_STORAGE, projectId());
    loadGallery();
  });
}

async function start() {
  initKey();
  initProjects();
  initJobs(projectId, () => loadGallery());
  initGallery(projectId);
  const listed = await api("GET", "/api/providers").catch(() => null);
  renderProviders(listed?.providers);
  await Promise.all([
    loadProjects().catch((err) => say("project-status", describe(err), true)),
    initArtifacts(projectId),
  ]);
  loadGallery();
  openStream(applyEvent, (state) => say("stream-status", `Live stream: ${state}`));
}

start();
