/**
 * /mcp — the MCP server over Streamable HTTP, stateless: `createMcpHandler` from the Agents SDK,
 * a new McpServer per request whose tools call the app's own REST routes as the caller. Mounted by
 * createApp, which hands in its own fetch (so this module never imports src/app.ts); the OpenAPI
 * path registered here joins the app's document when it is mounted.
 */
import { z } from "@hono/zod-openapi";
import { createMcpHandler } from "agents/mcp/server";
import { authenticate } from "../auth/middleware";
import { describeError } from "../lib/logging";
import { createRouter, jsonResponse } from "../lib/openapi";
import { limitBody, MAX_JSON_BYTES } from "../middleware/body";
import { ErrorSchema } from "../schemas/common";
import { type AppFetch, internalApi } from "./api";
import { createPicassoMcpServer, MCP_TOOLS } from "./server";

const JsonRpcRequestSchema = z
  .object({
    jsonrpc: z.literal("2.0"),
    id: z.union([z.string(), z.number()]).optional(),
    method: z.string().openapi({ example: "tools/call" }),
    params: z.record(z.string(), z.unknown()).optional(),
  })
  .openapi("JsonRpcRequest");

const JsonRpcResponseSchema = z
  .object({
    jsonrpc: z.literal("2.0"),
    id: z.union([z.string(), z.number(), z.null()]),
    result: z.record(z.string(), z.unknown()).optional(),
    error: z.object({ code: z.number().int(), message: z.string(), data: z.unknown().optional() }).optional(),
  })
  .openapi("JsonRpcResponse");

/**
 * The MCP handler always adds CORS headers (`Access-Control-Allow-Origin: *` by default). CORS is
 * the app's one allowlist (src/middleware/cors.ts, CORS_ORIGINS), so they are removed here and that
 * middleware alone decides, for /mcp exactly as for the REST API.
 */
function withoutCors(res: Response): Response {
  const headers = new Headers(res.headers);
  for (const name of [...headers.keys()]) {
    if (name.startsWith("access-control-")) headers.delete(name);
  }
  return new Response(res.body, {
    status: res.status,
    statusText: res.statusText,
    headers,
    webSocket: res.webSocket,
  });
}

/** The /mcp sub-app; `appFetch` is the app's own fetch, which every tool call goes through. */
export function mcpRoutes(appFetch: AppFetch) {
  const router = createRouter();

  router.openAPIRegistry.registerComponent("securitySchemes", "Bearer", {
    type: "http",
    scheme: "bearer",
    description: "An API key sent as a bearer token (how MCP clients send it)",
  });
  router.openAPIRegistry.registerPath({
    method: "post",
    path: "/",
    tags: ["MCP"],
    operationId: "mcp",
    summary: "The MCP server (Streamable HTTP, stateless)",
    description: `JSON-RPC messages of the Model Context Protocol; every request needs an API key (Authorization: Bearer or X-Api-Key). Tools: ${MCP_TOOLS.map((t) => t.name).join(", ")}. Each tool calls the matching REST route as the caller and returns its JSON; API errors come back as tool results with isError and "<code>: <message>".`,
    security: [{ ApiKey: [] }, { Bearer: [] }],
    request: {
      body: { required: true, content: { "application/json": { schema: JsonRpcRequestSchema } } },
    },
    responses: {
      200: {
        description: "A JSON-RPC response, as JSON or as a server-sent event stream",
        content: {
          "application/json": { schema: JsonRpcResponseSchema },
          "text/event-stream": { schema: z.string() },
        },
      },
      202: { description: "A notification, accepted" },
      401: jsonResponse(ErrorSchema, "Missing or wrong API key (no tool is listed)"),
      413: jsonResponse(ErrorSchema, "Body too large"),
      503: jsonResponse(ErrorSchema, "No API key configured: the MCP server is disabled"),
    },
  });

  // MCP clients send keys as `Authorization: Bearer`; every method needs one (listing the tools is
  // already using the product). Each tool call then meets the REST route's own scope and owner checks.
  const requireMcpKey = authenticate({
    bearer: true,
    challenge: { "WWW-Authenticate": 'Bearer realm="picasso-mcp"' },
    disabled: "the MCP server is disabled",
  });
  router.use("/", limitBody(MAX_JSON_BYTES), requireMcpKey);

  router.all("/", async (c) => {
    const logger = c.get("logger");
    const key = c.get("apiKey");
    const caller = {
      origin: new URL(c.req.url).origin,
      clientIp: c.req.header("cf-connecting-ip") ?? null,
      requestId: c.get("requestId"),
    };
    const handler = createMcpHandler(
      () => {
        // authenticate verified a key for every method but OPTIONS, which the handler answers
        // (CORS preflight) without ever asking for a server.
        if (key === undefined) throw new Error("MCP server requested without a verified API key");
        return createPicassoMcpServer(
          internalApi(appFetch, c.env, c.executionCtx, { ...caller, key }),
          logger,
        );
      },
      {
        // Hono already routed the request here, wherever the sub-app is mounted.
        route: c.req.path,
        onerror: (error) => logger.warn("mcp_error", describeError(error)),
      },
    );
    return withoutCors(await handler(c.req.raw, c.env, c.executionCtx));
  });

  return router;
}
