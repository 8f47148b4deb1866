/** Prompt refinement by the reasoning model, falling back to the rule-based refiner when the model is unavailable or off. */
import { z } from "zod";
import { isAiRemoteOnly, runAi } from "../lib/ai";
import type { AppEnv } from "../lib/env";
import { createLogger, describeError } from "../lib/logging";
import type { ProviderId } from "../schemas/common";
import type { KnowledgeTip } from "../types/domain";
import { refineWithRules } from "./refine";

const log = createLogger({ module: "refine-model" });

/** Hard cap on a model-refined prompt, whatever the original's length. */
export const MAX_MODEL_PROMPT = 1000;
/** Tokens the model may spend: a paragraph of ≤ 1000 chars is ~250 tokens, so this leaves headroom. */
const MAX_TOKENS = 400;

/** A refined prompt and how it was made; `note` says why the rules were used instead of the model. */
export interface ModelRefinement {
  refinedPrompt: string;
  appliedTips: string[];
  mode: "model" | "rules";
  note?: string;
}

const OutputSchema = z.object({ response: z.string() });

/** Openers models put before the answer ("Here is the refined prompt:", "Refined prompt -"). */
const PREAMBLE =
  /^(?:(?:sure|okay|ok|certainly)[,!.]?\s*)?(?:here(?:'s| is)\s+(?:the|your|a)\s+)?(?:refined|rewritten|improved|new)?\s*prompt\s*(?:for\s+[\w\s.-]+?)?\s*[:\-–—]\s*/i;
/** Quotes wrapping the whole answer (a quote only at the end may close quoted text in the prompt). */
const WRAPPED = /^["“‘`]+([^"“”]*?)["”’`]+$/;

/** Longest acceptable output for `original`: ≤ 1000 chars and ≤ 4× the original + 200. */
export function maxRefinedLength(original: string): number {
  return Math.min(MAX_MODEL_PROMPT, original.trim().length * 4 + 200);
}

/**
 * Strips fences, a leading "Here is the refined prompt:" and wrapping quotes, and joins lines into
 * one paragraph. Throws when the result is empty or longer than `maxRefinedLength(original)`.
 */
export function cleanModelPrompt(raw: string, original: string): string {
  const text = raw
    .replace(/```[a-z]*\n?|```/gi, "")
    .trim()
    .replace(PREAMBLE, "")
    .trim()
    .replace(WRAPPED, "$1")
    .replace(/\s+/g, " ")
    .trim();
  if (text === "") throw new Error("model output rejected: empty prompt");
  const max = maxRefinedLength(original);
  if (text.length > max) throw new Error(`model output rejected: ${text.length} chars (max ${max})`);
  return text;
}

function messages(prompt: string, provider: ProviderId, tips: KnowledgeTip[]) {
  const tipLines = tips.map(
    (t) => `- [${t.key}] ${t.tip}${t.append ? ` (suggested phrase: ${t.append})` : ""}`,
  );
  const system = [
    `You rewrite image-generation prompts for the "${provider}" image provider.`,
    "Keep the user's intent: same subject, setting and constraints; add no new subjects.",
    "Use the provider tips where they help.",
    "Answer with the rewritten prompt only: one paragraph, no preamble, no quotes, no explanation.",
  ].join("\n");
  const user = [`Prompt: ${prompt.trim()}`, "Tips:", ...(tipLines.length > 0 ? tipLines : ["- none"])].join(
    "\n",
  );
  return [
    { role: "system", content: system },
    { role: "user", content: user },
  ];
}

function reason(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  if (isAiRemoteOnly(err)) return "model refinement unavailable: the AI binding is remote-only";
  if (message.startsWith("model output rejected")) return message;
  return `model refinement unavailable: ${message}`;
}

/**
 * Rewrites `prompt` for `provider` with the reasoning model, given every tip (`appliedTips` are all
 * tip keys shown to the model). Any failure (binding error, unexpected shape, empty or overlong
 * text) falls back to `refineWithRules` with `mode: "rules"` and a `note` saying why.
 */
export async function refinePrompt(
  env: AppEnv,
  prompt: string,
  provider: ProviderId,
  tips: KnowledgeTip[],
): Promise<ModelRefinement> {
  try {
    const raw = await runAi(env, env.DEFAULT_MODEL_REASONING, {
      messages: messages(prompt, provider, tips),
      max_tokens: MAX_TOKENS,
    });
    const output = OutputSchema.safeParse(raw);
    if (!output.success) throw new Error("model output rejected: no text response");
    const refinedPrompt = cleanModelPrompt(output.data.response, prompt);
    return { refinedPrompt, appliedTips: tips.map((t) => t.key), mode: "model" };
  } catch (err) {
    const note = reason(err);
    // The remote-only binding is the normal offline case: runAi logged it once per isolate.
    if (!isAiRemoteOnly(err)) log.warn("refine.fallback", { ...describeError(err), note });
    const rules = refineWithRules(prompt, tips);
    return { ...rules, mode: "rules", note };
  }
}
