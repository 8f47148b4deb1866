/** Inpainting masks: the house convention (white = repaint, black = keep) as per-pixel weights. */
import type { AppEnv } from "../../lib/env";
import type { MaskImage } from "../params";
import { readRgba } from "./binding";
import { createRandom } from "./seeded-random";

/** Weights at or below this (of 255) keep the start pixel exactly; at or above 255 − this, repaint fully. */
const SNAP = 3;

/**
 * Repaint weights (0 = keep, 255 = repaint, between = blend) of a width × height start image from
 * `mask`: each pixel's Rec. 601 luma times its alpha (transparent counts as black = keep), snapped
 * to 0 / 255 within SNAP of either end. A mask of another size is stretched to the start image's
 * size by nearest neighbour (mask pixel ⌊(x + ½)·mw / w⌋, ⌊(y + ½)·mh / h⌋), aspect not kept.
 */
export async function maskWeights(
  env: AppEnv,
  mask: MaskImage,
  width: number,
  height: number,
): Promise<Uint8Array> {
  const img = await readRgba(env, mask.bytes, "mask");
  const weights = new Uint8Array(width * height);
  const columns = new Int32Array(width);
  for (let x = 0; x < width; x++)
    columns[x] = Math.min(img.width - 1, Math.floor(((x + 0.5) * img.width) / width));
  for (let y = 0; y < height; y++) {
    const row = Math.min(img.height - 1, Math.floor(((y + 0.5) * img.height) / height)) * img.width;
    for (let x = 0; x < width; x++) {
      const i = (row + (columns[x] ?? 0)) * 4;
      const rgba = img.rgba;
      const luma = 0.299 * (rgba[i] ?? 0) + 0.587 * (rgba[i + 1] ?? 0) + 0.114 * (rgba[i + 2] ?? 0);
      const value = Math.round((luma * (rgba[i + 3] ?? 0)) / 255);
      weights[y * width + x] = value <= SNAP ? 0 : value >= 255 - SNAP ? 255 : value;
    }
  }
  return weights;
}

/**
 * The mask used when an inpaint names none: an ellipse placed by the seed (centre in the middle
 * 40 % × 30 %, radii 18–26 % of each side), with a one-pixel soft edge. Deterministic per seed.
 */
export function seededMask(seed: string, width: number, height: number): Uint8Array {
  const rng = createRandom(`${seed}:mask`);
  const rx = rng.range(0.18, 0.26) * width;
  const ry = rng.range(0.18, 0.26) * height;
  const cx = rng.range(0.3, 0.7) * width;
  const cy = rng.range(0.3, 0.6) * height;
  const weights = new Uint8Array(width * height);
  const edge = 1 / Math.max(1, Math.min(rx, ry));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const d = Math.hypot((x + 0.5 - cx) / rx, (y + 0.5 - cy) / ry);
      const t = (1 - d) / edge;
      weights[y * width + x] = t >= 1 ? 255 : t <= 0 ? 0 : Math.round(t * 255);
    }
  }
  return weights;
}
