/**
 * Development-only tools (ENVIRONMENT=development, i.e. `npm run dev`): publish events to a session so
 * a frontend or the fan-out benchmark can drive a stream without running jobs. Everywhere else these
 * routes answer 404, exactly like an unknown route.
 */
import { z } from "@hono/zod-openapi";
import { createMiddleware } from "hono/factory";
import { envelopeFrame } from "../durable-objects/event-log";
import { sessionActor } from "../lib/actor";
import { ApiError } from "../lib/errors";
import type { HonoEnv } from "../lib/hono";
import { commonErrors, createRouter, defineRoute, jsonBody, jsonResponse, writeErrors } from "../lib/openapi";
import { PublishEventSchema, SessionIdSchema } from "../lib/ws-events";

const devOnly = createMiddleware<HonoEnv>(async (c, next) => {
  if (c.env.ENVIRONMENT !== "development")
    throw new ApiError("not_found", `No route for ${c.req.method} ${c.req.path}`);
  return next();
});

const PublishBatchSchema = z
  .object({
    events: z.array(PublishEventSchema).min(1).max(1000),
    log: z
      .boolean()
      .default(true)
      .openapi({ description: "false: broadcast without storing or numbering (the bare-hub baseline)" }),
  })
  .openapi("DevPublishBatch");

const publishRoute = defineRoute({
  method: "post",
  path: "/sessions/{sessionId}/events",
  tags: ["Development"],
  summary: "Publish events to a session (ENVIRONMENT=development only)",
  security: [{ ApiKey: [] }],
  middleware: [devOnly],
  request: {
    params: z.object({ sessionId: SessionIdSchema.openapi({ param: { name: "sessionId", in: "path" } }) }),
    body: jsonBody(PublishBatchSchema),
  },
  responses: {
    202: jsonResponse(
      z.object({ published: z.number().int(), lastSeq: z.number().int().nullable() }),
      "Published",
    ),
    ...commonErrors,
    ...writeErrors,
  },
});

export const devRoutes = createRouter().openapi(publishRoute, async (c) => {
  const { sessionId } = c.req.valid("param");
  const { events, log } = c.req.valid("json");
  const actor = sessionActor(c.env, sessionId);
  if (!log) {
    const now = Date.now();
    const frames = events.map((e, i) => envelopeFrame(sessionId, e.type, now, i + 1, JSON.stringify(e.data)));
    await actor.broadcastUnlogged(frames);
    return c.json({ published: events.length, lastSeq: null }, 202);
  }
  const result = await actor.publishAll(sessionId, events);
  if (!result.ok) throw new ApiError("invalid_request", result.message, { details: result.details });
  return c.json({ published: events.length, lastSeq: result.seq }, 202);
});
