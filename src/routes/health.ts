/** GET /health: every binding of wrangler.toml, each checked as cheaply as it allows. */
import type { AppEnv } from "../lib/env";
import { createLogger, describeError } from "../lib/logging";
import { createRouter, defineRoute, jsonResponse } from "../lib/openapi";
import { HealthSchema } from "../schemas/health";

type Status = "ok" | "error" | "missing";
type Probe = (env: AppEnv) => Promise<unknown> | unknown;

const log = createLogger({ module: "health" });

/**
 * Storage bindings get a real round trip; the others are checked for presence, because probing
 * them would cost money (AI), enqueue work (queue) or create instances (DO, workflow).
 */
const probes: Partial<Record<keyof AppEnv, Probe | null>> = {
  DB: (env) => env.DB.prepare("SELECT 1").first(),
  BUCKET: (env) => env.BUCKET.head("health/probe"),
  USER_PREFERENCES: (env) => env.USER_PREFERENCES.get("health/probe"),
  AGENTIC_MEMORIES: (env) => env.AGENTIC_MEMORIES.get("health/probe"),
  PICASSO_DO: (env) => env.PICASSO_DO.idFromName("health"),
  PICASSO_WORKFLOW: null,
  PICASSO_QUEUE: null,
  IMAGES: null,
  AI: null,
  ASSETS: null,
};

/** Critical bindings: without them no request can be served. */
const CRITICAL = ["DB", "BUCKET", "PICASSO_DO"];

async function check(name: keyof AppEnv, probe: Probe | null, env: AppEnv): Promise<Status> {
  if (env[name] === undefined || env[name] === null) return "missing";
  try {
    await probe?.(env);
    return "ok";
  } catch (err) {
    log.warn("health.binding_failed", { binding: name, ...describeError(err) });
    return "error";
  }
}

const healthRoute = defineRoute({
  method: "get",
  path: "/",
  tags: ["Health"],
  summary: "Binding health",
  responses: {
    200: jsonResponse(HealthSchema, "Each binding's status; ok is false when a critical one fails"),
  },
});

export const healthRoutes = createRouter().openapi(healthRoute, async (c) => {
  const entries = await Promise.all(
    Object.entries(probes).map(
      async ([name, probe]) => [name, await check(name as keyof AppEnv, probe, c.env)] as const,
    ),
  );
  const bindings = Object.fromEntries(entries);
  const ok = CRITICAL.every((name) => bindings[name] === "ok");
  return c.json({ ok, bindings }, 200);
});
