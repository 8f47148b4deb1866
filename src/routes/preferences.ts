/** GET/PUT /api/preferences — the caller's owner's job defaults (providers, variants, autoRetry). */
import { ownerOf } from "../auth/ownership";
import { getPreferences, putPreferences } from "../db/preferences";
import { commonErrors, createRouter, defineRoute, jsonBody, jsonResponse, writeErrors } from "../lib/openapi";
import { PreferencesSchema } from "../schemas/preferences";

const tags = ["Preferences"];

const getRoute = defineRoute({
  method: "get",
  operationId: "getPreferences",
  path: "/",
  tags,
  summary: "The caller's job defaults",
  scope: "read",
  responses: {
    200: jsonResponse(PreferencesSchema, "Stored preferences ({} when none)"),
    ...commonErrors,
  },
});

const putRoute = defineRoute({
  method: "put",
  operationId: "putPreferences",
  path: "/",
  tags,
  summary: "Replace the caller's job defaults",
  scope: "write",
  request: { body: jsonBody(PreferencesSchema) },
  responses: {
    200: jsonResponse(PreferencesSchema, "The stored preferences"),
    ...commonErrors,
    ...writeErrors,
  },
});

export const preferencesRoutes = createRouter()
  .openapi(getRoute, async (c) => c.json(await getPreferences(c.env.USER_PREFERENCES, ownerOf(c)), 200))
  .openapi(putRoute, async (c) => {
    const prefs = c.req.valid("json");
    await putPreferences(c.env.USER_PREFERENCES, ownerOf(c), prefs);
    return c.json(prefs, 200);
  });
