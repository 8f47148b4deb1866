/** The provider registry: which adapter serves which provider id. */
import type { ProviderId } from "../schemas/common";
import { geminiAdapter } from "./gemini/gemini.adapter";
import { localAdapter } from "./local/local.adapter";
import { openaiAdapter } from "./openai/openai.adapter";
import type { ProviderAdapter } from "./provider.types";
import { workersAdapter } from "./workers/workers.adapter";

/**
 * Every provider has a live adapter. One without its configuration (a missing API key, or the AI
 * binding outside a deployment) fails its own tasks at once with a clear, non-retryable message;
 * the job goes on with the others.
 */
const adapters: Record<ProviderId, ProviderAdapter> = {
  local: localAdapter,
  openai: openaiAdapter,
  gemini: geminiAdapter,
  workers: workersAdapter,
};

/** The adapter that serves a provider id. */
export function getAdapter(id: ProviderId): ProviderAdapter {
  return adapters[id];
}

/** Every adapter, local first (the order clients show them in). */
export function listAdapters(): ProviderAdapter[] {
  return Object.values(adapters);
}
