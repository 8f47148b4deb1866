/** The knowledge-pack document: the tips the projects' jobs applied, how often, and how their images fared. */
import { z } from "zod";
import { ProviderIds } from "../../lib/vocabulary";

export const KnowledgePackSchema = z.object({
  projects: z.array(z.object({ id: z.string(), name: z.string() })),
  tips: z.array(
    z.object({
      key: z.string(),
      provider: ProviderIds,
      /** The tip's text as the knowledge base holds it now; null when it has been removed since. */
      tip: z.string().nullable(),
      /** The phrase the refinement appends; null when none (or removed). */
      append: z.string().nullable(),
      /** Tasks whose prompt carried the tip (one provider call each, retries included). */
      applied: z.number().int().positive(),
      /** Jobs whose refinement applied it. */
      jobs: z.number().int().positive(),
      /** Judged images made with it, and how many passed. */
      images: z.number().int().nonnegative(),
      passed: z.number().int().nonnegative(),
      /** passed / images, 0..1; null when no image made with it was judged. */
      passRate: z.number().min(0).max(1).nullable(),
    }),
  ),
  generatedAt: z.number().int(),
});
export type KnowledgePack = z.infer<typeof KnowledgePackSchema>;
