/** PNG renditions of step originals for embedding: no wider than the original or the page needs. */
import { imageInfo } from "../../agents/tools/images";
import type { AppEnv } from "../../lib/env";
import { withImagesRetry } from "../bounded";
import { type LineageStep, readStepOriginal } from "../project-data";

/** ~110 dpi across the A4 text width: sharp on screen, and a photo's PNG stays around 1 MB. */
export const MAX_EMBED_WIDTH = 768;

/** The step's image as PNG bytes (pdf-lib reads the size from them), or null when its original is gone. */
export async function stepPng(env: AppEnv, step: LineageStep): Promise<Uint8Array | null> {
  const original = await readStepOriginal(env, step);
  if (!original) return null;
  return withImagesRetry(async () => {
    const info = await imageInfo(env.IMAGES, original.bytes);
    const width = Math.min(info.width, MAX_EMBED_WIDTH);
    const result = await env.IMAGES.input(new Blob([original.bytes]).stream())
      .transform({ width })
      .output({ format: "image/png" });
    return new Uint8Array(await result.response().arrayBuffer());
  });
}
