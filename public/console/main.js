/**
 * The console: asks for the API key first, shows what that key may do (GET /api/keys/self), and
 * wires projects, jobs, the live stream, the gallery, publishing and the Keys panel together.
 * The key is used as typed: every request reads the field (api.js), a key the server accepts is
 * remembered, and a 401 brings the prompt back.
 */
import { api, currentKey, describe, forgetKey, savedKey, saveKey, useKeyField } from "./api.js";
import { initArtifacts, loadArtifactTypes, resetArtifacts } from "./artifacts.js";
import { byId, el, say } from "./dom.js";
import { initGallery, loadGallery, resetGallery } from "./gallery.js";
import { applyEvent, initJobs, projectDeleted, renderProviders, resetJobs } from "./jobs.js";
import { initKeys, loadKeys, setKeysCaller } from "./keys.js";
import { initProjects, loadProjects, projectId, resetProjects } from "./projects.js";
import { setContinueFrom } from "./start-image.js";
import { startStream, stopStream } from "./stream.js";

/** How long typing may pause before the key is checked. */
const CHECK_DELAY_MS = 350;
/** The accepted key's owner; null while the console is locked. */
let owner = null;
let checks = 0;
let timer = 0;

function means(scopes) {
  const write = scopes.has("write");
  const admin = scopes.has("admin");
  if (write && admin)
    return "This key may look, create, change, delete, run jobs, publish and manage this owner's keys.";
  if (write)
    return "This key may look, create, change, delete, run jobs and publish. Managing keys needs the admin scope.";
  if (admin)
    return "This key may look and manage this owner's keys; generating, publishing, creating and deleting need the write scope.";
  return "Read-only: this key may look at projects, images and jobs; generating, publishing, creating and deleting need the write scope.";
}

/** Shows the caller next to the key field and what the page offers it (data-needs in console.css). */
function showCaller(caller) {
  const scopes = new Set(caller.scopes);
  document.body.classList.toggle("can-write", scopes.has("write"));
  document.body.classList.toggle("can-admin", scopes.has("admin"));
  byId("key-owner").textContent = `Owner ${caller.ownerId}`;
  byId("key-scopes").replaceChildren(...caller.scopes.map((s) => el("span", { class: "chip", text: s })));
  byId("key-root").textContent = caller.root ? "root key (API_KEYS)" : "";
  byId("key-means").textContent = means(scopes);
  byId("key-who").hidden = false;
  setKeysCaller(caller);
}

/** Hides everything but the key prompt. */
function lock(message, error = false) {
  owner = null;
  stopStream();
  document.body.classList.remove("can-write", "can-admin");
  byId("workspace").hidden = true;
  byId("locked").hidden = false;
  byId("key-who").hidden = true;
  say("key-status", message, error);
}

/** Opens the console for an accepted caller; a new owner starts from a clean page. */
async function enter(caller) {
  showCaller(caller);
  byId("locked").hidden = true;
  byId("workspace").hidden = false;
  const admin = caller.scopes.includes("admin");
  if (owner === caller.ownerId) {
    if (admin) await loadKeys();
    return;
  }
  owner = caller.ownerId;
  resetProjects();
  resetGallery();
  resetJobs();
  resetArtifacts();
  const listed = await api("GET", "/api/providers").catch(() => null);
  renderProviders(listed?.providers);
  await Promise.all([
    loadProjects().catch((err) => say("project-status", describe(err), true)),
    loadArtifactTypes(),
    admin ? loadKeys() : null,
  ]);
  loadGallery();
  if (owner === caller.ownerId)
    startStream(owner, applyEvent, (state) => say("stream-status", `Live stream: ${state}`));
}

/** Asks the server who the typed key is (GET /api/keys/self); the newest check wins. */
async function check() {
  clearTimeout(timer);
  const key = currentKey();
  const mine = ++checks;
  if (!key) return lock("Enter your API key to start.");
  say("key-status", "Checking the key…");
  try {
    const caller = await api("GET", "/api/keys/self", undefined, { key, quiet: true });
    if (mine !== checks) return;
    saveKey(key);
    say("key-status", "Key accepted (remembered in this browser).");
    await enter(caller);
  } catch (err) {
    if (mine !== checks) return;
    lock(
      err.status === 401
        ? `The server refused this key — ${describe(err)}.`
        : `Could not check the key — ${describe(err)}.`,
      true,
    );
  }
}

function initKey() {
  const input = byId("api-key");
  useKeyField(input, (failure) => {
    checks++;
    lock(`The server refused the key — ${describe(failure)}. Enter a valid key to go on.`, true);
    input.focus();
    input.select();
  });
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(check, CHECK_DELAY_MS);
  });
  byId("key-form").addEventListener("submit", (event) => {
    event.preventDefault();
    check();
  });
  byId("key-forget").addEventListener("click", () => {
    checks++;
    clearTimeout(timer);
    forgetKey();
    input.value = "";
    lock("Key forgotten: this browser no longer remembers it. Enter a key to go on.");
    input.focus();
  });
  input.value = savedKey();
  if (input.value) check();
  else {
    lock("Enter your API key to start.");
    input.focus();
  }
}

// A gallery image continues only within its own project: another project drops it as the start.
initProjects(() => {
  setContinueFrom(null);
  loadGallery();
}, projectDeleted);
initJobs(projectId, () => loadGallery());
initGallery(projectId);
initArtifacts(projectId);
initKeys();
initKey();
