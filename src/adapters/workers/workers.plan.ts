/**
 * How the `workers` adapter maps a task's GenerationSpec onto Workers AI image models. The Stable
 * Diffusion models take width, height, seed, negative_prompt and strength, and the inpainting model
 * a mask (the PNG's bytes as an array, white = repaint); flux-1-schnell, the default text-to-image
 * model, takes only a prompt and steps. What a model has no input for is done as near as it allows
 * and said in a warning.
 */
import type { AppEnv } from "../../lib/env";
import { fitImage, imageSize, maskCoverage, outpaintCanvas, type Size, toGreyMask } from "../mask";
import { type ProviderCapabilities, ratioOf } from "../params";
import { type ImageOp, type ImageOpKind, ProviderError } from "../provider.types";
import {
  Approximations,
  chooseModel,
  preparing,
  readModel,
  requireStartImage,
  sameRatio,
  withAvoid,
} from "../shared";

/** Text-to-image default (`WORKERS_IMAGE_MODEL`): answers `{ image: <base64 JPEG> }`. */
export const WORKERS_DEFAULT_IMAGE_MODEL = "@cf/black-forest-labs/flux-1-schnell";
/** Image-to-image default (`WORKERS_IMG2IMG_MODEL`): takes `image` as byte values, answers a PNG stream. */
export const WORKERS_DEFAULT_IMG2IMG_MODEL = "@cf/runwayml/stable-diffusion-v1-5-img2img";
/** Inpaint and outpaint default (`WORKERS_INPAINT_MODEL`): `image` and `mask` as byte values. */
export const WORKERS_DEFAULT_INPAINT_MODEL = "@cf/runwayml/stable-diffusion-v1-5-inpainting";
/** Text-to-image with width and height: used for a non-square generate when no model was chosen. */
export const WORKERS_SDXL_MODEL = "@cf/stabilityai/stable-diffusion-xl-base-1.0";

/** What a job may choose (`models.workers`); the first is the text-to-image default. */
export const WORKERS_MODELS = [
  WORKERS_DEFAULT_IMAGE_MODEL,
  WORKERS_SDXL_MODEL,
  WORKERS_DEFAULT_IMG2IMG_MODEL,
  WORKERS_DEFAULT_INPAINT_MODEL,
] as const;

/** Start images sent with a mask or padded for outpaint are at most this many pixels per side. */
const MAX_SIDE = 1024;
/** Width and height of the Stable Diffusion models: multiples of 64 within these bounds. */
const STEP = 64;
const MIN_SIDE = 256;
const MAX_SD_SIDE = 2048;
/** img2img's strength when the job gives none (1 ignores the start image). */
const STRENGTH: Partial<Record<ImageOpKind, number>> = { edit: 0.75, variation: 0.5 };

interface Traits {
  kinds: readonly ImageOpKind[];
  /** The side of the square whose area the model works at; null: it takes no width/height. */
  base: number | null;
  /** Takes seed, negative_prompt and strength. */
  diffusers: boolean;
}

const TRAITS: Record<string, Traits> = {
  [WORKERS_DEFAULT_IMAGE_MODEL]: { kinds: ["generate"], base: null, diffusers: false },
  [WORKERS_SDXL_MODEL]: { kinds: ["generate"], base: 1024, diffusers: true },
  [WORKERS_DEFAULT_IMG2IMG_MODEL]: { kinds: ["edit", "variation"], base: 512, diffusers: true },
  [WORKERS_DEFAULT_INPAINT_MODEL]: { kinds: ["inpaint", "outpaint"], base: 512, diffusers: true },
};

/** A model configured through a var but not in the table: assumed to take the shared SD inputs. */
const traitsOf = (model: string, kind: ImageOpKind): Traits =>
  TRAITS[model] ?? { kinds: [kind], base: kind === "generate" ? 1024 : 512, diffusers: true };

