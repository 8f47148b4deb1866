/**
 * CORS from an explicit allowlist (`CORS_ORIGINS`, comma-separated origins). Nothing configured:
 * no CORS header at all, so browsers keep the same-origin policy. An allowed origin is echoed back
 * (never `*`) and no `Access-Control-Allow-Credentials` is ever sent: the API authenticates with
 * headers (X-Api-Key, Bearer), not cookies. A request from any other origin gets no CORS header,
 * and its preflight falls through to the route (404 for the REST API), which the browser refuses.
 * /mcp leaves CORS to this middleware too (src/mcp/route.ts strips the MCP handler's own headers).
 */
import { cors } from "hono/cors";
import { createMiddleware } from "hono/factory";
import type { HonoEnv } from "../lib/hono";

/** What browsers may send: the REST headers plus those of MCP's Streamable HTTP transport. */
const ALLOW_HEADERS = [
  "Content-Type",
  "Accept",
  "Authorization",
  "X-Api-Key",
  "Idempotency-Key",
  "If-None-Match",
  "X-Request-Id",
  "Mcp-Session-Id",
  "MCP-Protocol-Version",
  "Mcp-Method",
  "Mcp-Name",
  "Last-Event-ID",
];
const ALLOW_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"];
/** Response headers a browser client may read beyond the CORS-safelisted ones. */
const EXPOSE_HEADERS = [
  "X-Request-Id",
  "Retry-After",
  "Idempotent-Replayed",
  "Upload-Replayed",
  "ETag",
  "Mcp-Session-Id",
];

/**
 * The configured origins, each normalised by the URL parser (lower-case host, default port
 * dropped). An entry that is not exactly an http(s) origin — `*`, `null`, a path, userinfo — is
 * ignored, so a typo can never widen the policy.
 */
export function parseAllowedOrigins(raw: string | undefined): Set<string> {
  const origins = new Set<string>();
  for (const entry of (raw ?? "").split(",")) {
    const candidate = entry.trim().replace(/\/$/, "");
    // A wildcard is never a pattern here: `*` and `https://*.example` are dropped, not widened.
    if (candidate === "" || candidate.includes("*")) continue;
    let url: URL;
    try {
      url = new URL(candidate);
    } catch {
      continue;
    }
    // Nothing but scheme, host and port: no userinfo, path, query or fragment.
    const isOrigin = url.href === `${url.origin}/` && !candidate.endsWith("#") && !candidate.endsWith("?");
    if ((url.protocol === "https:" || url.protocol === "http:") && isOrigin) origins.add(url.origin);
  }
  return origins;
}

/** The parsed list of the last value seen: the variable is fixed per deployment, parse it once. */
let cached: { raw: string | undefined; origins: Set<string> } | null = null;
function allowedOrigins(raw: string | undefined): Set<string> {
  if (cached === null || cached.raw !== raw) cached = { raw, origins: parseAllowedOrigins(raw) };
  return cached.origins;
}

/** hono/cors, reached only for an allowed origin, so its origin function is the echo. */
const allowlisted = cors({
  origin: (origin) => origin,
  allowMethods: ALLOW_METHODS,
  allowHeaders: ALLOW_HEADERS,
  exposeHeaders: EXPOSE_HEADERS,
  maxAge: 600,
  credentials: false,
});

/** Mount before the routes (and before auth, so a 401 is readable by an allowed browser client). */
export const corsAllowlist = createMiddleware<HonoEnv>(async (c, next) => {
  // c.env is absent when the app is driven without bindings (app.request in scripts): no CORS then.
  const origins = allowedOrigins(c.env?.CORS_ORIGINS);
  if (origins.size === 0) return next();
  const origin = c.req.header("origin");
  if (origin !== undefined && origins.has(origin)) return allowlisted(c, next);
  await next();
  // Answers differ by Origin once a list exists: caches must not hand one origin's answer to another.
  c.header("Vary", "Origin", { append: true });
});
