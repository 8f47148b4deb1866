/** The offline judge: a pass/fail verdict, notes and tags from image statistics alone (pure, no I/O). */
import type { ImageOpKind } from "../adapters/provider.types";
import { COLOUR_NAMES, type ColourName, type ImageStats } from "../lib/image-stats";

/** Luma standard deviation below which an image is too flat to be a picture. */
export const MIN_CONTRAST = 12;
/** Histogram entropy (bits) below which an image has too few tones (a flat fill is 0, two tones 1). */
export const MIN_ENTROPY = 2;
/** Mean luminance below this is an almost black frame. */
export const MIN_MEAN_LUMINANCE = 20;
/** Mean luminance above this is an almost white (blown-out) frame. */
export const MAX_MEAN_LUMINANCE = 240;
/**
 * Largest pHash distance from the start image that still counts as the same picture, per op. Two
 * unrelated images sit around 32 of 64 bits (each bit a coin flip), so a bound of 40 would hardly
 * ever fire; edits keep the composition and stay well below 28. Outpaints and variations reframe or
 * reinterpret, so they get more room; an upscale must not redraw anything. Generate has no start image.
 */
export const MAX_START_DISTANCE: Record<Exclude<ImageOpKind, "generate">, number> = {
  edit: 28,
  inpaint: 28,
  outpaint: 34,
  variation: 34,
  upscale: 10,
};
/** Ops for which an identical pHash means the provider changed nothing (a small inpaint may not move it). */
const MUST_CHANGE: readonly ImageOpKind[] = ["edit", "outpaint", "variation"];
/** Tag thresholds: brightness bands, contrast split, Hasler–Süsstrunk "moderately colourful" and up. */
export const DARK_BELOW = 85;
export const BRIGHT_ABOVE = 170;
export const HIGH_CONTRAST_FROM = 40;
export const COLOURFUL_FROM = 33;
/** Width/height ratios within this of 1 are tagged square. */
export const SQUARE_TOLERANCE = 0.05;

export interface JudgeInput {
  prompt: string;
  kind: ImageOpKind;
  stats: ImageStats;
  width: number;
  height: number;
  /** pHash Hamming distance to the start image, for edit-type ops. */
  startImageDistance?: number;
}

export interface Verdict {
  judgment: "pass" | "fail";
  /** Short sentences stating each measurement against its threshold. */
  notes: string[];
  tags: string[];
  /** Present exactly when the judgment is "fail": a concrete change to the prompt. */
  retrySuggestion?: string;
  judgeMeta: { judge: "heuristic"; mode: "offline"; thresholds: Record<string, number>; stats: ImageStats };
}

/** Words that name a palette colour, synonyms included, so prompts and stats speak the same vocabulary. */
const COLOUR_WORDS: Record<string, ColourName> = {
  ...Object.fromEntries(COLOUR_NAMES.map((name) => [name, name])),
  grey: "gray",
  violet: "purple",
  magenta: "pink",
  cyan: "teal",
  turquoise: "teal",
};

/** Palette colours named in a prompt, in order of first mention ("a grey cat on a red sofa" → gray, red). */
export function promptColours(prompt: string): ColourName[] {
  const found: ColourName[] = [];
  for (const word of prompt.toLowerCase().match(/[a-z]+/g) ?? []) {
    const colour = COLOUR_WORDS[word];
    if (colour !== undefined && !found.includes(colour)) found.push(colour);
  }
  return found;
}

const one = (n: number) => n.toFixed(1);

function orientation(width: number, height: number): "square" | "landscape" | "portrait" {
  if (Math.abs(width / height - 1) <= SQUARE_TOLERANCE) return "square";
  return width > height ? "landscape" : "portrait";
}

function distanceCheck(kind: ImageOpKind, distance: number | undefined, notes: string[], fixes: string[]) {
  if (kind === "generate") return;
  const max = MAX_START_DISTANCE[kind];
  if (distance === undefined) {
    notes.push("No start image to compare with.");
    return;
  }
  const mustChange = MUST_CHANGE.includes(kind);
  const range = `allowed ${mustChange ? 1 : 0}–${max}`;
  if (distance === 0 && mustChange) {
    notes.push(`pHash distance to the start image 0 (${range}): the edit changed nothing.`);
    fixes.push(
      "State the change explicitly and make it large enough to see (what to add, remove or restyle)",
    );
  } else if (distance > max) {
    notes.push(`pHash distance to the start image ${distance} (${range}): unrelated to the start image.`);
    fixes.push(
      kind === "upscale"
        ? "Upscale without redrawing: keep every shape, colour and position of the start image"
        : "Keep the start image's subject and composition and change only what is asked",
    );
  } else {
    notes.push(`pHash distance to the start image ${distance} (${range}).`);
  }
}

