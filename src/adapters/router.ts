/** The provider registry: which adapter serves which provider id. */
import type { ProviderId } from "../schemas/common";
import { localAdapter } from "./local/local.adapter";
import { type ProviderAdapter, ProviderError } from "./provider.types";

const SECRET_OF = { openai: "OPENAI_API_KEY", gemini: "GEMINI_API_KEY" } as const;

/**
 * A provider this deployment cannot call: its tasks fail at once with a clear message (never the
 * whole job). The live adapters replace these entries.
 */
function unavailable(id: Exclude<ProviderId, "local">): ProviderAdapter {
  return {
    id,
    supports: [],
    run: async (_op, env) => {
      const secret = id === "workers" ? undefined : SECRET_OF[id];
      const configured = secret !== undefined && Boolean(env[secret]);
      const message =
        id === "workers"
          ? "workers is not available: the Workers AI adapter is not part of this deployment"
          : configured
            ? `${id} is not available: its adapter is not part of this deployment`
            : `${id} is not configured: set ${secret}`;
      throw new ProviderError(message, { retryable: false });
    },
  };
}

const adapters: Record<ProviderId, ProviderAdapter> = {
  local: localAdapter,
  openai: unavailable("openai"),
  gemini: unavailable("gemini"),
  workers: unavailable("workers"),
};

export function getAdapter(id: ProviderId): ProviderAdapter {
  return adapters[id];
}
