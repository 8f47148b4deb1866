/**
 * Frames of the walkthrough reel: each step's R2 original, through the Images binding, fitted
 * (aspect kept) onto a square canvas, with a bar along the bottom showing how far along the lineage
 * the frame is, in the colour of the step's verdict.
 */
import { imageInfo, rgbaRendition } from "../../agents/tools/images";
import type { AppEnv } from "../../lib/env";
import type { DecodedImage } from "../../lib/png";
import { withImagesRetry } from "../bounded";
import { type LineageStep, readStepOriginal } from "../project-data";

/** Side of every frame: large enough to see the picture, small enough to keep the GIF light. */
export const FRAME_SIDE = 256;
const BAR_HEIGHT = 6;
const BACKGROUND = [17, 17, 17] as const;
const TRACK = [58, 58, 58] as const;
const VERDICT_COLOUR = { pass: [46, 160, 67], fail: [218, 54, 51], none: [150, 150, 150] } as const;

/** The size that fits `width` × `height` inside the frame, aspect kept (small originals are enlarged). */
export function fitted(width: number, height: number, side = FRAME_SIDE): { width: number; height: number } {
  const scale = side / Math.max(width, height);
  return {
    width: Math.max(1, Math.min(side, Math.round(width * scale))),
    height: Math.max(1, Math.min(side, Math.round(height * scale))),
  };
}

function paint(canvas: Uint8Array, x0: number, y0: number, w: number, h: number, rgb: readonly number[]) {
  for (let y = y0; y < y0 + h; y++) {
    for (let x = x0; x < x0 + w; x++) {
      const o = (y * FRAME_SIDE + x) * 4;
      canvas[o] = rgb[0] ?? 0;
      canvas[o + 1] = rgb[1] ?? 0;
      canvas[o + 2] = rgb[2] ?? 0;
      canvas[o + 3] = 255;
    }
  }
}

/** Composes one frame: the picture centred (alpha blended over the background), then the bar. */
export function composeFrame(
  picture: DecodedImage,
  position: number,
  total: number,
  verdict: LineageStep["judge"]["judgment"],
): Uint8Array {
  const canvas = new Uint8Array(FRAME_SIDE * FRAME_SIDE * 4);
  paint(canvas, 0, 0, FRAME_SIDE, FRAME_SIDE, BACKGROUND);
  const left = Math.floor((FRAME_SIDE - picture.width) / 2);
  const top = Math.floor((FRAME_SIDE - picture.height) / 2);
  for (let y = 0; y < picture.height; y++) {
    for (let x = 0; x < picture.width; x++) {
      const i = (y * picture.width + x) * 4;
      const o = ((top + y) * FRAME_SIDE + left + x) * 4;
      const alpha = (picture.rgba[i + 3] ?? 0) / 255;
      for (let c = 0; c < 3; c++) {
        const under = canvas[o + c] ?? 0;
        canvas[o + c] = Math.round((picture.rgba[i + c] ?? 0) * alpha + under * (1 - alpha));
      }
    }
  }
  const barTop = FRAME_SIDE - BAR_HEIGHT;
  const done = Math.max(1, Math.round((FRAME_SIDE * position) / Math.max(1, total)));
  paint(canvas, 0, barTop, FRAME_SIDE, BAR_HEIGHT, TRACK);
  paint(canvas, 0, barTop, done, BAR_HEIGHT, VERDICT_COLOUR[verdict ?? "none"]);
  return canvas;
}

/** The step's picture fitted to the frame, or null when its original is no longer in R2. */
export async function stepPicture(env: AppEnv, step: LineageStep): Promise<DecodedImage | null> {
  const original = await readStepOriginal(env, step);
  if (!original) return null;
  return withImagesRetry(async () => {
    const info = await imageInfo(env.IMAGES, original.bytes);
    const size = fitted(info.width, info.height);
    return rgbaRendition(env.IMAGES, original.bytes, size.width, size.height, info);
  });
}
