/** Sets the request id and the request logger, echoes X-Request-Id, logs one line per request. */
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { HonoEnv } from "../lib/hono";
import { newId } from "../lib/ids";
import { createLogger } from "../lib/logging";

const INCOMING_ID = /^[A-Za-z0-9_-]{8,128}$/;

/** Requests whose handler asked for no request line (one Hono Context per request). */
const unlogged = new WeakSet<Context>();

/**
 * Leaves this request's line out. Only for answers as cheap as a static file (a public page from
 * the Cache API): writing the line was the largest cost of such a request (in `wrangler dev`,
 * 1.5–2 ms of a 5 ms page's CPU, between the runtime and the process that prints it; a billed log
 * event in production), static files from the assets layer log none either, and the platform's
 * invocation log (wrangler.toml `observability`) still records every request. The X-Request-Id
 * header is sent all the same; an answer of 500 or more is logged whatever was asked.
 */
export function skipRequestLog(c: Context): void {
  unlogged.add(c);
}

export const requestContext = createMiddleware<HonoEnv>(async (c, next) => {
  const incoming = c.req.header("x-request-id");
  const requestId = incoming && INCOMING_ID.test(incoming) ? incoming : newId();
  const logger = createLogger({ requestId });
  c.set("requestId", requestId);
  c.set("logger", logger);
  const started = Date.now();
  await next();
  c.res.headers.set("X-Request-Id", requestId);
  if (unlogged.has(c) && c.res.status < 500) return;
  logger.info("request", {
    method: c.req.method,
    path: c.req.path,
    status: c.res.status,
    ms: Date.now() - started,
    // Which key acted (its id, never the key); absent on open routes.
    keyId: c.get("principal")?.keyId,
  });
});
