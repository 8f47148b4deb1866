/** Area-averaged grids of a decoded image: colour, luma and brightness-normalised chroma. */
import type { DecodedImage } from "../png";

/** A rectangle in source pixels, edges as floats: [x0, x1) × [y0, y1). */
export interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** A square grid of one plane: `values` row-major, `side` × `side`. */
export interface Grid {
  values: Float64Array;
  side: number;
}

/** Per output cell of one axis, the source indices it covers and their weights (summing to 1). */
interface Taps {
  offsets: Int32Array;
  index: Int32Array;
  weight: Float64Array;
}

// Views are resized between the same few sizes over and over: their taps are built once.
const tapCache = new Map<string, Taps>();

/** Taps for `to` cells over [start, end) of an axis of `size` pixels. */
function taps(start: number, end: number, to: number, size: number): Taps {
  const cacheKey = `${start}:${end}:${to}:${size}`;
  const cached = tapCache.get(cacheKey);
  if (cached) return cached;
  const step = (end - start) / to;
  const offsets = new Int32Array(to + 1);
  const index: number[] = [];
  const weight: number[] = [];
  for (let d = 0; d < to; d++) {
    const a = start + d * step;
    const b = a + step;
    for (let s = Math.max(0, Math.floor(a)); s < Math.min(size, Math.ceil(b)); s++) {
      const overlap = Math.min(b, s + 1) - Math.max(a, s);
      if (overlap > 0) {
        index.push(s);
        weight.push(overlap / step);
      }
    }
    offsets[d + 1] = index.length;
  }
  const built = { offsets, index: Int32Array.from(index), weight: Float64Array.from(weight) };
  // Only whole-axis resizes repeat (each image's content box is its own): the cache stays small.
  if (start === 0 && end === size) tapCache.set(cacheKey, built);
  return built;
}

/** Area-averages the `box` of a plane onto `cols` × `rows` cells (row-major), rows first (separable). */
export function areaResize(
  plane: Float64Array,
  width: number,
  height: number,
  box: Box,
  cols: number,
  rows: number,
): Float64Array {
  // Hot loops read locals only: property loads inside them cost V8 about half the speed.
  const { offsets: xo, index: xi, weight: xw } = taps(box.x0, box.x1, cols, width);
  const { offsets: yo, index: yi, weight: yw } = taps(box.y0, box.y1, rows, height);
  const horizontal = new Float64Array(height * cols);
  for (let y = Math.max(0, Math.floor(box.y0)); y < Math.min(height, Math.ceil(box.y1)); y++) {
    const source = y * width;
    for (let x = 0; x < cols; x++) {
      let sum = 0;
      for (let k = xo[x] ?? 0, end = xo[x + 1] ?? 0; k < end; k++)
        sum += (xw[k] ?? 0) * (plane[source + (xi[k] ?? 0)] ?? 0);
      horizontal[y * cols + x] = sum;
    }
  }
  const out = new Float64Array(cols * rows);
  for (let y = 0; y < rows; y++) {
    for (let k = yo[y] ?? 0, end = yo[y + 1] ?? 0; k < end; k++) {
      const w = yw[k] ?? 0;
      const row = (yi[k] ?? 0) * cols;
      for (let x = 0; x < cols; x++)
        out[y * cols + x] = (out[y * cols + x] ?? 0) + w * (horizontal[row + x] ?? 0);
    }
  }
  return out;
}

/** The pixel at byte `offset` of `rgba` composited over white (as `luminance` does): [r, g, b]. */
export function composited(rgba: Uint8Array, offset: number): [number, number, number] {
  const a = (rgba[offset + 3] ?? 255) / 255;
  const white = 255 - 255 * a;
  return [
    (rgba[offset] ?? 0) * a + white,
    (rgba[offset + 1] ?? 0) * a + white,
    (rgba[offset + 2] ?? 0) * a + white,
  ];
}

