/** POST /api/stream-tokens — a short-lived token that opens one of the caller's sessions in a browser. */
import { commonErrors, createRouter, defineRoute, jsonBody, jsonResponse, writeErrors } from "../lib/openapi";
import { principalOf } from "./middleware";
import { CreateStreamTokenSchema, StreamTokenSchema } from "./schemas";
import { DEFAULT_STREAM_TOKEN_SECONDS, issueStreamToken } from "./stream-tokens";

const createRoute = defineRoute({
  method: "post",
  operationId: "createStreamToken",
  path: "/",
  tags: ["Stream"],
  summary: "A stream token for one session (browsers: WebSockets cannot send X-Api-Key)",
  description:
    "Bound to the caller's owner and this sessionId, valid for ttlSeconds (default 600, at most 900), refused once its key is revoked. Open the stream with `GET /api/stream/{sessionId}?token=…`. Watching a stream is reading: the `read` scope suffices.",
  scope: "read",
  request: { body: jsonBody(CreateStreamTokenSchema) },
  responses: { 201: jsonResponse(StreamTokenSchema, "The token"), ...commonErrors, ...writeErrors },
});

export const streamTokenRoutes = createRouter().openapi(createRoute, async (c) => {
  const { sessionId, ttlSeconds } = c.req.valid("json");
  const token = await issueStreamToken(
    c.env.DB,
    principalOf(c),
    sessionId,
    ttlSeconds ?? DEFAULT_STREAM_TOKEN_SECONDS,
    Date.now(),
  );
  return c.json({ ...token, streamUrl: `/api/stream/${sessionId}?token=${token.token}` }, 201);
});
