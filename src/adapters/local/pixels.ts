/** Pixel work of the local provider on 8-bit RGBA buffers: bilinear resampling, box downscale, PNG encoding. */
import { encode } from "fast-png";
import type { DecodedImage } from "../../lib/png";

export type { DecodedImage } from "../../lib/png";

/** Encodes RGBA pixels as an 8-bit RGBA PNG (fast-png). */
export function encodeRgba(img: DecodedImage): Uint8Array {
  return encode({ width: img.width, height: img.height, data: img.rgba, channels: 4, depth: 8 });
}

/** For each destination index on one axis: the two source indices around it and the weight of the second. */
interface AxisTaps {
  i0: Int32Array;
  i1: Int32Array;
  w1: Float32Array;
}

/** Pixel centres aligned: destination index → source coordinate when `dst` pixels cover `src` pixels. */
export const scaleMap =
  (dst: number, src: number) =>
  (d: number): number =>
    ((d + 0.5) * src) / dst - 0.5;

function axisTaps(count: number, srcLength: number, map: (d: number) => number): AxisTaps {
  const taps = { i0: new Int32Array(count), i1: new Int32Array(count), w1: new Float32Array(count) };
  for (let d = 0; d < count; d++) {
    const s = Math.min(srcLength - 1, Math.max(0, map(d)));
    const i0 = Math.floor(s);
    taps.i0[d] = i0;
    taps.i1[d] = Math.min(srcLength - 1, i0 + 1);
    taps.w1[d] = s - i0;
  }
  return taps;
}

/**
 * A bilinear sampler of `img` onto a `width` × `height` grid: `row(y)` gives that row's RGBA as
 * floats (one reused buffer). By default the grid covers the whole image (a resize); `mapX`/`mapY`
 * send a destination index to any source coordinate (clamped to the image). An identity map copies
 * the source values exactly.
 */
export function rowSampler(
  img: DecodedImage,
  width: number,
  height: number,
  mapX: (x: number) => number = scaleMap(width, img.width),
  mapY: (y: number) => number = scaleMap(height, img.height),
): (y: number) => Float32Array {
  const xs = axisTaps(width, img.width, mapX);
  const ys = axisTaps(height, img.height, mapY);
  const out = new Float32Array(width * 4);
  const src = img.rgba;
  const stride = img.width * 4;
  return (y) => {
    const r0 = (ys.i0[y] ?? 0) * stride;
    const r1 = (ys.i1[y] ?? 0) * stride;
    const wy = ys.w1[y] ?? 0;
    for (let x = 0; x < width; x++) {
      const a = (xs.i0[x] ?? 0) * 4;
      const b = (xs.i1[x] ?? 0) * 4;
      const wx = xs.w1[x] ?? 0;
      for (let c = 0; c < 4; c++) {
        const top = (src[r0 + a + c] ?? 0) * (1 - wx) + (src[r0 + b + c] ?? 0) * wx;
        const bottom = (src[r1 + a + c] ?? 0) * (1 - wx) + (src[r1 + b + c] ?? 0) * wx;
        out[x * 4 + c] = top * (1 - wy) + bottom * wy;
      }
    }
    return out;
  };
}

/** A bilinear resize of `img` to width × height (used to upscale when the Images binding will not). */
export function resizeBilinear(img: DecodedImage, width: number, height: number): DecodedImage {
  const row = rowSampler(img, width, height);
  const rgba = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    const values = row(y);
    const base = y * width * 4;
    for (let i = 0; i < values.length; i++) rgba[base + i] = Math.round(values[i] ?? 0);
  }
  return { width, height, rgba };
}

/** An area-average downscale so the longer side is at most `maxSide` (a small colour map of the image). */
export function boxDownscale(img: DecodedImage, maxSide: number): DecodedImage {
  const scale = Math.min(1, maxSide / Math.max(img.width, img.height));
  const width = Math.max(1, Math.round(img.width * scale));
  const height = Math.max(1, Math.round(img.height * scale));
  const sums = new Float64Array(width * height * 4);
  const counts = new Float64Array(width * height);
  for (let y = 0; y < img.height; y++) {
    const ty = Math.min(height - 1, Math.floor((y * height) / img.height));
    for (let x = 0; x < img.width; x++) {
      const t = ty * width + Math.min(width - 1, Math.floor((x * width) / img.width));
      const s = (y * img.width + x) * 4;
      for (let c = 0; c < 4; c++) sums[t * 4 + c] = (sums[t * 4 + c] ?? 0) + (img.rgba[s + c] ?? 0);
      counts[t] = (counts[t] ?? 0) + 1;
    }
  }
  const rgba = new Uint8Array(width * height * 4);
  for (let t = 0; t < counts.length; t++) {
    for (let c = 0; c < 4; c++) rgba[t * 4 + c] = Math.round((sums[t * 4 + c] ?? 0) / (counts[t] || 1));
  }
  return { width, height, rgba };
}

/** The 3×3 RGB matrix of a hue rotation by `degrees` (the CSS `hue-rotate` filter's, luminance-preserving). */
export function hueRotation(degrees: number): number[] {
  const a = (degrees * Math.PI) / 180;
  const cos = Math.cos(a);
  const sin = Math.sin(a);
  return [
    0.213 + cos * 0.787 - sin * 0.213,
    0.715 - cos * 0.715 - sin * 0.715,
    0.072 - cos * 0.072 + sin * 0.928,
    0.213 - cos * 0.213 + sin * 0.143,
    0.715 + cos * 0.285 + sin * 0.14,
    0.072 - cos * 0.072 - sin * 0.283,
    0.213 - cos * 0.213 - sin * 0.787,
    0.715 - cos * 0.715 + sin * 0.715,
    0.072 + cos * 0.928 + sin * 0.072,
  ];
}

/** A byte from a float: rounded and clamped to 0..255. */
export const toByte = (value: number): number => (value <= 0 ? 0 : value >= 255 ? 255 : Math.round(value));
