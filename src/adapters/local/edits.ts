/**
 * The local provider's edit-type kinds when the task carries a GenerationSpec: exact pixel work on
 * the start image at its own size (inpaint, edit, variation), a grown canvas (outpaint) or a real
 * resize (upscale). The new content is the prompt's composition for the task's seed.
 */
import type { AppEnv } from "../../lib/env";
import { decodePng } from "../../lib/png";
import type { GenerationSpec } from "../params";
import { imageSize, rasterize, readRgba, resizeThroughBinding } from "./binding";
import { maskWeights, seededMask } from "./masks";
import type { Exclusions } from "./negative";
import {
  boxDownscale,
  type DecodedImage,
  encodeRgba,
  hueRotation,
  resizeBilinear,
  rowSampler,
  toByte,
} from "./pixels";
import { renderSvg } from "./render-svg";
import { createRandom } from "./seeded-random";
import { LONG_SIDE, outpaintMargins, requireWithinSides, requireWorkable, type Size } from "./sizes";

/** What every spec-path edit needs besides the start image. */
export interface EditContext {
  env: AppEnv;
  prompt: string;
  spec: GenerationSpec;
  /** The composition hash (model, kind, prompt, start image). */
  seed: string;
  exclusions: Exclusions;
}

export interface EditResult extends Size {
  bytes: Uint8Array;
}

/** Strength when the spec gives none (edit and variation). */
export const DEFAULT_STRENGTH = 0.5;
/** edit: the composition's share at strength 1 (strength s → 0.9·s). */
const EDIT_MIX = 0.9;
/** variation at strength 1: zoom ×1.25, hue turned 40–120°, composition share 0.35. */
const VARIATION = { zoom: 0.25, hueMin: 40, hueMax: 120, mix: 0.35 } as const;
/** Side of the colour map outpaint continues the start image's edges from. */
const EDGE_MAP_SIDE = 32;

const done = (img: DecodedImage): EditResult => ({
  bytes: encodeRgba(img),
  width: img.width,
  height: img.height,
});

/**
 * The composition (no caption) for `size`, rendered with its long side at most LONG_SIDE and
 * sampled bilinearly to `size`: a row at a time, so a large canvas costs no second full buffer.
 */
async function composition(ctx: EditContext, size: Size): Promise<(y: number) => Float32Array> {
  const scale = Math.min(1, LONG_SIDE / Math.max(size.width, size.height));
  const width = Math.max(1, Math.round(size.width * scale));
  const height = Math.max(1, Math.round(size.height * scale));
  const svg = renderSvg(ctx.prompt, ctx.spec.seed, ctx.seed, {
    width,
    height,
    exclusions: ctx.exclusions,
    caption: false,
  });
  const img = await decodePng(await rasterize(ctx.env, svg));
  return rowSampler(img, size.width, size.height);
}

/**
 * inpaint: where the mask is black the start pixels stay exactly; where white, the composition;
 * grey blends the two. Without a mask, a seeded ellipse is repainted.
 */
export async function inpaint(ctx: EditContext, start: Uint8Array): Promise<EditResult> {
  const img = await readRgba(ctx.env, start, "start image");
  const { width, height, rgba } = img;
  const weights = ctx.spec.mask
    ? await maskWeights(ctx.env, ctx.spec.mask, width, height)
    : seededMask(ctx.seed, width, height);
  const fill = await composition(ctx, img);
  for (let y = 0; y < height; y++) {
    const row = fill(y);
    for (let x = 0; x < width; x++) {
      const m = weights[y * width + x] ?? 0;
      if (m === 0) continue;
      const i = (y * width + x) * 4;
      for (let c = 0; c < 4; c++) {
        const from = rgba[i + c] ?? 0;
        rgba[i + c] = toByte(from + (((row[x * 4 + c] ?? 0) - from) * m) / 255);
      }
    }
  }
  return done(img);
}

/**
 * outpaint: a canvas grown by the margins; the start image is copied unchanged at (left, top); each
 * new pixel goes from the colour of the start image's nearest edge (from a 32 px colour map) to the
 * composition over a fade of max(16, half the largest margin) px (smoothstep on the distance).
 */
