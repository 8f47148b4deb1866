/** The three families of a view (DCT pHash, gradient dHash, cell layout) and their distances. */
import { acMedian, lowDct8, phashBit } from "../phash";
import { areaResize } from "./grids";
import {
  CELL_CHROMA_CHANGE,
  CELL_GRID,
  CELL_LUMA_CHANGE,
  CELL_MIN_STD,
  DEAD_ZONE,
  VIEW_SIDE,
} from "./thresholds";

/**
 * Hash bits plus a mask of the reliable ones, both as hex. A bit is reliable when the value it
 * thresholds lies at least DEAD_ZONE × the median margin away from its threshold: near-ties flip
 * under re-encoding, so comparisons count only bits reliable in both images.
 */
export interface MaskedHash {
  bits: string;
  mask: string;
}

const WHOLE_VIEW = { x0: 0, y0: 0, x1: VIEW_SIDE, y1: VIEW_SIDE };

/** Area-averages a VIEW_SIDE² luma view onto `cols` × `rows` cells (row-major). */
const cells = (view: Float64Array, cols: number, rows: number) =>
  areaResize(view, VIEW_SIDE, VIEW_SIDE, WHOLE_VIEW, cols, rows);

/** Packs bits (most significant first) into lowercase hex, four bits per character. */
function toHex(bits: boolean[]): string {
  let hex = "";
  for (let i = 0; i < bits.length; i += 4) {
    let nibble = 0;
    for (let k = 0; k < 4; k++) nibble = (nibble << 1) | (bits[i + k] ? 1 : 0);
    hex += nibble.toString(16);
  }
  return hex;
}

/**
 * Bits with their margins to the bit threshold; reliable where |margin| ≥ DEAD_ZONE × the median
 * |margin| (a median, so one strong edge or the DC term does not mark every other bit unreliable).
 */
function masked(bits: boolean[], margins: number[]): MaskedHash {
  const sorted = Float64Array.from(margins, Math.abs).sort();
  const median = sorted[sorted.length >> 1] ?? 0;
  return {
    bits: toHex(bits),
    mask: toHex(margins.map((m) => median > 0 && Math.abs(m) >= DEAD_ZONE * median)),
  };
}

/** The 64-bit pHash of a view (identical bits to `phashFromLuma32`) with its reliability mask. */
export function dctHash(view: Float64Array): MaskedHash {
  const coeffs = lowDct8(view);
  const median = acMedian(coeffs);
  const bits: boolean[] = [];
  const margins: number[] = [];
  for (const c of coeffs) {
    bits.push(phashBit(c, median));
    margins.push(c - median);
  }
  return masked(bits, margins);
}

/**
 * 128-bit gradient hash: 64 bits of "this cell is darker than its right neighbour" on a 9×8 grid, then
 * 64 bits of "darker than the one below" on an 8×9 grid, as 32 hex chars. It sees edges and their
 * direction, which the DCT hash blurs together, so the two families fail on different images.
 */
export function gradientHash(view: Float64Array): MaskedHash {
  const wide = cells(view, 9, 8);
  const tall = cells(view, 8, 9);
  const margins: number[] = [];
  for (let r = 0; r < 8; r++) {
    for (let c = 0; c < 8; c++) margins.push((wide[r * 9 + c + 1] ?? 0) - (wide[r * 9 + c] ?? 0));
  }
  for (let r = 0; r < 8; r++) {
    for (let c = 0; c < 8; c++) margins.push((tall[(r + 1) * 8 + c] ?? 0) - (tall[r * 8 + c] ?? 0));
  }
  return masked(
    margins.map((m) => m > 0),
    margins,
  );
}

const HEX_BYTES = Array.from({ length: 256 }, (_, v) => v.toString(16).padStart(2, "0"));
const byteHex = (v: number) => HEX_BYTES[Math.min(255, Math.max(0, Math.round(v)))] ?? "00";

/**
 * The view's cell layout: CELL_GRID² cells of luma (z-scored within the view, so brightness and
 * contrast changes cancel; 32 levels per standard deviation around 128), then of Cb, then of Cr
 * (brightness-normalised chroma), one byte each, as hex.
 */
export function cellLayout(lumaView: Float64Array, cb: Float64Array, cr: Float64Array): string {
  const luma = cells(lumaView, CELL_GRID, CELL_GRID);
  let [sum, squares] = [0, 0];
  for (const v of luma) {
    sum += v;
    squares += v * v;
  }
  const mean = sum / luma.length;
  const std = Math.sqrt(Math.max(0, squares / luma.length - mean * mean));
  const scale = 32 / Math.max(std, CELL_MIN_STD);
  let hex = "";
  for (const v of luma) hex += byteHex(128 + (v - mean) * scale);
  for (const v of cb) hex += byteHex(v);
  for (const v of cr) hex += byteHex(v);
  return hex;
}

/**
 * The fraction of cells that changed between two cell layouts: luma by more than CELL_LUMA_CHANGE
 * standard deviations or either chroma by more than CELL_CHROMA_CHANGE levels. A copy changes
 * almost none once its views are aligned; a different picture under the same sky changes every
 * cell its shapes cover, even shapes no brighter than the sky.
 */
export function changedCells(a: Uint8Array, b: Uint8Array): number {
  const n = CELL_GRID * CELL_GRID;
  let changed = 0;
  for (let i = 0; i < n; i++) {
    const luma = Math.abs((a[i] ?? 0) - (b[i] ?? 0)) / 32;
    const cb = Math.abs((a[n + i] ?? 0) - (b[n + i] ?? 0));
    const cr = Math.abs((a[2 * n + i] ?? 0) - (b[2 * n + i] ?? 0));
    if (luma > CELL_LUMA_CHANGE || cb > CELL_CHROMA_CHANGE || cr > CELL_CHROMA_CHANGE) changed++;
  }
  return changed / n;
}

/** Hex bytes as numbers. */
export function hexBytes(hex: string): Uint8Array {
  const bytes = new Uint8Array(hex.length >> 1);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

/** A hex hash as 32-bit words (8 hex chars each). */
export function hexWords(hex: string): Uint32Array {
  const words = new Uint32Array(Math.ceil(hex.length / 8));
  for (let i = 0; i < words.length; i++) words[i] = Number.parseInt(hex.slice(i * 8, i * 8 + 8), 16) >>> 0;
  return words;
}

function popcount(x: number): number {
  let v = x - ((x >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
}

/**
 * The masked Hamming distance, rescaled to the full width: differing bits among those reliable in
 * both (`ma & mb`), times total bits / compared bits. With fewer than MIN_COMPARED_FRACTION of the
 * bits comparable there is no evidence either way, which counts as half the bits differing.
 */
export function maskedDistance(
  a: Uint32Array,
  ma: Uint32Array,
  b: Uint32Array,
  mb: Uint32Array,
  minComparedFraction: number,
): number {
  let differing = 0;
  let compared = 0;
  for (let i = 0; i < a.length; i++) {
    const both = ((ma[i] ?? 0) & (mb[i] ?? 0)) >>> 0;
    differing += popcount((((a[i] ?? 0) ^ (b[i] ?? 0)) & both) >>> 0);
    compared += popcount(both);
  }
  const total = a.length * 32;
  if (compared < minComparedFraction * total) return total / 2;
  return Math.round((differing * total) / compared);
}
