/**
 * The job's start image, from one of three sources that exclude each other: an image from disk
 * (the file picker or a drop on the drop zone; uploaded at once with POST /api/uploads), an image
 * URL (fetched by the server at Generate), or a gallery image (Continue from here, sent as
 * parentProgressionId). Choosing one replaces the others; the preview says which one is in use.
 * The mask painter (mask.js) listens for changes and draws over the image when it can show it.
 */
import { describe, uploadImage } from "./api.js";
import { byId, say } from "./dom.js";

/** POST /api/uploads refuses more (413): said before sending 20 MiB for nothing. */
const MAX_BYTES = 20 * 1024 * 1024;

/**
 * The current start: null, or `{ source: "upload", upload, name, objectUrl }`,
 * `{ source: "url", url }`, or `{ source: "parent", progression }`.
 */
let start = null;
/** Bumped on every change: an upload that finishes after another choice is dropped. */
let generation = 0;
const listeners = new Set();

/** Calls `fn(start)` after every change of the start image. */
export function onStartChange(fn) {
  listeners.add(fn);
}

/** The start as described above, or null. */
export const currentStart = () => start;

/** The progression the next job continues from, or null (the gallery's Delete asks). */
export const continuingFrom = () => (start?.source === "parent" ? start.progression : null);

function kib(bytes) {
  return bytes >= 1024 * 1024
    ? `${(bytes / 1024 / 1024).toFixed(1)} MiB`
    : `${Math.max(1, Math.round(bytes / 1024))} KiB`;
}

/** Where the picture can be shown in this page (same origin only), or null for a foreign URL. */
export function startPicture(s = start) {
  if (s?.source === "upload") return { src: s.objectUrl, width: s.upload.width, height: s.upload.height };
  if (s?.source === "parent") {
    const url = s.progression.generatedImageUrl;
    return { src: `${url}${url.includes("?") ? "&" : "?"}format=png`, width: null, height: null };
  }
  return null;
}

function thumbSrc(s) {
  if (s.source === "upload") return s.objectUrl;
  const url = s.progression.generatedImageUrl;
  return `${url}${url.includes("?") ? "&" : "?"}w=320&format=webp`;
}

function render() {
  const preview = byId("start-preview");
  const thumb = byId("start-thumb");
  preview.hidden = !start || start.source === "url";
  if (start?.source === "upload") {
    const u = start.upload;
    thumb.alt = `Start image ${start.name}`;
    byId("start-text").textContent =
      `From disk: ${start.name} — ${u.width}×${u.height} px, ${kib(u.bytes)} (${u.contentType}), uploaded.`;
  } else if (start?.source === "parent") {
    const p = start.progression;
    thumb.alt = `Start image: step ${p.id.slice(0, 8)}`;
    byId("start-text").textContent =
      `Continuing from step ${p.id.slice(0, 8)} of the gallery (“${p.prompt.slice(0, 60)}”, ${p.provider}).`;
  }
  if (start && start.source !== "url") thumb.src = thumbSrc(start);
  else thumb.removeAttribute("src");
  byId("drop-zone").classList.toggle("has-file", start?.source === "upload");
}

function set(next) {
  if (start?.source === "upload" && start !== next) URL.revokeObjectURL(start.objectUrl);
  start = next;
  generation += 1;
  if (next?.source !== "upload") byId("start-file").value = "";
  if (next?.source !== "url") byId("start-image").value = "";
  render();
  for (const fn of listeners) fn(start);
}

/** The next job continues from this progression (its image is the start image of edits). */
export function setContinueFrom(progression) {
  if (!progression) {
    if (start?.source === "parent") set(null);
    return;
  }
  set({ source: "parent", progression });
  say("start-status", "The gallery image is the start image; a file or URL chosen before is dropped.");
  byId("prompt").focus();
}

/** Uploads `file` (from the picker or a drop) and makes it the start image. */
async function useFile(file) {
  if (!file) return;
  if (file.size > MAX_BYTES)
    return say("start-status", `${file.name} is ${kib(file.size)}: at most 20 MiB.`, true);
  const mine = ++generation;
  say("start-status", `Uploading ${file.name}…`);
  byId("drop-zone").classList.add("busy");
  try {
    const upload = await uploadImage(file);
    if (mine !== generation) return;
    set({ source: "upload", upload, name: file.name || "image", objectUrl: URL.createObjectURL(file) });
    say("start-status", "Uploaded: this image is the start image.");
  } catch (err) {
    if (mine !== generation) return;
    byId("start-file").value = "";
    say("start-status", `Could not upload ${file.name}: ${describe(err)}`, true);
  } finally {
    byId("drop-zone").classList.remove("busy");
  }
}

/** The job body's start field: at most one of startImageUploadId, startImageUrl, parentProgressionId. */
export function startFields() {
  if (start?.source === "upload") return { startImageUploadId: start.upload.id };
  if (start?.source === "url") return { startImageUrl: start.url };
  if (start?.source === "parent") return { parentProgressionId: start.progression.id };
  return {};
}

/** Clears the start (a new owner, or Remove). */
export function resetStart() {
  set(null);
  say("start-status", "");
}

/** Wires the picker, the drop zone, the URL field and Remove. */
export function initStart() {
  const input = byId("start-file");
  const zone = byId("drop-zone");
  input.addEventListener("change", () => useFile(input.files?.[0]));
  for (const type of ["dragenter", "dragover"])
    zone.addEventListener(type, (event) => {
      if (!event.dataTransfer?.types.includes("Files")) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = "copy";
      zone.classList.add("over");
    });
  zone.addEventListener("dragleave", (event) => {
    if (!zone.contains(event.relatedTarget)) zone.classList.remove("over");
  });
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("over");
    const files = event.dataTransfer?.files;
    if (files && files.length > 1) say("start-status", "One image at a time: the first one is used.");
    useFile(files?.[0]);
  });
  const url = byId("start-image");
  url.addEventListener("input", () => {
    const value = url.value.trim();
    if (value) {
      if (start?.source !== "url") {
        set({ source: "url", url: value });
        say("start-status", "The URL is the start image (the server fetches it at Generate).");
      } else start.url = value;
    } else if (start?.source === "url") set(null);
  });
  byId("start-clear").addEventListener("click", () => {
    set(null);
    say("start-status", "No start image: Generate makes a new picture from the prompt.");
    input.focus();
  });
}