export const WORKERS_CAPABILITIES: ProviderCapabilities = {
  parameters: {
    aspectRatio: "approximate",
    seed: "approximate",
    negativePrompt: "approximate",
    strength: "native",
    model: "native",
    mask: "native",
    outpaint: "approximate",
    upscale: "unsupported",
  },
  models: WORKERS_MODELS,
  sizes: "any",
};

/** One call as it goes to the binding. */
export interface WorkersPlan {
  model: string;
  inputs: Record<string, unknown>;
  /** The seed sent, or null when none was. */
  seed: number | null;
  notes: Approximations;
}

/** The configured model of a kind (the vars keep their meaning: text-to-image, img2img, inpainting). */
function configuredModel(kind: ImageOpKind, env: AppEnv): string {
  if (kind === "generate") return readModel(env, "WORKERS_IMAGE_MODEL", WORKERS_DEFAULT_IMAGE_MODEL);
  if (kind === "inpaint" || kind === "outpaint") {
    return readModel(env, "WORKERS_INPAINT_MODEL", WORKERS_DEFAULT_INPAINT_MODEL);
  }
  return readModel(env, "WORKERS_IMG2IMG_MODEL", WORKERS_DEFAULT_IMG2IMG_MODEL);
}

/** The job's model if it can do this kind; else the configured one (SDXL for a non-square generate on flux). */
function pickModel(op: ImageOp, env: AppEnv, notes: Approximations): string {
  const configured = configuredModel(op.kind, env);
  const spec = op.spec;
  if (spec?.model !== undefined) {
    const model = chooseModel("workers", spec.model, configured, WORKERS_MODELS);
    const { kinds } = traitsOf(model, op.kind);
    if (!kinds.includes(op.kind)) {
      throw new ProviderError(`workers: ${model} cannot do ${op.kind} (it does ${kinds.join(", ")})`, {
        retryable: false,
      });
    }
    return model;
  }
  const ratio = spec?.aspectRatio;
  if (op.kind === "generate" && ratio && ratio !== "1:1" && traitsOf(configured, op.kind).base === null) {
    notes.add(
      "aspectRatio",
      `${configured} takes no width or height, so ${WORKERS_SDXL_MODEL} made this ${ratio} image`,
    );
    return WORKERS_SDXL_MODEL;
  }
  return configured;
}

/** Multiples of 64 with about `base`² pixels whose ratio is nearest `ratio`. */
export function sizeFor(ratio: number, base: number): Size {
  const area = base * base;
  let best: Size = { width: base, height: base };
  let bestScore = [Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY];
  for (let height = MIN_SIDE; height <= MAX_SD_SIDE; height += STEP) {
    const width = Math.min(MAX_SD_SIDE, Math.max(MIN_SIDE, Math.round((height * ratio) / STEP) * STEP));
    const areaError = Math.abs(Math.log((width * height) / area));
    if (areaError > Math.log(4 / 3) + 1e-9) continue;
    const score = [Math.abs(Math.log(width / height / ratio)), areaError];
    const [shape = 0, size = 0] = score;
    const [bestShape = 0, bestSize = 0] = bestScore;
    if (shape < bestShape - 1e-9 || (Math.abs(shape - bestShape) <= 1e-9 && size < bestSize)) {
      best = { width, height };
      bestScore = score;
    }
  }
  return best;
}

type Start = { bytes: Uint8Array; contentType: string };

