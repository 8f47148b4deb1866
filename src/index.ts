/** Worker entry: the HTTP app, plus the Durable Object and Workflow classes wrangler.toml binds. */
import { createApp } from "./app";
import { meteredDb, meteringOn } from "./db/meter";
import type { AppEnv } from "./lib/env";
import { createLogger } from "./lib/logging";
import { consumeQueue } from "./queues/consumer";

export { PicassoDurableObject } from "./durable-objects/picasso.do";
export { PicassoWorkflow } from "./workflows/picasso.workflow";

const app = createApp();
/** Built on first use: only a development server ever has the /api/dev tools. */
let devApp: ReturnType<typeof createApp> | null = null;

function route(request: Request, env: AppEnv, ctx: ExecutionContext): Response | Promise<Response> {
  if (env.ENVIRONMENT !== "development") return app.fetch(request, env, ctx);
  devApp ??= createApp({ dev: true });
  return devApp.fetch(request, env, ctx);
}

const meterLog = createLogger({ module: "d1-meter" });

/**
 * D1_METER=1 (benchmarks): the request runs on a metered `env.DB`; once the response and the
 * waitUntil work it started have settled, one `d1` line says what the request cost in D1.
 */
async function meteredFetch(request: Request, env: AppEnv, ctx: ExecutionContext): Promise<Response> {
  const { db, tally } = meteredDb(env.DB);
  const pending: Promise<unknown>[] = [];
  const tracked = new Proxy(ctx, {
    get(target, key) {
      if (key === "waitUntil")
        return (promise: Promise<unknown>) => {
          pending.push(promise);
          target.waitUntil(promise);
        };
      const value = Reflect.get(target, key, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  const response = await route(request, { ...env, DB: db }, tracked);
  const settled = async () => {
    // waitUntil work may add more waitUntil work: wait until nothing new was added.
    for (let seen = 0; seen < pending.length; ) {
      const batch = pending.slice(seen);
      seen = pending.length;
      await Promise.allSettled(batch);
    }
    meterLog.info("d1", {
      scope: "request",
      method: request.method,
      path: new URL(request.url).pathname,
      status: response.status,
      requestId: response.headers.get("x-request-id") ?? undefined,
      ...tally,
    });
  };
  ctx.waitUntil(settled());
  return response;
}

export default {
  fetch(request: Request, env: AppEnv, ctx: ExecutionContext) {
    if (!meteringOn(env)) return route(request, env, ctx);
    return meteredFetch(request, env, ctx);
  },
  async queue(batch: MessageBatch<unknown>, env: AppEnv, _ctx: ExecutionContext): Promise<void> {
    if (!meteringOn(env)) return consumeQueue(batch, env);
    const { db, tally } = meteredDb(env.DB);
    try {
      await consumeQueue(batch, { ...env, DB: db });
    } finally {
      meterLog.info("d1", { scope: "queue", queue: batch.queue, messages: batch.messages.length, ...tally });
    }
  },
} satisfies ExportedHandler<AppEnv>;
