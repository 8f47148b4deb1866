/**
 * The app's write surface, read from the app itself: every non-GET route Hono registered in
 * createApp() and every non-GET operation of the OpenAPI document it serves. The security suites
 * iterate over this, so a route added tomorrow is attacked tomorrow without touching the tests.
 */
import { env } from "cloudflare:workers";
import { createApp } from "../../src/app";

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
