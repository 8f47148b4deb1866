/** GET /api/stream/:sessionId — the live event stream of one session, over WebSocket. */
import { z } from "@hono/zod-openapi";
import { principalOf } from "../auth/middleware";
import { sessionActor } from "../lib/actor";
import { ApiError } from "../lib/errors";
import { commonErrors, createRouter, defineRoute, jsonResponse } from "../lib/openapi";
import { SessionIdSchema, SinceSchema } from "../lib/ws-events";
import { ErrorSchema } from "../schemas/common";

const streamRoute = defineRoute({
  method: "get",
  operationId: "streamSession",
  scope: "read",
  path: "/{sessionId}",
  tags: ["Stream"],
  summary: "Subscribe to a session's events (WebSocket)",
  description:
    "Send `Upgrade: websocket` with `X-Api-Key`, or (browsers, which cannot set WebSocket headers) `?token=` from POST /api/stream-tokens. " +
    "Sessions belong to the caller's owner: two owners using one sessionId see two separate streams. " +
    "A session holds at most STREAM_MAX_SOCKETS sockets (default 1000); past it the socket is accepted and closed at once with code 1013 (try again later). " +
    "Each message is one JSON envelope `{ sessionId, type, ts, seq, data }`; " +
    "`?since=<seq>` first replays the stored events after seq (the last 1,000 are kept). The text `ping` is answered with `pong`.",
  request: {
    params: z.object({ sessionId: SessionIdSchema.openapi({ param: { name: "sessionId", in: "path" } }) }),
    query: z.object({
      since: SinceSchema.openapi({ description: "Replay events after this seq" }),
      token: z
        .string()
        .max(64)
        .optional()
        .openapi({ description: "A stream token (POST /api/stream-tokens) instead of X-Api-Key" }),
    }),
  },
  responses: {
    101: {
      description:
        "Switching protocols: every WebSocket message is one `StreamEnvelope` (components: `StreamEvent<Type>` per event type), or the text `pong`",
    },
    426: jsonResponse(ErrorSchema, "A plain GET without Upgrade: websocket"),
    ...commonErrors,
  },
});

export const streamRoutes = createRouter().openapi(streamRoute, async (c) => {
  const { sessionId } = c.req.valid("param");
  const { since } = c.req.valid("query");
  if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
    throw new ApiError("upgrade_required", "This is a WebSocket endpoint: send Upgrade: websocket");
  }
  // Checked here, before the request reaches the actor: a stream token opens its own session only.
  const principal = principalOf(c);
  if (principal.streamSession !== undefined && principal.streamSession !== sessionId)
    throw new ApiError("forbidden", "This stream token is for another session");
  const url = new URL(`https://actor/connect/${sessionId}`);
  if (since !== undefined) url.searchParams.set("since", String(since));
  const res = await sessionActor(c.env, { ownerId: principal.ownerId, sessionId }).fetch(
    new Request(url, { headers: c.req.raw.headers, method: "GET" }),
  );
  // Re-wrapped so the request-id middleware can add its header (the actor's response is immutable).
  return new Response(res.body, { status: res.status, headers: res.headers, webSocket: res.webSocket });
});
