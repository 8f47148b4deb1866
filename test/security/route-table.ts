/**
 * The app's surface, read from the app itself: every route Hono registered in createApp() and every
 * operation of the OpenAPI document it serves, with the scope each operation declares. The security
 * suites iterate over this, so a route added tomorrow is attacked tomorrow without touching the tests.
 * - `writeRoutes`: the non-GET routes (auth, limits).
 * - `appRoutes`: every route, reads included, with its declared scope (auth, owners).
 */
import { env } from "cloudflare:workers";
import { createApp } from "../../src/app";
import type { RouteScope } from "../../src/auth/scopes";

/** One write route: method as sent, Hono path pattern (`:param`), and a concrete path to call. */
export interface WriteRoute {
  method: string;
  pattern: string;
  path: string;
  /** Where it was found: the router, the OpenAPI document, or both. */
  sources: Set<"router" | "openapi">;
  /** Registered with `all()`: the router answers every method, the document names the real one. */
  anyMethod: boolean;
}

/** Methods a Hono `ALL` handler answers that need a key (GET/HEAD/OPTIONS are open by contract). */
const ALL_METHODS = ["POST", "PUT", "PATCH", "DELETE"];
const READ_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** A value for every path parameter: 21 url-safe chars fit the id, slug, session and name rules. */
const PARAM_VALUE = "sec0test0param0value1";

/** `/a/:id/b` and `/a/:kind{x|y}/b` → a path that the pattern matches. */
export function concretePath(pattern: string): string {
  return pattern.replace(
    /:([A-Za-z0-9_]+)(\{([^}]*)\})?/g,
    (_m, _name: string, _re, alternatives?: string) =>
      alternatives ? (alternatives.split("|")[0] ?? PARAM_VALUE) : PARAM_VALUE,
  );
}

const fromOpenApi = (path: string): string => path.replace(/\{([A-Za-z0-9_]+)\}/g, ":$1");

interface OpenApiDocument {
  paths: Record<string, Record<string, unknown>>;
}

/** The non-GET operations of a served OpenAPI document, as [METHOD, Hono pattern]. */
export function openApiWrites(doc: OpenApiDocument): [string, string][] {
  return Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.keys(ops)
      .map((m) => m.toUpperCase())
      .filter((m) => !READ_METHODS.has(m) && m !== "PARAMETERS")
      .map((m): [string, string] => [m, fromOpenApi(path)]),
  );
}

/** The non-GET routes of `createApp({ dev })` and of its /openapi.json, deduplicated. */
export async function writeRoutes({ dev = false }: { dev?: boolean } = {}): Promise<WriteRoute[]> {
  const app = createApp({ dev });
  const found = new Map<string, WriteRoute>();
  const add = (method: string, pattern: string, source: "router" | "openapi", anyMethod = false) => {
    const id = `${method} ${pattern}`;
    const route = found.get(id) ?? {
      method,
      pattern,
      path: concretePath(pattern),
      sources: new Set(),
      anyMethod,
    };
    route.sources.add(source);
    route.anyMethod ||= anyMethod;
    found.set(id, route);
  };
  for (const r of app.routes) {
    // Wildcard entries are middleware (`/*`, `/api/*`), not routes.
    if (r.path.includes("*") || READ_METHODS.has(r.method)) continue;
    const all = r.method === "ALL";
    for (const m of all ? ALL_METHODS : [r.method]) add(m, r.path, "router", all);
  }
  const res = await app.request("/openapi.json", {}, env);
  const doc = (await res.json()) as OpenApiDocument;
  for (const [m, pattern] of openApiWrites(doc)) add(m, pattern, "openapi");
  return [...found.values()].sort((a, b) =>
    `${a.pattern} ${a.method}`.localeCompare(`${b.pattern} ${b.method}`),
  );
}

/** The open-by-design write routes (CONTRACT.md v1.1 "Public interaction"). */
export const OPEN_WRITES = ["POST /public/artifact/:slug/comments", "POST /public/artifact/:slug/votes"];

export const label = (r: { method: string; pattern: string }): string => `${r.method} ${r.pattern}`;

/**
 * What an operation's OpenAPI `security` declares: `public` for `[]`, the one scope of
 * `[{ ApiKey: [scope] }]`, or `key` for a key without a scope (`[{ ApiKey: [] }, { Bearer: [] }]`:
 * /mcp, whose tools then meet each REST route's own scope).
 */
export type DeclaredScope = RouteScope | "key";

const DECLARABLE: readonly string[] = ["public", "read", "write", "admin", "root"] satisfies RouteScope[];
const isRouteScope = (s: string | undefined): s is RouteScope => s !== undefined && DECLARABLE.includes(s);

/** One route of the app, reads included. */
export interface AppRoute {
  /** As sent: GET, POST, PUT, PATCH, DELETE. */
  method: string;
  /** Hono style (`:param`): the document's path when the operation is documented, else the router's. */
  pattern: string;
  /** A concrete path the route answers (every parameter filled with a placeholder). */
  path: string;
  /** The path parameters' names, in order. */
  params: string[];
  /** What the OpenAPI operation declares; null when the document does not list the route. */
  scope: DeclaredScope | null;
  /** Where it was found: the router, the OpenAPI document, or both. */
  sources: Set<"router" | "openapi">;
  /** Registered with `all()`: the router answers every method, the document names the real one(s). */
  anyMethod: boolean;
}

