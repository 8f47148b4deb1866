/**
 * How the `openai` adapter maps a task's GenerationSpec onto the Images API: the nearest of the
 * model's sizes, the chosen model, the house mask as OpenAI's alpha mask, outpaint as a padded
 * canvas plus a mask, and what the API has no field for (seed, negative prompt, strength) done as
 * near as it allows and said in a warning each.
 */
import type { AppEnv } from "../../lib/env";
import { fitImage, imageSize, maskCoverage, outpaintCanvas, toAlphaMask } from "../mask";
import { type ProviderCapabilities, ratioOf } from "../params";
import type { ImageOp } from "../provider.types";
import {
  Approximations,
  chooseModel,
  editPrompt,
  nearestRatio,
  preparing,
  requireStartImage,
  sameRatio,
  sizeRatio,
  strengthInstruction,
  withAvoid,
} from "../shared";

/** Used when `OPENAI_IMAGE_MODEL` is unset. */
export const OPENAI_DEFAULT_MODEL = "gpt-image-1";
/** What a job may choose (`models.openai`): the GPT image models with the three fixed sizes. */
export const OPENAI_MODELS = [OPENAI_DEFAULT_MODEL, "gpt-image-1-mini", "gpt-image-1.5"] as const;
/** The sizes of the GPT image models (square, 3:2, 2:3). */
export const OPENAI_SIZES = ["1024x1024", "1536x1024", "1024x1536"] as const;
/** Square output: every OpenAI image model accepts it; the size of every call without parameters. */
export const DEFAULT_SIZE = "1024x1024";
/** Models whose edits take `input_fidelity` (gpt-image-1-mini and dall-e do not). */
const FIDELITY_MODELS: ReadonlySet<string> = new Set(["gpt-image-1", "gpt-image-1.5"]);
/** Start images sent with a mask are at most this many pixels per side (the models work at ≤ 1536). */
const MAX_SIDE = 2048;

export const OPENAI_CAPABILITIES: ProviderCapabilities = {
  parameters: {
    aspectRatio: "approximate",
    seed: "approximate",
    negativePrompt: "approximate",
    strength: "approximate",
    model: "native",
    mask: "native",
    outpaint: "approximate",
    upscale: "unsupported",
  },
  models: OPENAI_MODELS,
  sizes: OPENAI_SIZES,
};

/** Sizes a model makes (a dall-e model configured through OPENAI_IMAGE_MODEL has its own). */
function sizesOf(model: string): readonly string[] {
  if (model === "dall-e-3") return ["1024x1024", "1792x1024", "1024x1792"];
  if (model === "dall-e-2") return [DEFAULT_SIZE];
  return OPENAI_SIZES;
}

/** One call as it goes on the wire. */
export interface OpenAiPlan {
  model: string;
  prompt: string;
  size: string;
  /** Edit kinds: the image part (the start image, scaled, or an outpaint canvas). */
  image?: { bytes: Uint8Array; contentType: string };
  /** OpenAI's convention: a PNG of the image's size, alpha 0 where to edit. */
  mask?: Uint8Array;
  inputFidelity?: "high" | "low";
  notes: Approximations;
}

const MASKED_INPAINT = "Repaint the masked area of this image, keeping everything else unchanged";
const PADDED_OUTPAINT =
  "Fill the transparent border of this image so the scene extends naturally, keeping the existing content unchanged";

type Start = { bytes: Uint8Array; contentType: string };

