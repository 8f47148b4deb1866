/** GET /api/providers: each provider, whether it can run here (configuration only), its op kinds. */
import { PARAMETERS, type Parameter, type ParamSupport } from "../adapters/params";
import type { ProviderAdapter } from "../adapters/provider.types";
import { listAdapters } from "../adapters/router";
import { commonErrors, createRouter, defineRoute, jsonResponse } from "../lib/openapi";
import { ProviderListSchema } from "../schemas/providers";

const listRoute = defineRoute({
  method: "get",
  operationId: "listProviders",
  scope: "read",
  path: "/",
  tags: ["Providers"],
  summary:
    "The image providers, whether each can run here, and what each does with every generation parameter",
  description:
    "Read from configuration only (API keys, settings, whether the AI binding runs here); no provider is called. " +
    "A job may still request a provider that is not ready: its tasks fail with `reason`.",
  responses: { 200: jsonResponse(ProviderListSchema, "Every provider, local first"), ...commonErrors },
});

/** What the adapter publishes about its parameters (in PARAMETERS order), models and sizes. */
function capabilitiesOf({ capabilities }: ProviderAdapter) {
  return {
    parameters: Object.fromEntries(PARAMETERS.map((p) => [p, capabilities.parameters[p]])) as Record<
      Parameter,
      ParamSupport
    >,
    models: [...capabilities.models],
    sizes: capabilities.sizes === "any" ? ("any" as const) : [...capabilities.sizes],
  };
}

export const providersRoutes = createRouter().openapi(listRoute, (c) => {
  const providers = listAdapters().map((adapter) => {
    const reason = adapter.unavailable(c.env);
    return {
      id: adapter.id,
      ready: reason === null,
      ...(reason ? { reason } : {}),
      supports: [...adapter.supports],
      ...capabilitiesOf(adapter),
    };
  });
  return c.json({ providers }, 200);
});