/** Served but not operations of the API (test/openapi.test.ts): the document itself and its rendering. */
export const UNDOCUMENTED_OPEN = ["GET /openapi.json", "GET /docs"];

/** Methods a route table lists (HEAD is answered by GET; OPTIONS is the CORS preflight, open by contract). */
const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"];

interface Operation {
  security?: unknown;
}

/** The scope an operation's `security` declares (throws on a shape the suites do not know). */
export function declaredScope(security: unknown, where: string): DeclaredScope {
  if (!Array.isArray(security)) throw new Error(`${where}: no security statement`);
  if (security.length === 0) return "public";
  const scopes = new Set(
    security.flatMap((requirement: Record<string, unknown>) =>
      Object.values(requirement).flatMap((s) => (Array.isArray(s) ? s.map(String) : [])),
    ),
  );
  if (scopes.size === 0) return "key";
  const [scope] = [...scopes];
  if (scopes.size > 1 || !isRouteScope(scope))
    throw new Error(`${where}: security declares ${[...scopes].join(", ")}`);
  return scope;
}

/** `/a/:id/b` and `/a/:kind{x|y}/b` → a regex matching the paths the Hono pattern answers. */
function patternRegex(pattern: string): RegExp {
  let source = "";
  let rest = pattern;
  const param = /:([A-Za-z0-9_]+)(\{([^}]*)\})?/;
  for (let m = param.exec(rest); m; m = param.exec(rest)) {
    source += rest.slice(0, m.index).replace(/[.*+?^$()|[\]\\]/g, "\\$&");
    source += m[3] ? `(?:${m[3]})` : "[^/]+";
    rest = rest.slice(m.index + m[0].length);
  }
  source += rest.replace(/[.*+?^$()|[\]\\]/g, "\\$&");
  return new RegExp(`^${source}$`);
}

const paramNames = (pattern: string): string[] =>
  [...pattern.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1] ?? "");

/** `route`'s path with its parameters set from `values` (throws when one has no value). */
export function pathWith(route: Pick<AppRoute, "pattern">, values: Record<string, string>): string {
  return route.pattern.replace(/:([A-Za-z0-9_]+)(\{[^}]*\})?/g, (_m, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`no value for :${name} in ${route.pattern}`);
    return encodeURIComponent(value);
  });
}

/**
 * Every route of `createApp({ dev })` and of its /openapi.json, reads included, with the scope its
 * operation declares. A documented operation is one entry (a router pattern with alternatives, like
 * `/public/:kind{lookbook|artifact}/:slug`, is the two documented paths); a routed path the document
 * does not list is an entry with `scope: null`, except an `all()` route's other methods, which share
 * the scope of the operation documented at the same path.
 */
export async function appRoutes({ dev = false }: { dev?: boolean } = {}): Promise<AppRoute[]> {
  const app = createApp({ dev });
  interface Routed {
    method: string;
    pattern: string;
    regex: RegExp;
    /** The documented operations this router entry serves. */
    operations: AppRoute[];
  }
  const routed = new Map<string, Routed>();
  for (const r of app.routes) {
    // Wildcard entries are middleware (`/*`, `/api/*`), not routes.
    if (r.path.includes("*") || (r.method !== "ALL" && !METHODS.includes(r.method))) continue;
    const id = `${r.method} ${r.path}`;
    if (!routed.has(id))
      routed.set(id, { method: r.method, pattern: r.path, regex: patternRegex(r.path), operations: [] });
  }
  const res = await app.request("/openapi.json", {}, env);
  const doc = (await res.json()) as { paths: Record<string, Record<string, Operation>> };
  const found = new Map<string, AppRoute>();
  for (const [docPath, operations] of Object.entries(doc.paths)) {
    const pattern = fromOpenApi(docPath);
    for (const [m, operation] of Object.entries(operations)) {
      const method = m.toUpperCase();
      if (!METHODS.includes(method)) continue;
      const route: AppRoute = {
        method,
        pattern,
        path: concretePath(pattern),
        params: paramNames(pattern),
        scope: declaredScope(operation.security, `${method} ${docPath}`),
        sources: new Set(["openapi"]),
        anyMethod: false,
      };
      for (const r of routed.values()) {
        if ((r.method !== method && r.method !== "ALL") || !r.regex.test(route.path)) continue;
        r.operations.push(route);
        route.sources.add("router");
        route.anyMethod ||= r.method === "ALL";
      }
      found.set(label(route), route);
    }
  }
  for (const r of routed.values()) {
    if (r.method !== "ALL") {
      if (r.operations.length === 0)
        found.set(`${r.method} ${r.pattern}`, {
          method: r.method,
          pattern: r.pattern,
          path: concretePath(r.pattern),
          params: paramNames(r.pattern),
          scope: null,
          sources: new Set(["router"]),
          anyMethod: false,
        });
      continue;
    }
    // An all() route answers every method with the documented operation's handler and guard.
    const scopes = new Set(r.operations.map((o) => o.scope));
    const scope = scopes.size === 1 ? (r.operations[0]?.scope ?? null) : null;
    for (const method of METHODS.filter((m) => !r.operations.some((o) => o.method === m))) {
      found.set(`${method} ${r.pattern}`, {
        method,
        pattern: r.pattern,
        path: concretePath(r.pattern),
        params: paramNames(r.pattern),
        scope,
        sources: new Set(["router"]),
        anyMethod: true,
      });
    }
  }
  return [...found.values()].sort((a, b) => label(a).localeCompare(label(b)));
}
