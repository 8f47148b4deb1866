/** The stored form of a job's generation parameters (jobs.request_json.params); logic in spec.ts. */
import { z } from "zod";
import { AspectRatios, MAX_SEED } from "../adapters/params";
import { ProviderIds } from "../lib/vocabulary";

const MarginsSchema = z.object({
  left: z.number().int().min(0).max(4096),
  right: z.number().int().min(0).max(4096),
  top: z.number().int().min(0).max(4096),
  bottom: z.number().int().min(0).max(4096),
});

/** What a job stores of its parameters (request_json.params): validated on the way in, parsed on the way out. */
export const JobParamsSchema = z.object({
  aspectRatio: AspectRatios.optional(),
  /** The job's seed: the request's, else one drawn at submission (variant i uses seed + i). */
  seed: z.number().int().min(0).max(MAX_SEED),
  negativePrompt: z.string().max(1000).optional(),
  strength: z.number().min(0).max(1).optional(),
  models: z.partialRecord(ProviderIds, z.string().min(1).max(100)).optional(),
  /** The mask (house convention: white = repaint) copied into the job's R2 prefix at submission. */
  maskR2Key: z.string().optional(),
  outpaint: MarginsSchema.optional(),
  upscale: z.object({ factor: z.union([z.literal(2), z.literal(4)]) }).optional(),
});
export type JobParams = z.infer<typeof JobParamsSchema>;
