/** Uniform-border trimming: letterbox and pillarbox bars, mats and frames are cut off before hashing. */
import type { DecodedImage } from "../png";
import { type Box, composited } from "./grids";
import { TRIM_EDGE, TRIM_MAX_FRACTION, TRIM_PAIR_SLACK, TRIM_TOLERANCE } from "./thresholds";

type Rgb = [number, number, number];

interface Line {
  /** Plane offsets of the line's first pixel and between two neighbours. */
  start: number;
  stride: number;
  length: number;
}

/** Row `index` (horizontal) or column `index` (vertical) of the image. */
function lineAt(p: DecodedImage, horizontal: boolean, index: number): Line {
  return horizontal
    ? { start: index * p.width * 4, stride: 4, length: p.width }
    : { start: index * 4, stride: p.width * 4, length: p.height };
}

function meanColour(p: DecodedImage, l: Line): Rgb {
  const sum: Rgb = [0, 0, 0];
  for (let k = 0, o = l.start; k < l.length; k++, o += l.stride) {
    const [r, g, b] = composited(p.rgba, o);
    sum[0] += r;
    sum[1] += g;
    sum[2] += b;
  }
  return [sum[0] / l.length, sum[1] / l.length, sum[2] / l.length];
}

/** The largest channel difference from `colour` of each pixel: its maximum and its mean over the line. */
function difference(p: DecodedImage, l: Line, colour: Rgb): { max: number; mean: number } {
  let max = 0;
  let sum = 0;
  for (let k = 0, o = l.start; k < l.length; k++, o += l.stride) {
    const [r, g, b] = composited(p.rgba, o);
    const d = Math.max(Math.abs(r - colour[0]), Math.abs(g - colour[1]), Math.abs(b - colour[2]));
    max = Math.max(max, d);
    sum += d;
  }
  return { max, mean: sum / l.length };
}

/**
 * How many uniform lines run inward from one edge, and their colour. The run must end at an edge
 * (one of the next two lines differs by TRIM_EDGE on average), so the slow drift of a smooth sky is
 * never mistaken for a bar; depth 0 otherwise.
 */
function borderRun(p: DecodedImage, horizontal: boolean, fromEnd: boolean): { depth: number; colour: Rgb } {
  const count = horizontal ? p.height : p.width;
  const at = (k: number) => lineAt(p, horizontal, fromEnd ? count - 1 - k : k);
  const colour = meanColour(p, at(0));
  if (difference(p, at(0), colour).max > TRIM_TOLERANCE) return { depth: 0, colour };
  const limit = Math.floor(count * TRIM_MAX_FRACTION);
  let depth = 1;
  while (depth < limit && difference(p, at(depth), colour).max <= TRIM_TOLERANCE) depth++;
  const edge = [depth, depth + 1].some((k) => k < count && difference(p, at(k), colour).mean >= TRIM_EDGE);
  return { depth: depth < limit && edge ? depth : 0, colour };
}

/** Trim amounts for one axis: both borders or neither (see TRIM_PAIR_SLACK). */
function pairTrim(p: DecodedImage, horizontal: boolean): [start: number, end: number] {
  const a = borderRun(p, horizontal, false);
  const b = borderRun(p, horizontal, true);
  if (a.depth === 0 || b.depth === 0) return [0, 0];
  if (a.colour.some((c, ch) => Math.abs(c - (b.colour[ch] ?? 0)) > TRIM_TOLERANCE)) return [0, 0];
  if (Math.abs(a.depth - b.depth) > TRIM_PAIR_SLACK * Math.max(a.depth, b.depth)) return [0, 0];
  return [a.depth, b.depth];
}

/** The content box once paired uniform borders are removed (the whole image when there are none). */
export function contentBox(p: DecodedImage): Box {
  const [top, bottom] = pairTrim(p, true);
  const [left, right] = pairTrim(p, false);
  return { x0: left, y0: top, x1: p.width - right, y1: p.height - bottom };
}
