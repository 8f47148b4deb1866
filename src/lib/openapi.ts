/** OpenAPI-aware routers: every route validates with the zod schemas the document is built from. */
import { createRoute, OpenAPIHono, type RouteConfig } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { requireScope } from "../auth/middleware";
import type { RouteScope } from "../auth/scopes";
import { bodyDeadline, limitBody, MAX_JSON_BYTES, requireJson } from "../middleware/body";
import { ErrorSchema } from "../schemas/common";
import { StreamEnvelopeSchema, StreamEventSchemas } from "../schemas/stream";
import { JobWebhookSchema, TaskWebhookSchema, WebhookHeadersSchema } from "../schemas/webhooks";
import type { HonoEnv } from "./hono";
import { invalidRequest } from "./validation";

/** A sub-app whose validation failures all throw the same 400 envelope. */
export function createRouter(): OpenAPIHono<HonoEnv> {
  return new OpenAPIHono<HonoEnv>({
    defaultHook: (result) => {
      if (!result.success) throw invalidRequest(result.error);
    },
  });
}

/** A required JSON request body described by `schema`. */
export function jsonBody<S>(schema: S, description?: string) {
  return { required: true, description, content: { "application/json": { schema } } } as const;
}

/** A JSON response described by `schema`. */
export function jsonResponse<S>(schema: S, description: string) {
  return { description, content: { "application/json": { schema } } } as const;
}

const errorResponse = (description: string) => jsonResponse(ErrorSchema, description);

/** The error responses every route may give, so the document states them once. */
export const commonErrors = {
  400: errorResponse("Invalid request (validation failed or malformed JSON)"),
  404: errorResponse("Not found"),
  500: errorResponse("Internal error"),
} as const;

/** The extra error responses of routes that take a JSON body. */
export const writeErrors = {
  413: errorResponse("Body too large"),
  415: errorResponse("Not JSON"),
} as const;

/** The responses of every route that needs a key (stated once, added by defineRoute). */
const keyErrors = {
  401: errorResponse("Missing, wrong, revoked or expired API key"),
  403: errorResponse("The key lacks the scope this route needs"),
  503: errorResponse("No API key configured: the API is disabled"),
} as const;

/**
 * createRoute plus the route's one access declaration and the body guards.
 * - `scope` says what the caller needs (src/auth/scopes.ts): it becomes both the check
 *   (`requireScope`, first in the route's middleware) and the operation's OpenAPI `security`
 *   (`[]` for `public`, else `[{ ApiKey: [scope] }]`), so the two cannot disagree.
 * - A route with a JSON body gets the 1 MiB cap and the JSON content-type check before its
 *   validator runs, so every JSON route fails the same way.
 */
export function defineRoute<const R extends Omit<RouteConfig, "security"> & { scope: RouteScope }>(
  config: R,
) {
  const { scope, ...route } = config;
  const takesJson = Boolean(route.request?.body?.content?.["application/json"]);
  // A write without a declared body (DELETE) still gets the cap: whatever a client sends is drained
  // under it, so a huge or endless body is a 413 there too, never read without a bound.
  const bodiless = route.method !== "get" && route.request?.body === undefined;
  const extra: MiddlewareHandler[] = takesJson
    ? [limitBody(MAX_JSON_BYTES), requireJson]
    : bodiless
      ? [limitBody(MAX_JSON_BYTES)]
      : [];
  const own = route.middleware
    ? Array.isArray(route.middleware)
      ? route.middleware
      : [route.middleware]
    : [];
  const guard: MiddlewareHandler[] = scope === "public" ? [] : [requireScope(scope)];
  // The body is read under a deadline last, after every size cap (they count what this read pulls).
  const last: MiddlewareHandler[] = takesJson || bodiless ? [bodyDeadline] : [];
  return createRoute({
    ...route,
    security: scope === "public" ? [] : [{ ApiKey: [scope] }],
    responses: scope === "public" ? route.responses : { ...keyErrors, ...route.responses },
    middleware: [...guard, ...extra, ...own, ...last],
  });
}

/**
 * Everything the document says beyond the routes: the key scheme, the stream's envelope and event
 * types, the completion webhooks (OpenAPI 3.1 `webhooks`), and GET /openapi.json itself with a
 * `servers` entry for the origin that serves it (so generated clients and "try it" point here).
 */
export function describeApi(app: OpenAPIHono<HonoEnv>): void {
  const registry = app.openAPIRegistry;
  registry.registerComponent("securitySchemes", "ApiKey", {
    type: "apiKey",
    in: "header",
    name: "X-Api-Key",
  });
  for (const [name, schema] of StreamEventSchemas) registry.register(name, schema);
  registry.register("StreamEnvelope", StreamEnvelopeSchema);
  const webhook = (
    name: string,
    events: string,
    schema: typeof JobWebhookSchema | typeof TaskWebhookSchema,
  ) => ({
    method: "post" as const,
    path: name,
    tags: ["Webhooks"],
    operationId: `${name}Webhook`,
    summary: `Sent to the job's webhook.url for ${events}`,
    description:
      "Signed per Standard Webhooks with WEBHOOK_SECRET; answer 2xx to acknowledge, 410 to stop; anything else is retried with backoff.",
    security: [],
    request: { headers: WebhookHeadersSchema, body: jsonBody(schema) },
    responses: {
      200: { description: "Delivered (any 2xx): never sent again" },
      410: { description: "Gone: stop sending this message" },
    },
  });
  registry.registerWebhook(webhook("jobEnded", "job.completed, job.failed, job.cancelled", JobWebhookSchema));
  registry.registerWebhook(webhook("taskEnded", "task.completed, task.failed", TaskWebhookSchema));
  app.doc31("/openapi.json", (c) => ({
    openapi: "3.1.0",
    info: {
      title: "Picasso backend API",
      version: "1.0.0",
      description: "One prompt, several image providers, judged, deduplicated, versioned and published.",
      license: { name: "Proprietary", identifier: "LicenseRef-Proprietary" },
    },
    servers: [{ url: new URL(c.req.url).origin, description: "This deployment" }],
  }));
}
