/** GET /api/providers: each provider, whether it can run here (configuration only), its op kinds. */
import { listAdapters } from "../adapters/router";
import { commonErrors, createRouter, defineRoute, jsonResponse } from "../lib/openapi";
import { ProviderListSchema } from "../schemas/providers";

const listRoute = defineRoute({
  method: "get",
  operationId: "listProviders",
  scope: "read",
  path: "/",
  tags: ["Providers"],
  summary: "The image providers and whether each can run here",
  description:
    "Read from configuration only (API keys, settings, whether the AI binding runs here); no provider is called. " +
    "A job may still request a provider that is not ready: its tasks fail with `reason`.",
  responses: { 200: jsonResponse(ProviderListSchema, "Every provider, local first"), ...commonErrors },
});

export const providersRoutes = createRouter().openapi(listRoute, (c) => {
  const providers = listAdapters().map((adapter) => {
    const reason = adapter.unavailable(c.env);
    return {
      id: adapter.id,
      ready: reason === null,
      ...(reason ? { reason } : {}),
      supports: [...adapter.supports],
    };
  });
  return c.json({ providers }, 200);
});
