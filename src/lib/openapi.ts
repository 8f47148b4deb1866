/** OpenAPI-aware routers: every route validates with the zod schemas the document is built from. */
import { createRoute, OpenAPIHono, type RouteConfig } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { limitBody, MAX_JSON_BYTES, requireJson } from "../middleware/body";
import { ErrorSchema } from "../schemas/common";
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

/** The extra error responses of routes that need X-Api-Key and take a JSON body. */
export const writeErrors = {
  401: errorResponse("Missing or wrong X-Api-Key"),
  413: errorResponse("Body too large"),
  415: errorResponse("Not JSON"),
  503: errorResponse("No API key configured: writes are refused"),
} as const;

/**
 * createRoute plus the body guards: a route with a JSON body gets the 1 MiB cap and the JSON
 * content-type check before its validator runs, so every JSON route fails the same way.
 */
export function defineRoute<const R extends RouteConfig>(config: R) {
  const takesJson = Boolean(config.request?.body?.content?.["application/json"]);
  const extra: MiddlewareHandler[] = takesJson ? [limitBody(MAX_JSON_BYTES), requireJson] : [];
  const own = config.middleware
    ? Array.isArray(config.middleware)
      ? config.middleware
      : [config.middleware]
    : [];
  return createRoute({ ...config, middleware: [...extra, ...own] });
}
