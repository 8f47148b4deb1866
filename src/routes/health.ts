/**
 * GET /health: what each binding of wrangler.toml can do here, each checked as cheaply as it allows.
 * Storage gets a real round trip; Images reads the size of a 1×1 PNG; Workflows reads the status of
 * a job the engine is running, when there is one (a round trip to the engine, nothing created); the
 * queue sends one tiny probe message that its consumer acknowledges unread, at most once a minute
 * per isolate. The AI binding only runs remotely: under local development it is reported
 * `unavailable (remote-only)`.
 */

import { resolveKey, rootKeys } from "../auth/principal";
import { aiAvailable } from "../lib/ai";
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

const probes: Record<string, Probe> = {
  DB: async (env) => void (await env.DB.prepare("SELECT 1").first()),
  BUCKET: async (env) => void (await env.BUCKET.head("health/probe")),
  USER_PREFERENCES: async (env) => void (await env.USER_PREFERENCES.get("health/probe")),
  AGENTIC_MEMORIES: async (env) => void (await env.AGENTIC_MEMORIES.get("health/probe")),
  PICASSO_DO: (env) => void env.PICASSO_DO.idFromName("health"),
  PICASSO_WORKFLOW: async (env) => {
    // A job the engine is running now (among the newest few, so the read stays small): a real round
    // trip to it. Asking for a made-up or long-gone id would work too, but the local engine prints a
    // stack for every unknown id. With nothing running there is nothing to ask; the binding is there.
    const newest = await env.DB.prepare(
      `SELECT id FROM (SELECT id, status, heartbeat_at FROM jobs ORDER BY rowid DESC LIMIT 20)
       WHERE status = 'running' AND heartbeat_at > ? LIMIT 1`,
    )
      .bind(Date.now() - 60_000)
      .first<{ id: string }>();
    if (!newest) return "ok" as const;
    try {
      await (await env.PICASSO_WORKFLOW.get(newest.id)).status();
    } catch (err) {
      // "not found" (an instance past its retention) is the engine answering: the binding works.
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
  AI: (env) => (aiAvailable(env) ? ("ok" as const) : ("unavailable (remote-only)" as const)),
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
  scope: "public",
  path: "/",
  tags: ["Health"],
  summary: "Binding health",
  description:
    "Open: anonymous callers get the status only (`{ ok }`, from the critical bindings). With a valid X-Api-Key the answer also names each binding's status.",
  responses: {
    200: jsonResponse(
      HealthSchema,
      "ok is false when a critical binding fails; bindings only for a valid key",
    ),
  },
});

/** True when the request carries a valid key (a wrong one is not an error here: /health is open). */
async function keyed(env: AppEnv, presented: string | undefined): Promise<boolean> {
  if (!presented) return false;
  const resolution = await resolveKey(env.DB, rootKeys(env.API_KEYS), presented, Date.now()).catch(
    () => null,
  );
  return resolution?.ok === true;
}

export const healthRoutes = createRouter().openapi(healthRoute, async (c) => {
  const detailed = await keyed(c.env, c.req.header("x-api-key"));
  // Anonymous callers learn the status only: the critical probes decide it, nothing else is named.
  const names = detailed ? Object.keys(probes) : CRITICAL;
  const entries = await Promise.all(
    names.map(
      async (name) => [name, await check(name, probes[name] ?? (() => "ok" as const), c.env)] as const,
    ),
  );
  const bindings = Object.fromEntries(entries);
  const ok = CRITICAL.every((name) => bindings[name] === "ok");
  return c.json(detailed ? { ok, bindings } : { ok }, 200);
});
