/**
 * The inpaint mask: a <canvas> over the start image. What is painted is repainted (white in the
 * mask), the rest is kept (black). Mouse, pen or touch: drag to paint. Keyboard: the picture is
 * focusable; the arrow keys move a round brush cursor (Shift: bigger steps), Space paints while it
 * is held (arrows then draw a line), Enter paints one dab, B and E pick Brush or Eraser, [ and ]
 * change the size, Escape lifts the brush. Brush, Eraser, the size slider and Clear are ordinary
 * controls. At Generate the mask is exported at the start image's natural size as a PNG.
 */
import { byId, say } from "./dom.js";
import { onStartChange, startPicture } from "./start-image.js";

/** The paint colour on screen (the canvas is shown half transparent); the export is white. */
const PAINT = "#ff2d7a";
/** The working canvas's longest side; the export is scaled to the natural size. */
const MAX_WORK = 2048;
const MIN_SIZE = 4;
const MAX_SIZE = 160;

let wanted = false;
/** The picture being masked: { width, height } natural size once loaded, else null. */
let natural = null;
let tool = "brush";
let cursor = { x: 0, y: 0 };
let penDown = false;
let hovering = false;
/** The last point of a pointer stroke (canvas px), or null when not drawing with a pointer. */
let last = null;
let announceTimer = 0;

const paint = () => byId("mask-paint");
const top = () => byId("mask-cursor");
const size = () => Number(byId("mask-size").value);

/** Canvas px per on-screen px (the canvas is scaled to the page's width). */
function scale() {
  const shown = top().getBoundingClientRect().width;
  return shown > 0 ? paint().width / shown : 1;
}

const radius = () => (size() / 2) * scale();

function dab(from, to) {
  const ctx = paint().getContext("2d");
  ctx.globalCompositeOperation = tool === "eraser" ? "destination-out" : "source-over";
  ctx.strokeStyle = PAINT;
  ctx.fillStyle = PAINT;
  ctx.lineCap = "round";
  ctx.lineJoin = "round";
  ctx.lineWidth = radius() * 2;
  ctx.beginPath();
  if (from && (from.x !== to.x || from.y !== to.y)) {
    ctx.moveTo(from.x, from.y);
    ctx.lineTo(to.x, to.y);
    ctx.stroke();
  } else {
    ctx.arc(to.x, to.y, radius(), 0, Math.PI * 2);
    ctx.fill();
  }
}

/** The round outline where the brush is (keyboard cursor, or the pointer while it hovers). */
function drawCursor(show = true) {
  const canvas = top();
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  if (!show) return;
  const s = scale();
  ctx.setLineDash(tool === "eraser" ? [6 * s, 4 * s] : []);
  for (const [colour, width] of [
    ["#fff", 4 * s],
    ["#000", 1.5 * s],
  ]) {
    ctx.strokeStyle = colour;
    ctx.lineWidth = width;
    ctx.beginPath();
    ctx.arc(cursor.x, cursor.y, Math.max(radius(), 2 * s), 0, Math.PI * 2);
    ctx.stroke();
  }
}

/** The share of the picture that is painted (0..1), sampled on a 100×100 grid. */
export function paintedShare() {
  if (!natural) return 0;
  const probe = document.createElement("canvas");
  probe.width = 100;
  probe.height = 100;
  const ctx = probe.getContext("2d", { willReadFrequently: true });
  ctx.drawImage(paint(), 0, 0, 100, 100);
  const data = ctx.getImageData(0, 0, 100, 100).data;
  let painted = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] > 127) painted += 1;
  return painted / 10_000;
}

function report(where = "") {
  const share = Math.round(paintedShare() * 100);
  const painted =
    share > 0 ? `${share} % of the image painted (repainted by inpaint).` : "Nothing painted yet.";
  say("mask-status", `${where}${painted}`);
}

function announcePosition() {
  clearTimeout(announceTimer);
  announceTimer = setTimeout(() => {
    const across = Math.round((cursor.x / paint().width) * 100);
    const down = Math.round((cursor.y / paint().height) * 100);
    report(
      `${tool === "eraser" ? "Eraser" : "Brush"} at ${across} % across, ${down} % down${penDown ? ", painting" : ""}. `,
    );
  }, 200);
}

function setTool(next) {
  tool = next;
  byId("mask-brush").setAttribute("aria-pressed", String(next === "brush"));
  byId("mask-eraser").setAttribute("aria-pressed", String(next === "eraser"));
  drawCursor(hovering || document.activeElement === top());
}

function setSize(value) {
  const input = byId("mask-size");
  input.value = String(Math.min(MAX_SIZE, Math.max(MIN_SIZE, value)));
  byId("mask-size-out").textContent = `${input.value} px`;
  drawCursor(hovering || document.activeElement === top());
}

/** Clears the mask (everything kept). */
export function clearMask() {
  const canvas = paint();
  canvas.getContext("2d").clearRect(0, 0, canvas.width, canvas.height);
  report();
}

function pointAt(event) {
  const rect = top().getBoundingClientRect();
  const s = paint().width / rect.width;
  return {
    x: (event.clientX - rect.left) * s,
    y: (event.clientY - rect.top) * (paint().height / rect.height),
  };
}

