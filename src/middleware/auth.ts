/** Every non-GET /api/* route needs an X-Api-Key matching one of the configured API_KEYS. */
import { createMiddleware } from "hono/factory";
import { ApiError } from "../lib/errors";
import type { HonoEnv } from "../lib/hono";
import { configuredKeys, matchesAnyKey } from "../lib/security";

const OPEN_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export const requireApiKey = createMiddleware<HonoEnv>(async (c, next) => {
  if (OPEN_METHODS.has(c.req.method)) return next();
  const keys = configuredKeys(c.env.API_KEYS);
  // Fail closed: without configured keys no write is allowed at all.
  if (keys.length === 0)
    throw new ApiError("not_configured", "No API key is configured: writes are disabled");
  const presented = c.req.header("x-api-key");
  if (!presented) throw new ApiError("unauthorized", "Missing X-Api-Key header");
  if (!(await matchesAnyKey(presented, keys))) throw new ApiError("unauthorized", "Invalid API key");
  c.set("apiKey", presented);
  return next();
});
