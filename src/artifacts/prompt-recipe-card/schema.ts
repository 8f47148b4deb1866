/** The prompt-recipe-card document: everything needed to make each image again. */
import { z } from "zod";
import { ImageOpKinds, Judgments, ProviderIds } from "../../lib/vocabulary";
import { LinkKinds } from "../prompt-lineage-map/schema";

export const PromptRecipeCardSchema = z.object({
  projects: z.array(z.object({ id: z.string(), name: z.string() })),
  recipes: z.array(
    z.object({
      progressionId: z.string(),
      provider: ProviderIds,
      /** The model the provider reported; null when it reported none. */
      model: z.string().nullable(),
      /** The prompt as submitted. */
      prompt: z.string(),
      /** The prompt the provider received (knowledge tips and, for a retry, the judge's suggestion applied). */
      refinedPrompt: z.string().nullable(),
      appliedTips: z.array(z.string()),
      kind: ImageOpKinds,
      variantIndex: z.number().int().nullable(),
      /** 0 for a first attempt, 1..2 for judge-driven retries. */
      attempt: z.number().int().nonnegative(),
      startImageUrl: z.string().nullable(),
      /** The progression the job continued from (its image is the start image of edit-type ops). */
      continuedFrom: z.string().nullable(),
      /** How this step came from its parent step. */
      link: LinkKinds.nullable(),
      /** For a rollback: the step whose image it re-used (the recipe is that step's). */
      rollbackOf: z.string().nullable(),
      /** The provider's own seed when it reported one (the offline provider does). */
      seed: z.string().nullable(),
      judgment: Judgments.nullable(),
    }),
  ),
  generatedAt: z.number().int(),
});
export type PromptRecipeCard = z.infer<typeof PromptRecipeCardSchema>;