/** The image, mask and instruction of an edit kind, and the shape its output should have. */
async function editParts(
  op: ImageOp,
  start: Start,
  env: AppEnv,
  notes: Approximations,
): Promise<{ image: Start; mask?: Uint8Array; prompt: string; ratio: number }> {
  const spec = op.spec;
  if (op.kind === "inpaint" && spec?.mask) {
    const mask = spec.mask;
    const fitted = await preparing("openai", () => fitImage(env.IMAGES, start, MAX_SIDE));
    if (fitted.scale > 1) {
      notes.add(
        "mask",
        `the start image was scaled to ${fitted.width}x${fitted.height} (at most ${MAX_SIDE} px per side) to send it with its mask`,
      );
    }
    const coverage = await preparing("openai", async () => maskCoverage(mask, fitted.width, fitted.height));
    return {
      image: fitted,
      mask: toAlphaMask(coverage),
      prompt: `${MASKED_INPAINT}: ${op.prompt}`,
      ratio: fitted.width / fitted.height,
    };
  }
  if (op.kind === "outpaint" && spec?.outpaint) {
    const margins = spec.outpaint;
    const out = await preparing("openai", () => outpaintCanvas(env.IMAGES, start, margins, MAX_SIDE));
    const { left, right, top, bottom } = out.margins;
    const scaled = out.scale > 1 ? `, scaled by 1/${out.scale.toFixed(2)} to fit ${MAX_SIDE} px` : "";
    notes.add(
      "outpaint",
      `openai has no outpaint: the start image went on a ${out.canvas.width}x${out.canvas.height} canvas (transparent margins left ${left}, right ${right}, top ${top}, bottom ${bottom}${scaled}) with a mask over the margins`,
    );
    return {
      image: { bytes: out.png, contentType: "image/png" },
      mask: toAlphaMask(out.coverage),
      prompt: `${PADDED_OUTPAINT}: ${op.prompt}`,
      ratio: out.canvas.width / out.canvas.height,
    };
  }
  const size = imageSize(start.bytes);
  return { image: start, prompt: editPrompt(op.kind, op.prompt), ratio: size ? size.width / size.height : 1 };
}

/**
 * The call for `op`. Without `op.spec` it is exactly the call made before parameters existed
 * (configured model, square size, the kind as the prompt's first sentence, no mask).
 */
export async function planCall(op: ImageOp, configuredModel: string, env: AppEnv): Promise<OpenAiPlan> {
  const notes = new Approximations("openai");
  const start = op.kind === "generate" ? undefined : requireStartImage("openai", op.kind, op.startImage);
  const spec = op.spec;
  if (!spec) {
    const prompt = editPrompt(op.kind, op.prompt);
    return { model: configuredModel, prompt, size: DEFAULT_SIZE, ...(start ? { image: start } : {}), notes };
  }
  const model = chooseModel("openai", spec.model, configuredModel, OPENAI_MODELS);
  const edit = start ? await editParts(op, start, env, notes) : undefined;
  let prompt = edit?.prompt ?? op.prompt;

  const sizes = sizesOf(model);
  const asked = op.kind !== "outpaint" && spec.aspectRatio ? spec.aspectRatio : undefined;
  const wanted = asked ? ratioOf(asked) : (edit?.ratio ?? 1);
  const size = nearestRatio(sizes, wanted, sizeRatio);
  if (asked && !sameRatio(sizeRatio(size), wanted)) {
    notes.add(
      "aspectRatio",
      `openai makes ${sizes.join(", ")} only: ${asked} was sent as ${size}, the nearest`,
    );
  }

  notes.add(
    "seed",
    `openai takes no seed: seed ${spec.seed} was not sent, so this image cannot be reproduced from it`,
  );

  let inputFidelity: OpenAiPlan["inputFidelity"];
  if (spec.strength !== undefined) {
    if (!start) {
      notes.add("strength", "strength applies to a start image: ignored for generate");
    } else {
      const sentence = strengthInstruction(spec.strength);
      prompt = `${prompt}\n\n${sentence}`;
      if (FIDELITY_MODELS.has(model)) inputFidelity = spec.strength < 0.5 ? "high" : "low";
      const fidelity = inputFidelity ? `input_fidelity "${inputFidelity}" and ` : "";
      notes.add(
        "strength",
        `openai has no strength: ${spec.strength} became ${fidelity}the instruction "${sentence}"`,
      );
    }
  }
  if (spec.negativePrompt) {
    prompt = withAvoid(prompt, spec.negativePrompt);
    notes.add(
      "negativePrompt",
      `openai has no negative prompt: "Avoid: ${spec.negativePrompt}" was added to the prompt`,
    );
  }
  return {
    model,
    prompt,
    size,
    ...(edit ? { image: edit.image } : {}),
    ...(edit?.mask ? { mask: edit.mask } : {}),
    ...(inputFidelity ? { inputFidelity } : {}),
    notes,
  };
}
