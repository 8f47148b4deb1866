/**
 * Dominant colours computed from an image's own pixels: a small RGBA rendition (Images binding),
 * a 32-level-per-channel histogram, and popularity with merging, so the palette names the colours
 * that cover the most of the picture and no two swatches are near-identical.
 */
import { rgbaRendition } from "../../agents/tools/images";
import type { AppEnv } from "../../lib/env";

/** Side of the rendition the colours are counted on (2,304 pixels: plenty for a palette). */
export const PALETTE_SIDE = 48;
/** Colours closer than this (Euclidean, in 0..255 RGB) are one swatch. */
const MERGE_DISTANCE = 48;

export interface Swatch {
  /** `#rrggbb`, lowercase. */
  hex: string;
  /** Share of the (opaque) pixels this colour stands for, 0..1. */
  share: number;
}

interface Cluster {
  r: number;
  g: number;
  b: number;
  /** Weight: pixel count, or share when palettes are combined. */
  n: number;
}

const toHex = (c: Cluster): string =>
  `#${[c.r, c.g, c.b].map((v) => Math.round(v).toString(16).padStart(2, "0")).join("")}`;

const distance = (a: Cluster, b: Cluster): number => Math.hypot(a.r - b.r, a.g - b.g, a.b - b.b);

/**
 * Greedy popularity: the heaviest colours become swatches; each lighter one within MERGE_DISTANCE of
 * a swatch adds its weight to the nearest (the swatch keeps its own colour, the one most pixels have).
 */
function merge(candidates: Cluster[], count: number): Swatch[] {
  const total = candidates.reduce((sum, c) => sum + c.n, 0);
  if (total === 0) return [];
  const chosen: Cluster[] = [];
  for (const c of [...candidates].sort((a, b) => b.n - a.n)) {
    let nearest: Cluster | undefined;
    let best = Number.POSITIVE_INFINITY;
    for (const s of chosen) {
      const d = distance(s, c);
      if (d < best) {
        best = d;
        nearest = s;
      }
    }
    if (nearest && best < MERGE_DISTANCE) nearest.n += c.n;
    else chosen.push({ ...c });
  }
  return chosen
    .sort((a, b) => b.n - a.n)
    .slice(0, count)
    .map((c) => ({ hex: toHex(c), share: c.n / total }));
}

/** The `count` dominant colours of RGBA pixels; transparent pixels are not counted. */
export function dominantColours(rgba: Uint8Array, count = 5): Swatch[] {
  const bins = new Map<number, Cluster>();
  for (let i = 0; i + 3 < rgba.length; i += 4) {
    if ((rgba[i + 3] ?? 0) < 128) continue;
    const r = rgba[i] ?? 0;
    const g = rgba[i + 1] ?? 0;
    const b = rgba[i + 2] ?? 0;
    const key = ((r >> 3) << 10) | ((g >> 3) << 5) | (b >> 3);
    const bin = bins.get(key);
    // Each bin keeps the running mean of its pixels, so a flat colour comes out exactly.
    if (bin) {
      bin.n++;
      bin.r += (r - bin.r) / bin.n;
      bin.g += (g - bin.g) / bin.n;
      bin.b += (b - bin.b) / bin.n;
    } else bins.set(key, { r, g, b, n: 1 });
  }
  return merge([...bins.values()], count);
}

/** One palette for several images, each image weighing the same. */
export function combinePalettes(palettes: Swatch[][], count = 6): Swatch[] {
  const candidates: Cluster[] = [];
  for (const palette of palettes) {
    for (const s of palette) {
      const v = Number.parseInt(s.hex.slice(1), 16);
      candidates.push({ r: (v >> 16) & 255, g: (v >> 8) & 255, b: v & 255, n: s.share / palettes.length });
    }
  }
  return merge(candidates, count);
}

/** The palette of the R2 original at `key`; null when it is gone. */
export async function imagePalette(env: AppEnv, key: string, count = 5): Promise<Swatch[] | null> {
  const object = await env.BUCKET.get(key);
  if (!object) return null;
  const bytes = new Uint8Array(await object.arrayBuffer());
  const pixels = await rgbaRendition(env.IMAGES, bytes, PALETTE_SIDE, PALETTE_SIDE);
  return dominantColours(pixels.rgba, count);
}