/** `image` (and `mask`) inputs of an edit kind, and the shape of the picture they make. */
async function startInputs(
  op: ImageOp,
  start: Start,
  env: AppEnv,
  notes: Approximations,
): Promise<{ inputs: Record<string, unknown>; ratio: number }> {
  const spec = op.spec;
  if (op.kind === "inpaint") {
    const mask = spec?.mask;
    if (!mask) throw new ProviderError("workers: inpaint needs a mask", { retryable: false });
    const fitted = await preparing("workers", () => fitImage(env.IMAGES, start, MAX_SIDE));
    if (fitted.scale > 1) {
      notes.add(
        "mask",
        `the start image was scaled to ${fitted.width}x${fitted.height} to send it with its mask`,
      );
    }
    const coverage = await preparing("workers", async () => maskCoverage(mask, fitted.width, fitted.height));
    return {
      inputs: { image: Array.from(fitted.bytes), mask: Array.from(toGreyMask(coverage)) },
      ratio: fitted.width / fitted.height,
    };
  }
  if (op.kind === "outpaint") {
    const margins = spec?.outpaint;
    if (!margins) throw new ProviderError("workers: outpaint needs margins", { retryable: false });
    const out = await preparing("workers", () => outpaintCanvas(env.IMAGES, start, margins, MAX_SIDE));
    const { left, right, top, bottom } = out.margins;
    notes.add(
      "outpaint",
      `workers has no outpaint: the inpainting model filled the margins (left ${left}, right ${right}, top ${top}, bottom ${bottom}) of a ${out.canvas.width}x${out.canvas.height} canvas made from the start image`,
    );
    return {
      inputs: { image: Array.from(out.png), mask: Array.from(toGreyMask(out.coverage)) },
      ratio: out.canvas.width / out.canvas.height,
    };
  }
  const size = imageSize(start.bytes);
  const strength = spec?.strength ?? STRENGTH[op.kind] ?? 0.75;
  return { inputs: { image: Array.from(start.bytes), strength }, ratio: size ? size.width / size.height : 1 };
}

/**
 * The call for `op`. Without `op.spec` it is exactly the call made before parameters existed:
 * `{ prompt }` for text-to-image, `{ prompt, image, strength }` for img2img.
 */
export async function planCall(op: ImageOp, env: AppEnv): Promise<WorkersPlan> {
  const notes = new Approximations("workers");
  const spec = op.spec;
  const model = pickModel(op, env, notes);
  const start = op.kind === "generate" ? undefined : requireStartImage("workers", op.kind, op.startImage);
  const edit = start ? await startInputs(op, start, env, notes) : undefined;
  const inputs: Record<string, unknown> = { prompt: op.prompt, ...edit?.inputs };
  if (!spec) return { model, inputs, seed: null, notes };

  const traits = traitsOf(model, op.kind);
  const asked = op.kind !== "outpaint" ? spec.aspectRatio : undefined;
  const ratio = asked ? ratioOf(asked) : edit?.ratio;
  if (traits.base !== null && ratio !== undefined) {
    const { width, height } = sizeFor(ratio, traits.base);
    Object.assign(inputs, { width, height });
    if (asked && !sameRatio(width / height, ratio)) {
      notes.add(
        "aspectRatio",
        `${model} takes width and height in multiples of ${STEP}: ${asked} was sent as ${width}x${height}`,
      );
    }
  } else if (asked && asked !== "1:1") {
    notes.add("aspectRatio", `${model} takes no width or height: ${asked} was not applied`);
  }

  let seed: number | null = null;
  if (traits.diffusers) {
    seed = spec.seed;
    inputs.seed = seed;
  } else {
    notes.add(
      "seed",
      `${model} takes no seed: seed ${spec.seed} was not sent, so this image cannot be reproduced from it`,
    );
  }
  if (spec.negativePrompt) {
    if (traits.diffusers) inputs.negative_prompt = spec.negativePrompt;
    else {
      inputs.prompt = withAvoid(op.prompt, spec.negativePrompt);
      notes.add(
        "negativePrompt",
        `${model} has no negative prompt: "Avoid: ${spec.negativePrompt}" was added to the prompt`,
      );
    }
  }
  if (spec.strength !== undefined) {
    if (start) inputs.strength = spec.strength;
    else notes.add("strength", "strength applies to a start image: ignored for generate");
  }
  return { model, inputs, seed, notes };
}
