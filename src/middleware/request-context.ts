/** Sets the request id and the request logger, echoes X-Request-Id, logs one line per request. */
import { createMiddleware } from "hono/factory";
import type { HonoEnv } from "../lib/hono";
import { newId } from "../lib/ids";
import { createLogger } from "../lib/logging";

const INCOMING_ID = /^[A-Za-z0-9_-]{8,128}$/;

export const requestContext = createMiddleware<HonoEnv>(async (c, next) => {
  const incoming = c.req.header("x-request-id");
  const requestId = incoming && INCOMING_ID.test(incoming) ? incoming : newId();
  const logger = createLogger({ requestId });
  c.set("requestId", requestId);
  c.set("logger", logger);
  const started = Date.now();
  await next();
  c.res.headers.set("X-Request-Id", requestId);
  logger.info("request", {
    method: c.req.method,
    path: c.req.path,
    status: c.res.status,
    ms: Date.now() - started,
    // Which key acted (its id, never the key); absent on open routes.
    keyId: c.get("principal")?.keyId,
  });
});
