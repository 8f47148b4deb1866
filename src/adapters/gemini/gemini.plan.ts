/**
 * How the `gemini` adapter maps a task's GenerationSpec onto `generateContent`: the aspect ratio
 * and the seed natively (`imageConfig.aspectRatio`, `seed`), the model from the allowlist, and what
 * Gemini has no input for done as near as it allows and said: the negative prompt and strength
 * become words (a mask is refused: Gemini has no mask input), outpaint a padded canvas plus its mask.
 */
import type { AppEnv } from "../../lib/env";
import { outpaintCanvas, toGreyMask } from "../mask";
import type { AspectRatio, ProviderCapabilities } from "../params";
import { type ImageOp, ProviderError } from "../provider.types";
import {
  Approximations,
  chooseModel,
  editPrompt,
  nearestRatio,
  preparing,
  requireStartImage,
  strengthInstruction,
  toBase64,
  withAvoid,
} from "../shared";

/** Used when `GEMINI_IMAGE_MODEL` is unset. */
export const GEMINI_DEFAULT_MODEL = "gemini-2.5-flash-image";
/** What a job may choose (`models.gemini`). */
export const GEMINI_MODELS = [
  GEMINI_DEFAULT_MODEL,
  "gemini-3-pro-image-preview",
  "gemini-3.1-flash-image-preview",
] as const;
/** `imageConfig.aspectRatio` values Gemini image models accept. */
const GEMINI_RATIOS = ["1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9"] as const;
/** gemini-2.5-flash-image's output at 1K for each of the job vocabulary's ratios. */
export const GEMINI_SIZES = [
  "1024x1024",
  "832x1248",
  "1248x832",
  "864x1184",
  "1184x864",
  "768x1344",
  "1344x768",
];
/** `generationConfig.seed` is a signed 32-bit integer; job seeds go up to 2^32 - 1. */
const INT32_SEEDS = 2 ** 31;
/** Start images padded for outpaint, or shown with a mask, are at most this many pixels per side. */
const MAX_SIDE = 2048;

export const GEMINI_CAPABILITIES: ProviderCapabilities = {
  parameters: {
    aspectRatio: "native",
    seed: "native",
    negativePrompt: "approximate",
    strength: "approximate",
    model: "native",
    mask: "unsupported",
    outpaint: "approximate",
    upscale: "unsupported",
  },
  models: GEMINI_MODELS,
  sizes: GEMINI_SIZES,
};

type Part = { text: string } | { inlineData: { mimeType: string; data: string } };

/** One call as it goes on the wire. */
export interface GeminiPlan {
  model: string;
  parts: Part[];
  config: { seed?: number; imageConfig?: { aspectRatio: string } };
  /** The seed sent, or null when none was. */
  seed: number | null;
  notes: Approximations;
}

const inline = (mimeType: string, bytes: Uint8Array): Part => ({
  inlineData: { mimeType, data: toBase64(bytes) },
});

const PADDED_OUTPAINT =
  "The first image has an empty border, which the second image (a mask) shows in white: fill that border so the scene extends naturally, keeping the existing content exactly as it is";

const ratioValue = (ratio: string): number => {
  const [w = 1, h = 1] = ratio.split(":").map(Number);
  return w / h;
};

/** Images and instruction of an edit kind; for outpaint also the canvas's nearest Gemini ratio. */
async function editParts(
  op: ImageOp,
  env: AppEnv,
  notes: Approximations,
): Promise<{ images: Part[]; prompt: string; canvasRatio?: string }> {
  const start = requireStartImage("gemini", op.kind, op.startImage);
  const spec = op.spec;
  if (op.kind === "inpaint" && spec?.mask) {
    // Gemini has no mask input: repainting only a chosen region cannot be honoured in substance, so
    // a job never sends one (capabilities say unsupported: a 400 at submission); a direct call says why.
    throw new ProviderError("gemini has no mask input: inpaint with openai, workers or local", {
      retryable: false,
    });
  }
  if (op.kind === "outpaint" && spec?.outpaint) {
    const margins = spec.outpaint;
    const out = await preparing("gemini", () => outpaintCanvas(env.IMAGES, start, margins, MAX_SIDE));
    const ratio = out.canvas.width / out.canvas.height;
    const canvasRatio = nearestRatio(GEMINI_RATIOS, ratio, ratioValue);
    const { left, right, top, bottom } = out.margins;
    notes.add(
      "outpaint",
      `gemini has no outpaint: the start image went on a ${out.canvas.width}x${out.canvas.height} canvas (empty margins left ${left}, right ${right}, top ${top}, bottom ${bottom}) with a mask of the margins as a second image, asked at aspect ratio ${canvasRatio}, the nearest to the canvas`,
    );
    return {
      images: [inline("image/png", out.png), inline("image/png", toGreyMask(out.coverage))],
      prompt: `${PADDED_OUTPAINT}: ${op.prompt}`,
      canvasRatio,
    };
  }
  return { images: [inline(start.contentType, start.bytes)], prompt: editPrompt(op.kind, op.prompt) };
}

/**
 * The call for `op`. Without `op.spec` it is exactly the call made before parameters existed: the
 * configured model, the start image then the instruction, no seed, no image config.
 */
export async function planCall(op: ImageOp, configuredModel: string, env: AppEnv): Promise<GeminiPlan> {
  const notes = new Approximations("gemini");
  const spec = op.spec;
  if (!spec) {
    if (op.kind === "generate")
      return { model: configuredModel, parts: [{ text: op.prompt }], config: {}, seed: null, notes };
    const start = requireStartImage("gemini", op.kind, op.startImage);
    const parts = [inline(start.contentType, start.bytes), { text: editPrompt(op.kind, op.prompt) }];
    return { model: configuredModel, parts, config: {}, seed: null, notes };
  }
  const model = chooseModel("gemini", spec.model, configuredModel, GEMINI_MODELS);
  const edit = op.kind === "generate" ? undefined : await editParts(op, env, notes);
  let prompt = edit?.prompt ?? op.prompt;

  if (spec.strength !== undefined) {
    if (!edit) {
      notes.add("strength", "strength applies to a start image: ignored for generate");
    } else {
      const sentence = strengthInstruction(spec.strength);
      prompt = `${prompt}\n\n${sentence}`;
      notes.add("strength", `gemini has no strength: ${spec.strength} became the instruction "${sentence}"`);
    }
  }
  if (spec.negativePrompt) {
    prompt = withAvoid(prompt, spec.negativePrompt);
    notes.add(
      "negativePrompt",
      `gemini has no negative prompt: "Avoid: ${spec.negativePrompt}" was added to the prompt`,
    );
  }

  const seed = spec.seed % INT32_SEEDS;
  if (seed !== spec.seed) {
    notes.add(
      "seed",
      `gemini takes a signed 32-bit seed: ${spec.seed} was sent as ${seed} (the seed modulo 2^31)`,
    );
  }
  const asked: AspectRatio | undefined = op.kind !== "outpaint" ? spec.aspectRatio : undefined;
  const aspectRatio = edit?.canvasRatio ?? asked;
  return {
    model,
    parts: [...(edit?.images ?? []), { text: prompt }],
    config: { seed, ...(aspectRatio ? { imageConfig: { aspectRatio } } : {}) },
    seed,
    notes,
  };
}
