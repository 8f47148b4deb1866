/**
 * GET /health: what each binding of wrangler.toml can do here, each checked as cheaply as it allows.
 * Storage gets a real round trip; Images reads the size of a 1×1 PNG; Workflows asks for an instance
 * that does not exist (a round trip to the engine, nothing created); the queue sends one tiny probe
 * message that its consumer acknowledges unread, at most once a minute per isolate. The AI binding
 * only runs remotely: under local development it is reported `unavailable (remote-only)`.
 */

import type { AppEnv } from "../lib/env";
import { createLogger, describeError } from "../lib/logging";
import { createRouter, defineRoute, jsonResponse } from "../lib/openapi";
import { HEALTH_PROBE_KIND } from "../queues/view-message";
import { type BindingStatus, HealthSchema } from "../schemas/health";

type Probe = (env: AppEnv) => Promise<BindingStatus | undefined> | BindingStatus | undefined;

const log = createLogger({ module: "health" });

/** The smallest valid PNG (1×1, transparent). */
const PIXEL = Uint8Array.from(
  atob("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="),
  (ch) => ch.charCodeAt(0),
);

const QUEUE_PROBE_EVERY_MS = 60_000;
let lastQueueProbe = 0;

/** Local runs (wrangler dev, tests) have no AI binding that works: it needs a remote session. */
const isLocal = (env: AppEnv) => env.ENVIRONMENT === "development" || env.ENVIRONMENT === "test";

const probes: Record<string, Probe> = {
  DB: async (env) => void (await env.DB.prepare("SELECT 1").first()),
  BUCKET: async (env) => void (await env.BUCKET.head("health/probe")),
  USER_PREFERENCES: async (env) => void (await env.USER_PREFERENCES.get("health/probe")),
  AGENTIC_MEMORIES: async (env) => void (await env.AGENTIC_MEMORIES.get("health/probe")),
  PICASSO_DO: (env) => void env.PICASSO_DO.idFromName("health"),
  PICASSO_WORKFLOW: async (env) => {
    try {
      await env.PICASSO_WORKFLOW.get("health-probe-never-created");
    } catch (err) {
      // "not found" is the engine answering: the binding works.
      if (/not.?found/i.test(err instanceof Error ? err.message : String(err))) return "ok" as const;
      throw err;
    }
    return "ok" as const;
  },
  PICASSO_QUEUE: async (env) => {
    if (Date.now() - lastQueueProbe < QUEUE_PROBE_EVERY_MS) return "ok" as const;
    await env.PICASSO_QUEUE.send({ kind: HEALTH_PROBE_KIND, ts: Date.now() });
    lastQueueProbe = Date.now();
    return "ok" as const;
  },
  IMAGES: async (env) => {
    const info = await env.IMAGES.info(new Blob([PIXEL]).stream());
    if (!("width" in info) || info.width !== 1) throw new Error("Images returned no size for a 1×1 PNG");
    return "ok" as const;
  },
  AI: (env) => (isLocal(env) ? ("unavailable (remote-only)" as const) : ("ok" as const)),
  ASSETS: () => "ok" as const,
};

/** Critical bindings: without them no request can be served. */
const CRITICAL = ["DB", "BUCKET", "PICASSO_DO"];

async function check(name: string, probe: Probe, env: AppEnv): Promise<BindingStatus> {
  const binding = (env as unknown as Record<string, unknown>)[name];
  if (binding === undefined || binding === null) return "missing";
  try {
    return (await probe(env)) ?? "ok";
  } catch (err) {
    log.warn("health.binding_failed", { binding: name, ...describeError(err) });
    return "error";
  }
}

const healthRoute = defineRoute({
  method: "get",
  operationId: "getHealth",
  security: [],
  path: "/",
  tags: ["Health"],
  summary: "Binding health",
  responses: {
    200: jsonResponse(HealthSchema, "Each binding's status; ok is false when a critical one fails"),
  },
});

export const healthRoutes = createRouter().openapi(healthRoute, async (c) => {
  const entries = await Promise.all(
    Object.entries(probes).map(async ([name, probe]) => [name, await check(name, probe, c.env)] as const),
  );
  const bindings = Object.fromEntries(entries);
  const ok = CRITICAL.every((name) => bindings[name] === "ok");
  return c.json({ ok, bindings }, 200);
});
