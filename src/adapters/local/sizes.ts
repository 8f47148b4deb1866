/** Output sizes of the local provider and the caps that keep its work bounded. */
import type { AspectRatio, GenerationSpec, Margins } from "../params";
import { ProviderError } from "../provider.types";

/** Long side of a generated image when the spec names an aspect ratio. */
export const LONG_SIDE = 1024;
/** Side of a generated image when no aspect ratio is given (square, as before parameters existed). */
export const DEFAULT_SIDE = 512;
/** No result is larger than this on either side. */
export const MAX_SIDE = 8192;
/**
 * Pixels the isolate itself holds and re-encodes at most (inpaint, outpaint, edit, variation; an
 * in-code upscale): 2048 × 2048. At that size the decoded RGBA (4 B/px), the mask or a second image
 * (≤ 4 B/px) and the PNG encoder's buffers (≈ 6–8 B/px) peak near 64 MB, half a 128 MB isolate.
 */
export const MAX_WORK_PIXELS = 2048 * 2048;
/** An upscaled PNG read back from the Images binding larger than this is refused (held in memory whole). */
export const MAX_RESULT_BYTES = 64 * 1024 * 1024;

export interface Size {
  width: number;
  height: number;
}

/**
 * The size of a generated image: LONG_SIDE on the long side of `aspect`, the short side
 * `Math.round(LONG_SIDE / ratio)`: 1:1 → 1024×1024, 4:3 → 1024×768, 3:4 → 768×1024, 3:2 → 1024×683,
 * 2:3 → 683×1024, 16:9 → 1024×576, 9:16 → 576×1024. No aspect ratio: DEFAULT_SIDE square (512×512).
 */
export function generateSize(aspect: AspectRatio | undefined): Size {
  if (aspect === undefined) return { width: DEFAULT_SIDE, height: DEFAULT_SIDE };
  const [w = 1, h = 1] = aspect.split(":").map(Number);
  return w >= h
    ? { width: LONG_SIDE, height: Math.round((LONG_SIDE * h) / w) }
    : { width: Math.round((LONG_SIDE * w) / h), height: LONG_SIDE };
}

function refuse(message: string): never {
  throw new ProviderError(`local provider: ${message}`, { retryable: false });
}

/** Refuses a result over MAX_SIDE on a side (not retryable: the same request always fails). */
export function requireWithinSides(kind: string, size: Size): void {
  if (size.width > MAX_SIDE || size.height > MAX_SIDE) {
    refuse(
      `${kind} result ${size.width}×${size.height} exceeds ${MAX_SIDE} px per side; ask for a smaller one`,
    );
  }
}

/** Refuses pixel work over MAX_WORK_PIXELS, naming what was too large. */
export function requireWorkable(what: string, size: Size): void {
  if (size.width * size.height > MAX_WORK_PIXELS) {
    refuse(
      `${what} is ${size.width}×${size.height}; the local provider works on at most ${MAX_WORK_PIXELS / 1_048_576} MP (2048×2048) in memory`,
    );
  }
}

/**
 * The outpaint margins of a width × height start: `spec.outpaint` as given; else, with an aspect
 * ratio, the margins that grow the canvas to it, centred (the extra on the right/bottom when odd);
 * else — or when the start already has that ratio — an eighth of the width on the left and right
 * and an eighth of the height on top and bottom (rounded, at least 1 px).
 */
export function outpaintMargins(spec: GenerationSpec, width: number, height: number): Margins {
  const given = spec.outpaint;
  if (given !== undefined) {
    const values = [given.left, given.right, given.top, given.bottom];
    if (values.some((v) => !Number.isInteger(v) || v < 0))
      refuse("outpaint margins must be whole pixels ≥ 0");
    if (values.every((v) => v === 0)) refuse("outpaint needs at least one margin over 0");
    return given;
  }
  if (spec.aspectRatio !== undefined) {
    const [w = 1, h = 1] = spec.aspectRatio.split(":").map(Number);
    const ratio = w / h;
    if (width / height < ratio) {
      const extra = Math.round(height * ratio) - width;
      if (extra > 0) return { left: Math.floor(extra / 2), right: Math.ceil(extra / 2), top: 0, bottom: 0 };
    } else {
      const extra = Math.round(width / ratio) - height;
      if (extra > 0) return { left: 0, right: 0, top: Math.floor(extra / 2), bottom: Math.ceil(extra / 2) };
    }
  }
  const x = Math.max(1, Math.round(width / 8));
  const y = Math.max(1, Math.round(height / 8));
  return { left: x, right: x, top: y, bottom: y };
}
