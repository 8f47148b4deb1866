/** The prompt-lineage-map document: every progression a node, every parent link an edge. */
import { z } from "zod";
import { Judgments, ProviderIds } from "../../lib/vocabulary";

export const LinkKinds = z.enum(["continue", "rollback", "retry"]);

export const PromptLineageMapSchema = z.object({
  projects: z.array(z.object({ id: z.string(), name: z.string() })),
  nodes: z.array(
    z.object({
      id: z.string(),
      parentId: z.string().nullable(),
      projectId: z.string(),
      /** 1-based position in parents-first order. */
      step: z.number().int().positive(),
      prompt: z.string(),
      refinedPrompt: z.string().nullable(),
      provider: ProviderIds,
      judgment: Judgments.nullable(),
      jobId: z.string().nullable(),
      /** Epoch milliseconds. */
      createdAt: z.number().int(),
    }),
  ),
  edges: z.array(z.object({ from: z.string(), to: z.string(), kind: LinkKinds })),
  generatedAt: z.number().int(),
});
export type PromptLineageMap = z.infer<typeof PromptLineageMapSchema>;
