/**
 * Generation parameters: the one JobSpec vocabulary every layer shares. The request schema
 * (src/schemas/jobs.ts) validates them at the door, the job stores them whole, the task runner
 * resolves one `GenerationSpec` per task (the variant's seed, the provider's model, the mask's
 * bytes) and hands it to the adapter in `ImageOp.spec`. Each adapter declares, per parameter,
 * whether it honours it natively, approximately (done and said in a warning), or not at all (a
 * request that needs it is a 400 naming provider and parameter).
 */
import { z } from "zod";

export const AspectRatios = z.enum(["1:1", "4:3", "3:4", "3:2", "2:3", "16:9", "9:16"]);
export type AspectRatio = z.infer<typeof AspectRatios>;

/** Width / height of an aspect ratio. */
export function ratioOf(aspect: AspectRatio): number {
  const [w = 1, h = 1] = aspect.split(":").map(Number);
  return w / h;
}

export const MAX_SEED = 4_294_967_295;

/** The parameters an adapter declares support for. */
export const PARAMETERS = [
  "aspectRatio",
  "seed",
  "negativePrompt",
  "strength",
  "model",
  "mask",
  "outpaint",
  "upscale",
] as const;
export type Parameter = (typeof PARAMETERS)[number];

/** native: done as asked; approximate: done as near as the provider allows, and said; unsupported: refused at the door. */
export type ParamSupport = "native" | "approximate" | "unsupported";

export interface Margins {
  left: number;
  right: number;
  top: number;
  bottom: number;
}

/** The house mask convention: a PNG the size of the start image (scaled if not), white = repaint, black = keep. */
export interface MaskImage {
  bytes: Uint8Array;
  contentType: "image/png";
}

/** What one task asks of its provider (resolved from the job's parameters). */
export interface GenerationSpec {
  aspectRatio?: AspectRatio;
  /** Always set: the job's seed + variantIndex, or one drawn per job when none was given. */
  seed: number;
  negativePrompt?: string;
  /** 0..1, for edit and variation: how far the result may move from the start image. */
  strength?: number;
  /** The model chosen for this provider (from the job's `models`), else the adapter's default. */
  model?: string;
  mask?: MaskImage;
  /** outpaint: pixels added on each side (the original stays where it was). */
  outpaint?: Margins;
  upscale?: { factor: 2 | 4 };
}

/** Something a provider did approximately, recorded on the task and shown on its card. */
export interface ParamWarning {
  provider: string;
  parameter: Parameter | string;
  message: string;
}

/** What an adapter publishes about itself (GET /api/providers). */
export interface ProviderCapabilities {
  parameters: Record<Parameter, ParamSupport>;
  /** Models a job may choose with `models: { <provider>: … }`; the first is the default. */
  models: readonly string[];
  /** Output sizes it can make natively (e.g. "1024x1024"), or "any" when it takes width/height. */
  sizes: readonly string[] | "any";
}

/** What a provider reports about a call, beyond the image. */
export interface GenerationReport {
  width: number;
  height: number;
  /** The seed actually used, or null when the provider takes none. */
  seed: number | null;
  model: string;
  /** The provider's own usage report (e.g. OpenAI's token counts), as it gave it. */
  usage?: Record<string, unknown>;
  warnings?: ParamWarning[];
}
