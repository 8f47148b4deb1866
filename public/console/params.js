/**
 * What to do and how: the kind, and the generation parameters (aspect ratio, seed, negative prompt,
 * strength, a model per provider, outpaint margins, upscale factor). GET /api/providers says, per
 * provider, which kinds it supports and whether it honours each parameter natively, approximately
 * or not at all: the console offers only kinds every chosen provider supports, hides a parameter
 * the kind does not use, disables one a chosen provider cannot honour (the server would refuse it)
 * and marks an approximation with a short note. Controls that are hidden or disabled are disabled
 * inputs, so the form neither validates nor sends them.
 */
import { byId, el } from "./dom.js";

export const KINDS = ["generate", "edit", "inpaint", "outpaint", "variation", "upscale"];
const KIND_HINTS = {
  generate: "A new picture from the prompt.",
  edit: "Changes the start image as the prompt says.",
  inpaint: "Repaints only the part of the start image you paint below; the rest is kept.",
  outpaint: "Grows the canvas around the start image (margins, or up to an aspect ratio).",
  variation: "Another take on the start image.",
  upscale: "A larger copy of the start image, ×2 or ×4.",
};
/** The parameter each control stands for, and the kinds it applies to. */
const CONTROLS = [
  // For outpaint the ratio is what the canvas grows to: the provider's outpaint support decides.
  {
    id: "param-aspect",
    parameter: "aspectRatio",
    kinds: ["generate", "edit", "variation", "outpaint"],
    as: { outpaint: "outpaint" },
  },
  { id: "param-seed", parameter: "seed", kinds: KINDS },
  { id: "param-negative", parameter: "negativePrompt", kinds: KINDS.filter((k) => k !== "upscale") },
  { id: "param-strength", parameter: "strength", kinds: ["edit", "variation"] },
  { id: "param-outpaint", parameter: "outpaint", kinds: ["outpaint"] },
  { id: "param-upscale", parameter: "upscale", kinds: ["upscale"] },
];
/** A kind that needs a parameter: a provider that cannot honour it cannot do the kind. */
const KIND_NEEDS = { inpaint: "mask", outpaint: "outpaint", upscale: "upscale" };
const MARGINS = ["left", "right", "top", "bottom"];

/** GET /api/providers by id (empty when it could not be read: everything is offered). */
let known = new Map();
let kindChanged = () => {};

/** The provider ids ticked in the form. */
export const chosenProviders = () =>
  [...document.querySelectorAll('#providers input[name="providers"]:checked')].map((i) => i.value);

/** The chosen kind. */
export const currentKind = () => String(byId("kind").value || "generate");

function supportOf(provider, parameter) {
  return known.get(provider)?.parameters?.[parameter] ?? "native";
}

/** Disables (and hides, when `visible` is false) everything inside a parameter's wrapper. */
function enable(wrapper, visible, usable) {
  wrapper.hidden = !visible;
  for (const input of wrapper.querySelectorAll("input, select, textarea, button"))
    input.disabled = !visible || !usable;
}

/** The note for a parameter: which chosen providers cannot honour it, or only approximately. */
function noteFor(parameter, providers) {
  const refused = providers.filter((p) => supportOf(p, parameter) === "unsupported");
  if (refused.length) return { usable: false, text: `Not offered: ${refused.join(", ")} cannot honour it.` };
  const near = providers.filter((p) => supportOf(p, parameter) === "approximate");
  if (near.length)
    return { usable: true, text: `≈ approximate with ${near.join(", ")} (the card's warnings say how).` };
  return { usable: true, text: "" };
}

function setNote(id, text) {
  const note = byId(id);
  note.textContent = text;
  note.hidden = !text;
}

/** The kinds every chosen provider supports and can honour the parameter of. */
function possibleKinds(providers) {
  return KINDS.filter((kind) =>
    providers.every((p) => {
      const listed = known.get(p);
      if (!listed) return true;
      const needs = KIND_NEEDS[kind];
      return listed.supports.includes(kind) && (!needs || supportOf(p, needs) !== "unsupported");
    }),
  );
}

function renderKinds(providers) {
  const select = byId("kind");
  const before = currentKind();
  const kinds = possibleKinds(providers);
  select.replaceChildren(...kinds.map((k) => el("option", { value: k, text: k })));
  const missing = KINDS.filter((k) => !kinds.includes(k));
  if (kinds.includes(before)) select.value = before;
  setNote(
    "kind-note",
    [
      kinds.includes(before)
        ? ""
        : `${before} is not something every chosen provider can do: back to generate.`,
      missing.length ? `Not offered by the chosen providers: ${missing.join(", ")}.` : "",
    ]
      .filter(Boolean)
      .join(" "),
  );
}