/** Mean R, G, B (composited over white) of `box` on `side` × `side` grids, in one pass over the pixels. */
export function colourGrids(img: DecodedImage, box: Box, side: number): [r: Grid, g: Grid, b: Grid] {
  const { rgba, width, height } = img;
  const { offsets: xo, index: xi, weight: xw } = taps(box.x0, box.x1, side, width);
  const { offsets: yo, index: yi, weight: yw } = taps(box.y0, box.y1, side, height);
  // Invert the row taps: the output rows each source row feeds, as (row, weight) pairs.
  const feeds: number[][] = Array.from({ length: height }, () => []);
  for (let d = 0; d < side; d++) {
    for (let k = yo[d] ?? 0, end = yo[d + 1] ?? 0; k < end; k++) feeds[yi[k] ?? 0]?.push(d, yw[k] ?? 0);
  }
  const [r, g, b] = [
    new Float64Array(side * side),
    new Float64Array(side * side),
    new Float64Array(side * side),
  ];
  const [hr, hg, hb] = [new Float64Array(side), new Float64Array(side), new Float64Array(side)];
  for (let y = 0; y < height; y++) {
    const into = feeds[y] ?? [];
    if (into.length === 0) continue;
    const source = y * width;
    for (let x = 0; x < side; x++) {
      let [sr, sg, sb] = [0, 0, 0];
      for (let k = xo[x] ?? 0, end = xo[x + 1] ?? 0; k < end; k++) {
        const o = (source + (xi[k] ?? 0)) * 4;
        const w = xw[k] ?? 0;
        // Compositing inline, as `composited` does: this loop runs for every pixel.
        const a = (rgba[o + 3] ?? 255) / 255;
        const white = 255 - 255 * a;
        sr += w * ((rgba[o] ?? 0) * a + white);
        sg += w * ((rgba[o + 1] ?? 0) * a + white);
        sb += w * ((rgba[o + 2] ?? 0) * a + white);
      }
      hr[x] = sr;
      hg[x] = sg;
      hb[x] = sb;
    }
    for (let f = 0; f < into.length; f += 2) {
      const at = (into[f] ?? 0) * side;
      const w = into[f + 1] ?? 0;
      for (let x = 0; x < side; x++) {
        r[at + x] = (r[at + x] ?? 0) + w * (hr[x] ?? 0);
        g[at + x] = (g[at + x] ?? 0) + w * (hg[x] ?? 0);
        b[at + x] = (b[at + x] ?? 0) + w * (hb[x] ?? 0);
      }
    }
  }
  return [
    { values: r, side },
    { values: g, side },
    { values: b, side },
  ];
}

/** Rec. 601 luma of colour grids (linear, so it equals the area mean of the pixels' luma). */
export function lumaGrid([r, g, b]: [Grid, Grid, Grid]): Grid {
  const values = new Float64Array(r.values.length);
  const [rv, gv, bv] = [r.values, g.values, b.values];
  for (let i = 0; i < values.length; i++)
    values[i] = 0.299 * (rv[i] ?? 0) + 0.587 * (gv[i] ?? 0) + 0.114 * (bv[i] ?? 0);
  return { values, side: r.side };
}

/**
 * Brightness-normalised chroma grids (128 = neutral), `side` × `side`: Cb and Cr of each cell's mean
 * colour, divided by (its luma + 64) / 128 so that a brightness change, which scales the chroma
 * offsets along with the luma, barely moves them; the +64 keeps near-black stable.
 */
export function chromaGrids(rgb: [Grid, Grid, Grid], side: number): { cb: Grid; cr: Grid } {
  const whole = { x0: 0, y0: 0, x1: rgb[0].side, y1: rgb[0].side };
  const [r, g, b] = rgb.map((grid) => areaResize(grid.values, grid.side, grid.side, whole, side, side));
  const cb = new Float64Array(side * side);
  const cr = new Float64Array(side * side);
  for (let i = 0; i < side * side; i++) {
    const [red, green, blue] = [r?.[i] ?? 0, g?.[i] ?? 0, b?.[i] ?? 0];
    const k = 128 / (0.299 * red + 0.587 * green + 0.114 * blue + 64);
    cb[i] = 128 + k * (-0.168736 * red - 0.331264 * green + 0.5 * blue);
    cr[i] = 128 + k * (0.5 * red - 0.418688 * green - 0.081312 * blue);
  }
  return { cb: { values: cb, side }, cr: { values: cr, side } };
}
