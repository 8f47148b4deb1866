/**
 * What a key may do. A route declares the one scope it needs (`defineRoute({ scope })`); the
 * declaration is both the check (`requireScope`) and the operation's OpenAPI `security`.
 *
 * - `read`: GET routes (and a stream token). Implied by `write` and `admin`: whoever may change or
 *   manage something may look at it.
 * - `write`: create, change, delete, submit and cancel jobs, publish.
 * - `admin`: manage the owner's keys.
 * - `root` (a route requirement, not a scope a key is given): only the deployment's root keys, the
 *   ones in the API_KEYS secret (the knowledge base, new owners).
 * - `public`: no key at all (/public, /images, /health, /openapi.json).
 */
import { z } from "@hono/zod-openapi";

export const KeyScopes = z.enum(["read", "write", "admin"]);
export type KeyScope = z.infer<typeof KeyScopes>;
export const ALL_SCOPES: readonly KeyScope[] = KeyScopes.options;

export type RouteScope = KeyScope | "root" | "public";

/** Who is calling, resolved once per request by the auth middleware. */
export interface Principal {
  /** The key's id (root keys: `root-<hash prefix>`); logged on every request, never the key itself. */
  keyId: string;
  ownerId: string;
  scopes: ReadonlySet<KeyScope>;
  /** A key from the API_KEYS secret. */
  root: boolean;
  /** When the key stops working (owned keys that expire); keys it makes may not outlive it. */
  expiresAt?: number | null;
  /** Set when the credential is a stream token: it opens this one session's stream and nothing else. */
  streamSession?: string;
}

/** The owner of every row made before owners existed, and of the root keys. */
export const DEFAULT_OWNER = "default";

/** True when `principal` may call a route that needs `scope`. */
export function allows(principal: Principal, scope: RouteScope): boolean {
  if (scope === "public") return true;
  if (scope === "root") return principal.root;
  // A stream token is only ever accepted on the stream route (src/auth/middleware.ts), which needs `read`.
  if (principal.streamSession !== undefined) return scope === "read";
  if (scope === "read")
    return principal.scopes.has("read") || principal.scopes.has("write") || principal.scopes.has("admin");
  return principal.scopes.has(scope);
}
