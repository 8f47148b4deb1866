/** prompt-recipe-card (json): per image, the provider, model, prompts, tips, kind and inputs that made it. */
import type { DocumentSpec } from "../documents";
import { jsonDocument } from "../json-document";
import type { ProjectData } from "../project-data";
import type { PromptRecipeCard } from "./schema";

export function recipeCard(data: ProjectData, now: number): PromptRecipeCard {
  return {
    projects: data.projects.map((p) => ({ id: p.id, name: p.name })),
    recipes: data.steps.map((s) => {
      const p = s.progression;
      const seed = p.providerMeta.seed;
      return {
        progressionId: p.id,
        provider: p.provider,
        model: s.provider.model,
        prompt: p.prompt,
        refinedPrompt: p.refinedPrompt,
        appliedTips: s.appliedTips,
        kind: s.job?.kind ?? "generate",
        variantIndex: p.variantIndex,
        attempt: s.task?.attempt ?? 0,
        startImageUrl: p.startImageUrl,
        continuedFrom: s.job?.parentProgressionId ?? null,
        link: s.parent?.kind ?? null,
        rollbackOf: s.parent?.kind === "rollback" ? s.parent.id : null,
        seed: typeof seed === "string" ? seed : null,
        judgment: p.judgment,
      };
    }),
    generatedAt: now,
  };
}

export const promptRecipeCard: DocumentSpec = {
  id: "prompt-recipe-card",
  name: "Prompt recipe card",
  output: "json",
  description:
    "JSON recipes: for every image the provider, model, prompt, refined prompt, applied tips, kind, start image and verdict needed to make it again.",
  async build(_input, data) {
    return jsonDocument(recipeCard(data, Date.now()));
  },
};