/** One model picker per chosen provider that publishes models (the first is its default). */
function renderModels(providers) {
  const box = byId("models");
  const previous = new Map([...box.querySelectorAll("select")].map((s) => [s.dataset.provider, s.value]));
  const pickers = providers.flatMap((p) => {
    const models = known.get(p)?.models ?? [];
    if (models.length === 0 || supportOf(p, "model") === "unsupported") return [];
    const select = el(
      "select",
      { id: `model-${p}`, dataset: { provider: p } },
      ...models.map((m, i) => el("option", { value: m, text: i === 0 ? `${m} (default)` : m })),
    );
    if (previous.has(p) && models.includes(previous.get(p))) select.value = previous.get(p);
    return [el("div", { class: "field" }, el("label", { for: `model-${p}`, text: `Model (${p})` }), select)];
  });
  box.replaceChildren(...pickers);
  box.hidden = pickers.length === 0;
  const near = providers.filter((p) => supportOf(p, "model") === "approximate");
  setNote("models-note", near.length ? `≈ approximate with ${near.join(", ")}.` : "");
}

/** Shows what the chosen providers and kind allow; runs on every change of either. */
export function refreshParams() {
  const providers = chosenProviders();
  renderKinds(providers);
  const kind = currentKind();
  byId("kind-hint").textContent = KIND_HINTS[kind] ?? "";
  for (const control of CONTROLS) {
    const note = noteFor(control.as?.[kind] ?? control.parameter, providers);
    enable(byId(control.id), control.kinds.includes(kind), note.usable);
    setNote(`${control.id}-note`, control.kinds.includes(kind) ? note.text : "");
  }
  setNote("mask-note", kind === "inpaint" ? noteFor("mask", providers).text : "");
  setNote(
    "aspect-outpaint-note",
    kind === "outpaint" ? "For outpaint: the canvas grows to this ratio when every margin is 0." : "",
  );
  renderModels(providers);
  kindChanged(kind);
}

/** The provider list from GET /api/providers (null when it could not be read). */
export function setProviderInfo(providers) {
  known = new Map((providers ?? []).map((p) => [p.id, p]));
  refreshParams();
}

/** Fills the seed field (a card's "Same seed"). */
export function setSeed(seed) {
  const input = byId("seed");
  input.value = String(seed);
  input.focus();
}

/**
 * The job body's kind and parameters from the form, or `{ error }` when something needed is
 * missing. Disabled controls (not for this kind, or refused by a chosen provider) are left out.
 */
export function paramFields(form) {
  const kind = currentKind();
  const value = (name) => String(form.get(name) ?? "").trim();
  const body = kind === "generate" ? {} : { kind };
  if (value("aspectRatio")) body.aspectRatio = value("aspectRatio");
  if (value("seed")) body.seed = Number(value("seed"));
  if (value("negativePrompt")) body.negativePrompt = value("negativePrompt");
  if (value("strength")) body.strength = Number(value("strength"));
  const models = {};
  for (const select of byId("models").querySelectorAll("select"))
    if (select.selectedIndex > 0) models[select.dataset.provider] = select.value;
  if (Object.keys(models).length) body.models = models;
  if (kind === "outpaint") {
    const margins = Object.fromEntries(MARGINS.map((m) => [m, Number(value(`outpaint-${m}`) || 0)]));
    if (MARGINS.some((m) => margins[m] > 0)) {
      body.outpaint = margins;
      delete body.aspectRatio;
    } else if (!body.aspectRatio)
      return { error: "Outpaint needs a margin over 0 or an aspect ratio to grow to." };
  }
  if (kind === "upscale") body.upscale = { factor: Number(value("upscaleFactor") || 2) };
  return { body };
}

/** Wires the kind picker and the provider checkboxes; `onKind(kind)` runs after every change. */
export function initParams(onKind) {
  kindChanged = onKind;
  byId("kind").addEventListener("change", refreshParams);
  byId("providers").addEventListener("change", refreshParams);
  byId("seed-random").addEventListener("click", () => {
    byId("seed").value = "";
    byId("seed").focus();
  });
  refreshParams();
}
