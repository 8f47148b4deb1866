/** GET/PUT /api/preferences — the caller's job defaults (providers, variants, autoRetry). */
import type { Context } from "hono";
import { getPreferences, putPreferences } from "../db/preferences";
import { ApiError } from "../lib/errors";
import type { HonoEnv } from "../lib/hono";
import { commonErrors, createRouter, defineRoute, jsonBody, jsonResponse, writeErrors } from "../lib/openapi";
import { configuredKeys, keyFingerprint, matchesAnyKey } from "../lib/security";
import { PreferencesSchema } from "../schemas/preferences";

const tags = ["Preferences"];
const auth = { security: [{ ApiKey: [] }] };

/** Preferences belong to a key, so even the GET needs one (writes are checked by the middleware). */
async function callerFingerprint(c: Context<HonoEnv>): Promise<string> {
  const presented = c.get("apiKey") ?? c.req.header("x-api-key");
  const keys = configuredKeys(c.env.API_KEYS);
  if (keys.length === 0)
    throw new ApiError("not_configured", "No API key is configured: preferences are disabled");
  if (!presented) throw new ApiError("unauthorized", "Missing X-Api-Key header");
  if (!(await matchesAnyKey(presented, keys))) throw new ApiError("unauthorized", "Invalid API key");
  return keyFingerprint(presented);
}

const getRoute = defineRoute({
  method: "get",
  operationId: "getPreferences",
  path: "/",
  tags,
  summary: "The caller's job defaults",
  ...auth,
  responses: {
    200: jsonResponse(PreferencesSchema, "Stored preferences ({} when none)"),
    ...commonErrors,
    ...writeErrors,
  },
});

const putRoute = defineRoute({
  method: "put",
  operationId: "putPreferences",
  path: "/",
  tags,
  summary: "Replace the caller's job defaults",
  ...auth,
  request: { body: jsonBody(PreferencesSchema) },
  responses: {
    200: jsonResponse(PreferencesSchema, "The stored preferences"),
    ...commonErrors,
    ...writeErrors,
  },
});

export const preferencesRoutes = createRouter()
  .openapi(getRoute, async (c) =>
    c.json(await getPreferences(c.env.USER_PREFERENCES, await callerFingerprint(c)), 200),
  )
  .openapi(putRoute, async (c) => {
    const prefs = c.req.valid("json");
    await putPreferences(c.env.USER_PREFERENCES, await callerFingerprint(c), prefs);
    return c.json(prefs, 200);
  });