/**
 * Judges one image from its statistics: fails flat, near-black or blown-out frames and, for
 * edit-type ops, results identical or unrelated to the start image. Colour words in the prompt that
 * match no dominant colour add a note but never fail the image on their own.
 */
export function judgeOffline(input: JudgeInput): Verdict {
  const { stats, prompt, kind } = input;
  const notes: string[] = [];
  const fixes: string[] = [];

  const flat = stats.contrast < MIN_CONTRAST || stats.entropy < MIN_ENTROPY;
  notes.push(
    `Contrast ${one(stats.contrast)} (min ${MIN_CONTRAST})${stats.contrast < MIN_CONTRAST ? ": too flat." : "."}`,
  );
  notes.push(
    `Entropy ${stats.entropy.toFixed(2)} bits (min ${MIN_ENTROPY})${stats.entropy < MIN_ENTROPY ? ": too few tones." : "."}`,
  );
  if (flat)
    fixes.push(
      "Add a clear subject and lighting contrast (a detailed focal point against a distinct background)",
    );

  const range = `allowed ${MIN_MEAN_LUMINANCE}–${MAX_MEAN_LUMINANCE}`;
  if (stats.meanLuminance < MIN_MEAN_LUMINANCE) {
    notes.push(`Mean luminance ${one(stats.meanLuminance)} (${range}): too dark.`);
    fixes.push("Brighten the scene with key lighting or a lighter background");
  } else if (stats.meanLuminance > MAX_MEAN_LUMINANCE) {
    notes.push(`Mean luminance ${one(stats.meanLuminance)} (${range}): too bright.`);
    fixes.push("Tone down the exposure and add mid-tones and shadows");
  } else {
    notes.push(`Mean luminance ${one(stats.meanLuminance)} (${range}).`);
  }

  notes.push(
    `Colourfulness ${one(stats.colourfulness)} (colourful from ${COLOURFUL_FROM}); dominant colours: ${stats.dominantColours.join(", ")}.`,
  );
  distanceCheck(kind, input.startImageDistance, notes, fixes);

  const wanted = promptColours(prompt);
  const missing = wanted.length > 0 && !wanted.some((c) => stats.dominantColours.includes(c));
  if (missing) notes.push(`The prompt names ${wanted.join(", ")}, but none is among the dominant colours.`);

  const judgment = fixes.length === 0 ? "pass" : "fail";
  if (judgment === "fail" && missing) fixes.push(`make ${wanted.join(" and ")} the dominant colour`);
  const brightness =
    stats.meanLuminance < DARK_BELOW ? "dark" : stats.meanLuminance > BRIGHT_ABOVE ? "bright" : "balanced";
  const tags = [
    ...stats.dominantColours,
    brightness,
    orientation(input.width, input.height),
    stats.contrast >= HIGH_CONTRAST_FROM ? "high-contrast" : "low-contrast",
    stats.colourfulness >= COLOURFUL_FROM ? "colourful" : "muted",
  ];
  const subject = prompt.trim();
  const verdict: Verdict = {
    judgment,
    notes,
    tags: [...new Set(tags)],
    judgeMeta: {
      judge: "heuristic",
      mode: "offline",
      thresholds: {
        MIN_CONTRAST,
        MIN_ENTROPY,
        MIN_MEAN_LUMINANCE,
        MAX_MEAN_LUMINANCE,
        ...(kind === "generate" ? {} : { MAX_START_DISTANCE: MAX_START_DISTANCE[kind] }),
        DARK_BELOW,
        BRIGHT_ABOVE,
        HIGH_CONTRAST_FROM,
        COLOURFUL_FROM,
      },
      stats,
    },
  };
  if (judgment === "fail")
    verdict.retrySuggestion = subject ? `${fixes.join("; ")}: ${subject}` : `${fixes.join("; ")}.`;
  return verdict;
}