export async function outpaint(ctx: EditContext, start: Uint8Array): Promise<EditResult> {
  const size = await imageSize(ctx.env, start, "start image");
  const m = outpaintMargins(ctx.spec, size.width, size.height);
  const canvas = { width: size.width + m.left + m.right, height: size.height + m.top + m.bottom };
  requireWithinSides("outpaint", canvas);
  requireWorkable("the outpaint result", canvas);
  const img = await readRgba(ctx.env, start, "start image");
  const { width: w, height: h } = img;
  const map = boxDownscale(img, EDGE_MAP_SIDE);
  const clampTo = (offset: number, length: number, mapLength: number) => (d: number) =>
    ((Math.min(length - 1, Math.max(0, d - offset)) + 0.5) * mapLength) / length - 0.5;
  const edge = rowSampler(
    map,
    canvas.width,
    canvas.height,
    clampTo(m.left, w, map.width),
    clampTo(m.top, h, map.height),
  );
  const fill = await composition(ctx, canvas);
  const fade = Math.max(16, Math.max(m.left, m.right, m.top, m.bottom) / 2);
  const out = new Uint8Array(canvas.width * canvas.height * 4);
  for (let y = 0; y < canvas.height; y++) {
    const sy = y - m.top;
    const inside = sy >= 0 && sy < h;
    const edgeRow = edge(y);
    const fillRow = fill(y);
    const dy = sy < 0 ? -sy : sy >= h ? sy - h + 1 : 0;
    for (let x = 0; x < canvas.width; x++) {
      const sx = x - m.left;
      const o = (y * canvas.width + x) * 4;
      if (inside && sx >= 0 && sx < w) continue;
      const dx = sx < 0 ? -sx : sx >= w ? sx - w + 1 : 0;
      const d = Math.min(1, Math.hypot(dx, dy) / fade);
      const t = d * d * (3 - 2 * d);
      for (let c = 0; c < 3; c++) {
        const from = edgeRow[x * 4 + c] ?? 0;
        out[o + c] = toByte(from + ((fillRow[x * 4 + c] ?? 0) - from) * t);
      }
      out[o + 3] = 255;
    }
    if (inside) out.set(img.rgba.subarray(sy * w * 4, (sy + 1) * w * 4), (y * canvas.width + m.left) * 4);
  }
  return done({ width: canvas.width, height: canvas.height, rgba: out });
}

const strengthOf = (spec: GenerationSpec): number =>
  Math.min(1, Math.max(0, spec.strength ?? DEFAULT_STRENGTH));

/** edit: the start image with the composition laid over it at 0.9 × strength (strength 0: the start exactly). */
export async function edit(ctx: EditContext, start: Uint8Array): Promise<EditResult> {
  const img = await readRgba(ctx.env, start, "start image");
  const mix = EDIT_MIX * strengthOf(ctx.spec);
  if (mix === 0) return done(img);
  const fill = await composition(ctx, img);
  const { width, height, rgba } = img;
  for (let y = 0; y < height; y++) {
    const row = fill(y);
    for (let i = 0; i < width * 4; i++) {
      const o = y * width * 4 + i;
      const from = rgba[o] ?? 0;
      rgba[o] = toByte(from + ((row[i] ?? 0) - from) * mix);
    }
  }
  return done(img);
}

/**
 * variation: the start image zoomed in by 1 + 0.25·s around a seeded centre, its hue turned by
 * s × (a seeded ±40–120°), and the composition mixed in at 0.35·s, for strength s (0: the start exactly).
 */
export async function variation(ctx: EditContext, start: Uint8Array): Promise<EditResult> {
  const img = await readRgba(ctx.env, start, "start image");
  const s = strengthOf(ctx.spec);
  if (s === 0) return done(img);
  const { width, height } = img;
  const rng = createRandom(`${ctx.seed}:${ctx.spec.seed}:variation`);
  const zoom = 1 + VARIATION.zoom * s;
  const cx = rng.range(0.35, 0.65) * width;
  const cy = rng.range(0.35, 0.65) * height;
  const turn = (rng.next() < 0.5 ? -1 : 1) * rng.range(VARIATION.hueMin, VARIATION.hueMax) * s;
  const [m0 = 1, m1 = 0, m2 = 0, m3 = 0, m4 = 1, m5 = 0, m6 = 0, m7 = 0, m8 = 1] = hueRotation(turn);
  const source = rowSampler(
    img,
    width,
    height,
    (x) => cx + (x + 0.5 - cx) / zoom - 0.5,
    (y) => cy + (y + 0.5 - cy) / zoom - 0.5,
  );
  const fill = await composition(ctx, img);
  const mix = VARIATION.mix * s;
  const out = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    const row = source(y);
    const comp = fill(y);
    for (let x = 0; x < width; x++) {
      const i = x * 4;
      const r = row[i] ?? 0;
      const g = row[i + 1] ?? 0;
      const b = row[i + 2] ?? 0;
      const tr = m0 * r + m1 * g + m2 * b;
      const tg = m3 * r + m4 * g + m5 * b;
      const tb = m6 * r + m7 * g + m8 * b;
      const o = (y * width + x) * 4;
      out[o] = toByte(tr + ((comp[i] ?? 0) - tr) * mix);
      out[o + 1] = toByte(tg + ((comp[i + 1] ?? 0) - tg) * mix);
      out[o + 2] = toByte(tb + ((comp[i + 2] ?? 0) - tb) * mix);
      out[o + 3] = toByte(row[i + 3] ?? 255);
    }
  }
  return done({ width, height, rgba: out });
}

/**
 * upscale: factor (2 when the spec gives none) × the start image's size, by the Images binding's
 * resize (Lanczos locally); if the binding will not enlarge, by bilinear interpolation here (≤ 4 MP).
 */
export async function upscale(ctx: EditContext, start: Uint8Array): Promise<EditResult> {
  const factor = ctx.spec.upscale?.factor ?? 2;
  const size = await imageSize(ctx.env, start, "start image");
  const target = { width: size.width * factor, height: size.height * factor };
  requireWithinSides(`upscale ×${factor}`, target);
  const bytes = await resizeThroughBinding(ctx.env, start, target);
  if (bytes !== null) return { bytes, ...target };
  requireWorkable(`the upscale ×${factor} result`, target);
  const img = await readRgba(ctx.env, start, "start image");
  return done(resizeBilinear(img, target.width, target.height));
}