function onKey(event) {
  if (!natural) return;
  const moves = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
  const move = moves[event.key];
  const canvas = paint();
  if (move) {
    const step = (canvas.width / (event.shiftKey ? 10 : 40)) | 0 || 1;
    const from = { ...cursor };
    cursor = {
      x: Math.min(canvas.width, Math.max(0, cursor.x + move[0] * step)),
      y: Math.min(canvas.height, Math.max(0, cursor.y + move[1] * step)),
    };
    if (penDown) dab(from, cursor);
    drawCursor();
    announcePosition();
  } else if (event.key === " " || event.key === "Enter") {
    if (event.key === " ") {
      if (event.repeat) return event.preventDefault();
      penDown = true;
    }
    dab(null, cursor);
    announcePosition();
  } else if (event.key === "Escape") {
    penDown = false;
    announcePosition();
  } else if (event.key === "b" || event.key === "B") setTool("brush");
  else if (event.key === "e" || event.key === "E") setTool("eraser");
  else if (event.key === "[") setSize(size() - 4);
  else if (event.key === "]") setSize(size() + 4);
  else return;
  event.preventDefault();
}

/** Shows the editor when inpaint is chosen and the start image can be shown here. */
function render() {
  const picture = startPicture();
  byId("mask-panel").hidden = !wanted;
  byId("mask-editor").hidden = !picture;
  byId("mask-none").hidden = Boolean(picture);
}

/** Loads the start image under the canvas; the mask starts empty for every new picture. */
function load(picture) {
  natural = null;
  const img = byId("mask-image");
  if (!picture) {
    img.removeAttribute("src");
    return render();
  }
  say("mask-status", "Loading the start image…");
  img.onload = () => {
    if (img.src !== new URL(picture.src, location.href).href) return;
    natural = { width: picture.width ?? img.naturalWidth, height: picture.height ?? img.naturalHeight };
    const fit = Math.min(1, MAX_WORK / Math.max(natural.width, natural.height));
    for (const canvas of [paint(), top()]) {
      canvas.width = Math.max(1, Math.round(natural.width * fit));
      canvas.height = Math.max(1, Math.round(natural.height * fit));
    }
    // CSSOM, not a style attribute: allowed by the console's CSP.
    byId("mask-stage").style.setProperty("--ratio", String(natural.width / natural.height));
    cursor = { x: paint().width / 2, y: paint().height / 2 };
    report();
  };
  img.onerror = () => say("mask-status", "The start image could not be shown here.", true);
  img.src = picture.src;
  render();
}

/** inpaint chosen (true) or not: the mask panel follows. */
export function showMask(show) {
  wanted = show;
  render();
}

/** The mask as a PNG at the start image's natural size: white = repaint, black = keep. */
export function maskBlob() {
  if (!natural) return Promise.reject(new Error("the start image is not loaded yet"));
  const source = paint();
  const white = document.createElement("canvas");
  white.width = source.width;
  white.height = source.height;
  const w = white.getContext("2d");
  w.drawImage(source, 0, 0);
  w.globalCompositeOperation = "source-in";
  w.fillStyle = "#fff";
  w.fillRect(0, 0, white.width, white.height);
  const out = document.createElement("canvas");
  out.width = natural.width;
  out.height = natural.height;
  const ctx = out.getContext("2d");
  ctx.fillStyle = "#000";
  ctx.fillRect(0, 0, out.width, out.height);
  ctx.drawImage(white, 0, 0, out.width, out.height);
  return new Promise((resolve, reject) =>
    out.toBlob(
      (blob) => (blob ? resolve(blob) : reject(new Error("the mask could not be exported"))),
      "image/png",
    ),
  );
}

/** Wires the tools, the pointer and the keyboard. */
export function initMask() {
  const canvas = top();
  byId("mask-brush").addEventListener("click", () => setTool("brush"));
  byId("mask-eraser").addEventListener("click", () => setTool("eraser"));
  byId("mask-size").addEventListener("input", () => setSize(size()));
  byId("mask-clear").addEventListener("click", () => {
    clearMask();
    say("mask-status", "Mask cleared: nothing painted, everything is kept.");
  });
  canvas.addEventListener("pointerdown", (event) => {
    if (!natural || event.button !== 0) return;
    event.preventDefault();
    canvas.setPointerCapture(event.pointerId);
    canvas.focus({ preventScroll: true });
    cursor = pointAt(event);
    last = cursor;
    dab(null, cursor);
    drawCursor();
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!natural) return;
    hovering = true;
    cursor = pointAt(event);
    if (last) {
      dab(last, cursor);
      last = cursor;
    }
    drawCursor();
  });
  const lift = () => {
    if (!last) return;
    last = null;
    report();
  };
  canvas.addEventListener("pointerup", lift);
  canvas.addEventListener("pointercancel", lift);
  canvas.addEventListener("pointerleave", () => {
    hovering = false;
    if (document.activeElement !== canvas) drawCursor(false);
  });
  canvas.addEventListener("keydown", onKey);
  canvas.addEventListener("keyup", (event) => {
    if (event.key !== " ") return;
    penDown = false;
    announcePosition();
  });
  canvas.addEventListener("focus", () => natural && drawCursor());
  canvas.addEventListener("blur", () => {
    penDown = false;
    if (!hovering) drawCursor(false);
  });
  setSize(size());
  onStartChange(() => load(startPicture()));
  render();
}
