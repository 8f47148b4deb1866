/**
 * The MCP endpoint's key check. MCP clients send credentials as `Authorization: Bearer <key>` (the
 * header their configs and `mcp-remote --header` set); scripts may send `X-Api-Key` as for REST.
 * The keys and the constant-time comparison are the REST API's (src/lib/security.ts); unlike REST,
 * every method needs the key, because listing the tools is already using the product.
 */
import { createMiddleware } from "hono/factory";
import { ApiError } from "../lib/errors";
import type { HonoEnv } from "../lib/hono";
import { configuredKeys, matchesAnyKey } from "../lib/security";

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/** RFC 9110 asks a 401 to name its scheme; the realm says which credentials are meant. */
const CHALLENGE = { "WWW-Authenticate": 'Bearer realm="picasso-mcp"' };

/** The key from `Authorization: Bearer …`, else from `X-Api-Key`; null when neither is sent. */
export function presentedKey(headers: Headers): string | null {
  const bearer = BEARER.exec(headers.get("authorization") ?? "")?.[1];
  return bearer ?? headers.get("x-api-key") ?? null;
}

export const requireMcpKey = createMiddleware<HonoEnv>(async (c, next) => {
  // A CORS preflight never carries credentials; the handler answers it with headers only.
  if (c.req.method === "OPTIONS") return next();
  const keys = configuredKeys(c.env.API_KEYS);
  // Fail closed, as REST writes do: without configured keys the MCP server serves nothing.
  if (keys.length === 0)
    throw new ApiError("not_configured", "No API key is configured: the MCP server is disabled");
  const presented = presentedKey(c.req.raw.headers);
  if (!presented)
    throw new ApiError("unauthorized", "Missing API key: send Authorization: Bearer <key> or X-Api-Key", {
      headers: CHALLENGE,
    });
  if (!(await matchesAnyKey(presented, keys)))
    throw new ApiError("unauthorized", "Invalid API key", { headers: CHALLENGE });
  c.set("apiKey", presented);
  return next();
});
