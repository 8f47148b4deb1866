/**
 * What a provider call costs, estimated from a documented price table (USD per image, by provider
 * and model; published list prices, checked 2026-12) that the variable PRICES_JSON can override,
 * e.g. `{"openai:gpt-image-1":0.04,"gemini":0.039}` (a `provider:model` entry beats a `provider`
 * entry). Where the provider reports token usage (OpenAI), the estimate is from tokens instead.
 * `local` costs nothing. An estimate, never a bill: say so wherever it is shown.
 */
import { z } from "zod";
import type { AppEnv } from "../lib/env";
import type { ProviderId } from "../lib/vocabulary";

/** USD per image at the default size and quality. */
export const PRICE_TABLE: Record<string, number> = {
  local: 0,
  // OpenAI gpt-image-1, medium quality, 1024×1024 (1536-wide sizes ≈ 1.5×).
  "openai:gpt-image-1": 0.042,
  "openai:gpt-image-1-mini": 0.011,
  openai: 0.042,
  // Gemini 2.5 Flash Image: 1290 output tokens × $30 / 1M.
  "gemini:gemini-2.5-flash-image": 0.039,
  gemini: 0.039,
  // Workers AI: neurons per image × $0.011 / 1,000 neurons (flux-1-schnell, 4 steps ≈ 4.8 neurons).
  "workers:@cf/black-forest-labs/flux-1-schnell": 0.000053,
  workers: 0.0001,
};

/** OpenAI image token prices (USD per token) for gpt-image-1. */
const OPENAI_TOKEN_PRICE = { textInput: 5 / 1e6, imageInput: 10 / 1e6, output: 40 / 1e6 };

const Overrides = z.record(z.string(), z.number().min(0));
const OpenAiUsage = z.object({
  input_tokens_details: z.object({ text_tokens: z.number(), image_tokens: z.number() }).partial().optional(),
  input_tokens: z.number().optional(),
  output_tokens: z.number().optional(),
});

function overrides(env: AppEnv): Record<string, number> {
  if (!env.PRICES_JSON) return {};
  try {
    const parsed = Overrides.safeParse(JSON.parse(env.PRICES_JSON));
    return parsed.success ? parsed.data : {};
  } catch {
    return {};
  }
}

const round = (usd: number) => Math.round(usd * 1e6) / 1e6;

/** The estimated cost in USD of one result, or null when nothing in the table covers it. */
export function estimateCost(
  env: AppEnv,
  provider: ProviderId,
  model: string,
  usage: Record<string, unknown> | undefined,
): number | null {
  const overridden = overrides(env);
  const table = { ...PRICE_TABLE, ...overridden };
  const listed = table[`${provider}:${model}`] ?? table[provider];
  if (provider === "openai" && usage && overridden[`${provider}:${model}`] === undefined) {
    const u = OpenAiUsage.safeParse(usage);
    if (u.success && u.data.output_tokens !== undefined) {
      const text = u.data.input_tokens_details?.text_tokens ?? u.data.input_tokens ?? 0;
      const image = u.data.input_tokens_details?.image_tokens ?? 0;
      return round(
        text * OPENAI_TOKEN_PRICE.textInput +
          image * OPENAI_TOKEN_PRICE.imageInput +
          u.data.output_tokens * OPENAI_TOKEN_PRICE.output,
      );
    }
  }
  return listed === undefined ? null : round(listed);
}
