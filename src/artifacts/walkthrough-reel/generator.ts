/**
 * walkthrough-reel (video, served as an animated GIF): the lineage, parents first, one frame per
 * step made from its R2 original, encoded with gifenc (a palette per frame, looping).
 */
import { applyPalette, GIFEncoder, quantize } from "gifenc";
import { ApiError } from "../../lib/errors";
import { createLogger } from "../../lib/logging";
import type { DocumentSpec } from "../documents";
import { composeFrame, FRAME_SIDE, stepPicture } from "./frames";

const DEFAULT_MAX_FRAMES = 40;
const FRAME_DELAY_MS = 1200;
/** The last frame holds longer, so the loop's end reads as an end. */
const LAST_FRAME_DELAY_MS = 3000;

const log = createLogger({ module: "artifacts/walkthrough-reel" });

export const walkthroughReel: DocumentSpec = {
  id: "walkthrough-reel",
  name: "Walkthrough reel",
  output: "video",
  description:
    "An animated GIF of the lineage, parents first: one 256×256 frame per step from its original, a bar showing progress in the verdict's colour. includeFailed: false leaves judged-failed steps out.",
  async build(input, data) {
    const max = input.options.maxImages ?? DEFAULT_MAX_FRAMES;
    // The lineage is the story: every step is shown unless the caller leaves the failed ones out.
    const steps = data.steps
      .filter((s) => input.options.includeFailed !== false || s.judge.judgment !== "fail")
      .slice(0, max);
    const gif = GIFEncoder();
    const write = (pixels: Uint8Array, delay: number) => {
      const palette = quantize(pixels, 256);
      gif.writeFrame(applyPalette(pixels, palette), FRAME_SIDE, FRAME_SIDE, { palette, delay, repeat: 0 });
    };
    // Frames are encoded as they are made (one held back: the last one gets the longer delay), so
    // memory holds two frames' pixels, not the whole reel's.
    let pending: Uint8Array | null = null;
    for (const [i, step] of steps.entries()) {
      // One at a time: the local Images binding drops calls under concurrent load.
      const picture = await stepPicture(input.env, step);
      if (!picture) {
        log.warn("reel.original_missing", { progressionId: step.progression.id });
        continue;
      }
      if (pending) write(pending, FRAME_DELAY_MS);
      pending = composeFrame(picture, i + 1, steps.length, step.judge.judgment);
    }
    if (!pending) {
      throw new ApiError("invalid_request", "walkthrough-reel: the projects have no images to show yet");
    }
    write(pending, LAST_FRAME_DELAY_MS);
    gif.finish();
    return { body: gif.bytes(), contentType: "image/gif" };
  },
};
