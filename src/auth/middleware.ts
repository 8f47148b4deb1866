/**
 * The one place credentials are checked. `authenticate` resolves the caller on every /api/* request
 * (and /mcp): missing, wrong, revoked or expired → 401; no root key configured → 503 (fail closed).
 * `requireScope` is what a route's `scope` declaration becomes (src/lib/openapi.ts defineRoute):
 * a valid key without it → 403 `forbidden`.
 */
import { createMiddleware } from "hono/factory";
import { ApiError } from "../lib/errors";
import type { HonoEnv } from "../lib/hono";
import { touchKeyStatement } from "./keys.db";
import { type Refusal, resolveKey, rootKeys } from "./principal";
import { allows, type Principal, type RouteScope } from "./scopes";
import { resolveStreamToken, STREAM_PATH } from "./stream-tokens";

const BEARER = /^Bearer\s+(\S+)\s*$/i;

const REFUSALS: Record<Refusal, string> = {
  invalid: "Invalid API key",
  revoked: "This API key has been revoked",
  expired: "This API key has expired",
};

export interface AuthOptions {
  /** Also accept `Authorization: Bearer <key>` (MCP clients send keys that way). */
  bearer?: boolean;
  /** Headers of every 401 (RFC 9110 asks a 401 to name its scheme). */
  challenge?: Record<string, string>;
  /** What the 503 says is disabled. */
  disabled?: string;
}

/** The key from `X-Api-Key` (and with `bearer`, first from `Authorization: Bearer`); null when none. */
export function presentedKey(headers: Headers, bearer = false): string | null {
  const fromBearer = bearer ? BEARER.exec(headers.get("authorization") ?? "")?.[1] : undefined;
  return fromBearer ?? headers.get("x-api-key") ?? null;
}

export function authenticate(options: AuthOptions = {}) {
  const headers = options.challenge ?? {};
  return createMiddleware<HonoEnv>(async (c, next) => {
    // A CORS preflight never carries credentials; it is answered with headers only.
    if (c.req.method === "OPTIONS") return next();
    const configured = rootKeys(c.env.API_KEYS);
    if (configured.length === 0)
      throw new ApiError(
        "not_configured",
        `No API key is configured: ${options.disabled ?? "the API is disabled"}`,
      );
    const presented = presentedKey(c.req.raw.headers, options.bearer);
    const token = c.req.query("token");
    if (!presented && token !== undefined && STREAM_PATH.test(c.req.path)) {
      const principal = await resolveStreamToken(c.env.DB, token, Date.now());
      if (!principal) throw new ApiError("unauthorized", "Invalid or expired stream token", { headers });
      c.set("principal", principal);
      return next();
    }
    if (!presented) {
      const message = options.bearer
        ? "Missing API key: send Authorization: Bearer <key> or X-Api-Key"
        : "Missing X-Api-Key header";
      throw new ApiError("unauthorized", message, { headers });
    }
    const now = Date.now();
    const resolution = await resolveKey(c.env.DB, configured, presented, now);
    if (!resolution.ok) throw new ApiError("unauthorized", REFUSALS[resolution.refusal], { headers });
    c.set("principal", resolution.principal);
    c.set("apiKey", presented);
    if (resolution.touchKeyId) {
      const touch = touchKeyStatement(c.env.DB, resolution.touchKeyId, now).run();
      c.executionCtx.waitUntil(touch.catch(() => undefined));
    }
    return next();
  });
}

/** The caller, or 401 when a route that needs one was reached without authentication. */
export function principalOf(c: { get(key: "principal"): Principal | undefined }): Principal {
  const principal = c.get("principal");
  if (!principal) throw new ApiError("unauthorized", "Missing X-Api-Key header");
  return principal;
}

const SCOPE_WORDS: Record<Exclude<RouteScope, "public">, string> = {
  read: "the read scope",
  write: "the write scope",
  admin: "the admin scope",
  root: "a root key (one of API_KEYS)",
};

/** A route's scope declaration, enforced. */
export function requireScope(scope: Exclude<RouteScope, "public">) {
  return createMiddleware<HonoEnv>(async (c, next) => {
    const principal = principalOf(c);
    if (!allows(principal, scope)) {
      const what = principal.streamSession !== undefined ? "A stream token" : "This key";
      throw new ApiError("forbidden", `${what} cannot do this: it needs ${SCOPE_WORDS[scope]}`);
    }
    return next();
  });
}
