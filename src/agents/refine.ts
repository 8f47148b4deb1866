/**
 * Rule-based prompt refinement from the knowledge base: deterministic, offline. Each tip of the
 * provider that carries an `append` phrase adds it unless the prompt already says it.
 */
import type { KnowledgeTip } from "../types/domain";

export const MAX_REFINED_PROMPT = 4000;

export interface Refinement {
  refinedPrompt: string;
  appliedTips: string[];
  mode: "rules";
}

export function refineWithRules(prompt: string, tips: KnowledgeTip[]): Refinement {
  const base = prompt.trim().replace(/\s+/g, " ");
  const lower = base.toLowerCase();
  const additions: string[] = [];
  const appliedTips: string[] = [];
  for (const tip of [...tips].sort((a, b) => a.key.localeCompare(b.key))) {
    if (!tip.append) continue;
    const phrase = tip.append.trim();
    if (phrase === "" || lower.includes(phrase.toLowerCase())) continue;
    if (base.length + additions.join(", ").length + phrase.length + 4 > MAX_REFINED_PROMPT) break;
    additions.push(phrase);
    appliedTips.push(tip.key);
  }
  const refinedPrompt =
    additions.length > 0 ? `${base.replace(/[.,;\s]+$/, "")}, ${additions.join(", ")}` : base;
  return { refinedPrompt, appliedTips, mode: "rules" };
}
