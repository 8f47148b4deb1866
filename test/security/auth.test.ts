/**
 * Auth from the route table: every non-GET route the app registers (and its OpenAPI document
 * lists) × every malformed credential → 401 with the contract's envelope; the only open writes are
 * the public comment and vote routes. /mcp is attacked through both of its headers. Then every
 * route, reads included: no key, a wrong, an expired or a revoked owned key → 401; and each route's
 * declared scope (its OpenAPI `security`) is exactly what it enforces: a key without it → 403, a
 * key with it gets past auth.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { call, callWithEnv, createKey, createOwner, expectError, KEY, type OwnedKey } from "../helpers";
import {
  type AppRoute,
  appRoutes,
  type DeclaredScope,
  label,
  OPEN_WRITES,
  UNDOCUMENTED_OPEN,
  type WriteRoute,
  writeRoutes,
} from "./route-table";

/** A string as a client sends it in a header: its UTF-8 bytes, read back as Latin-1 by the server. */
const asHeaderBytes = (text: string): string => String.fromCharCode(...new TextEncoder().encode(text));

/** Credentials that must never pass: each is a set of headers to send. */
const BAD_KEYS: [string, string][] = [
  ["wrong key", "wrong-key-0000000"],
  ["prefix of a valid key", KEY.slice(0, -1)],
  ["short prefix of a valid key", KEY.slice(0, 4)],
  ["valid key + 1 char", `${KEY}x`],
  ["valid key + NUL-like suffix", `${KEY}\u0001`],
  ["Cyrillic look-alike (UTF-8 bytes)", asHeaderBytes(KEY.replace("e", "\u0435"))],
  ["fullwidth look-alike (UTF-8 bytes)", asHeaderBytes(KEY.replace(/-/g, "\uff0d"))],
  ["Latin-1 look-alike", KEY.replace("y", "\u00fd")],
  ["upper-cased key", KEY.toUpperCase()],
];

/** Non-ASCII credentials: workerd warns for each header it builds with one, so they go to a few routes. */
const isAscii = (key: string) => [...key].every((ch) => ch.charCodeAt(0) < 0x80);

function attempts(route: WriteRoute, nonAscii: boolean): [string, Record<string, string>][] {
  const keys = BAD_KEYS.filter(([, key]) => nonAscii || isAscii(key));
  const viaHeader = keys.map(([name, key]): [string, Record<string, string>] => [
    `X-Api-Key: ${name}`,
    { "x-api-key": key },
  ]);
  const common: [string, Record<string, string>][] = [
    ["no key", {}],
    ["empty X-Api-Key", { "x-api-key": "" }],
    ["empty Bearer", { authorization: "Bearer" }],
    ["Bearer and spaces", { authorization: "Bearer    " }],
    ...viaHeader,
  ];
  if (!route.pattern.startsWith("/mcp")) return common;
  const viaBearer = keys.map(([name, key]): [string, Record<string, string>] => [
    `Bearer ${name}`,
    { authorization: `Bearer ${key}` },
  ]);
  // A wrong Bearer must not be rescued by the other header, nor the other way round.
  return [
    ...common,
    ...viaBearer,
    ["Basic scheme with a valid key", { authorization: `Basic ${btoa(`${KEY}:`)}` }],
    ["wrong Bearer, no X-Api-Key", { authorization: "Bearer nope" }],
  ];
}

const MCP_BODY = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list", params: {} });

/** Bodies that keep a control request cheap (the benchmark's default is 20 rounds). */
const BODIES: Record<string, string> = { "POST /api/dev/image-cost": JSON.stringify({ rounds: 1 }) };

/** One request to a route with the given headers, in production or development mode. */
function send(
  route: Pick<WriteRoute, "method" | "pattern" | "path">,
  headers: Record<string, string>,
  path = route.path,
  dev = false,
) {
  const isTemplate = route.pattern.startsWith("/api/templates");
  const isMcp = route.pattern.startsWith("/mcp");
  const bodiless = route.method === "GET" || route.method === "HEAD";
  const body = isTemplate ? "<p>{{TITLE}}</p>" : isMcp ? MCP_BODY : (BODIES[label(route)] ?? "{}");
  return callWithEnv(dev ? { ENVIRONMENT: "development" } : {}, path, {
    method: route.method,
    headers: {
      ...(bodiless ? {} : { "content-type": isTemplate ? "text/html" : "application/json" }),
      accept: "application/json, text/event-stream",
      "cf-connecting-ip": "203.0.113.7",
      ...headers,
    },
    body: bodiless ? undefined : body,
  });
}

const production = await writeRoutes();
const development = await writeRoutes({ dev: true });
const devOnly = development.filter((r) => !production.some((p) => label(p) === label(r)));

describe("the route table", () => {
  it("is read from the app: the router and the OpenAPI document list the same writes", () => {
    expect(production.length).toBeGreaterThanOrEqual(18);
    // Every documented write is routed; every routed write is documented (an all() route once).
    const undocumented = production.filter((r) => !r.sources.has("openapi") && !r.anyMethod);
    const unrouted = production.filter((r) => !r.sources.has("router"));
    expect(undocumented.map(label)).toEqual([]);
    expect(unrouted.map(label)).toEqual([]);
    const anyMethod = new Set(production.filter((r) => r.anyMethod).map((r) => r.pattern));
    for (const pattern of anyMethod) {
      expect(
        production.some((r) => r.pattern === pattern && r.sources.has("openapi")),
        pattern,
      ).toBe(true);
    }
    expect(production.map(label)).toContain("POST /mcp");
    expect(devOnly.length).toBeGreaterThan(0);
  });

  it("has exactly the public comment and vote routes open to callers without a key", async () => {
    const open: string[] = [];
    for (const route of development) {
      const res = await send(route, {}, route.path, true);
      if (res.status !== 401) open.push(label(route));
      await res.body?.cancel();
    }
    expect(open.sort()).toEqual([...OPEN_WRITES].sort());
  });
});

async function expectRefused(route: WriteRoute, dev: boolean, nonAscii = false) {
  if (OPEN_WRITES.includes(label(route))) return;
  for (const [name, headers] of attempts(route, nonAscii)) {
    const res = await send(route, headers, route.path, dev);
    const body = await expectError(res, 401, "unauthorized").catch((err: unknown) => {
      throw new Error(`${label(route)} with ${name}: ${err instanceof Error ? err.message : String(err)}`);
    });
    expect(body.error.message).not.toContain(KEY);
    if (route.pattern.startsWith("/mcp")) expect(res.headers.get("www-authenticate")).toMatch(/^Bearer /);
  }
  // The control: the same request with the valid key gets past auth, so the 401s above are real.
  const valid: Record<string, string> = route.pattern.startsWith("/mcp")
    ? { authorization: `Bearer ${KEY}` }
    : { "x-api-key": KEY };
  const res = await send(route, valid, route.path, dev);
  expect([401, 503], `${label(route)} with the valid key`).not.toContain(res.status);
  await res.body?.cancel();
}

describe("every write route refuses every bad credential (401 + envelope)", () => {
  // The non-ASCII look-alikes test the key comparison, which every route shares: they go to the
  // first protected REST route and to the first /mcp route (both its headers); the ASCII ones go everywhere.
  const firstRest = production.find((r) => !OPEN_WRITES.includes(label(r)) && !r.pattern.startsWith("/mcp"));
  const firstMcp = production.find((r) => r.pattern.startsWith("/mcp"));
  for (const route of production) {
    const nonAscii = route === firstRest || route === firstMcp;
    it(`${label(route)}${nonAscii ? " (with the non-ASCII look-alikes)" : ""}`, () =>
      expectRefused(route, false, nonAscii));
  }
  for (const route of devOnly) {
    it(`${label(route)} (development only)`, () => expectRefused(route, true));
  }
});

describe("path spellings do not route around the key check", () => {
  const spellings = (path: string): string[] => [
    path.replace(/^\/api\//, "/API/"),
    path.replace(/^\/api\//, "/%61pi/"),
    path.replace(/^\/api\//, "/api//"),
    path.replace(/^\/api\//, "/./api/"),
    path.replace(/^\/api\//, "/x/../api/"),
    `${path}/`,
    `${path}?x-api-key=${KEY}`,
  ];
  for (const route of production.filter((r) => !OPEN_WRITES.includes(label(r)))) {
    it(label(route), async () => {
      for (const path of spellings(route.path)) {
        const res = await send(route, {}, path);
        expect([401, 404], `${route.method} ${path}`).toContain(res.status);
        await res.body?.cancel();
      }
    });
  }
});

describe("/mcp reads need a key too", () => {
  it("GET /mcp without a key or with a wrong Bearer → 401", async () => {
    const variants: Record<string, string>[] = [
      {},
      { authorization: "Bearer nope" },
      { authorization: "Bearer" },
    ];
    for (const headers of variants) {
      const res = await callWithEnv({}, "/mcp", {
        method: "GET",
        headers: { accept: "text/event-stream", ...headers },
      });
      await expectError(res, 401, "unauthorized");
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Every route, reads included, with the scope its OpenAPI operation declares.

const everyRoute = await appRoutes();
const everyDevRoute = await appRoutes({ dev: true });
const devOnlyRoutes = everyDevRoute.filter((r) => !everyRoute.some((p) => label(p) === label(r)));
/** Routes that need a key: every /api route, and /mcp. */
const keyed = (routes: AppRoute[]) => routes.filter((r) => r.scope !== "public" && r.scope !== null);

describe("the whole route table (reads included)", () => {
  it("lists every route once, documented with its scope, routed, and reads among them", () => {
    expect(everyRoute.filter((r) => r.method === "GET").length).toBeGreaterThanOrEqual(15);
    // Undocumented: only the document and its rendering, and the other methods of /mcp's all().
    const undocumented = everyRoute.filter((r) => !r.sources.has("openapi"));
    expect(undocumented.filter((r) => !r.anyMethod).map(label)).toEqual([...UNDOCUMENTED_OPEN].sort());
    expect(everyRoute.filter((r) => !r.sources.has("router")).map(label)).toEqual([]);
    // Every /api operation declares one of the key scopes; nothing under /api is public.
    for (const route of everyDevRoute.filter((r) => r.pattern.startsWith("/api/")))
      expect(["read", "write", "admin", "root"], label(route)).toContain(route.scope);
    const scopeOf = (l: string) => everyRoute.find((r) => label(r) === l)?.scope;
    expect(scopeOf("GET /api/projects")).toBe("read");
    expect(scopeOf("POST /api/projects")).toBe("write");
    expect(scopeOf("POST /api/keys")).toBe("admin");
    expect(scopeOf("PUT /api/knowledge/:key")).toBe("root");
    expect(scopeOf("GET /health")).toBe("public");
    expect(scopeOf("POST /mcp")).toBe("key");
    // The write table is the non-GET part of the whole table.
    const writes = new Set(production.filter((r) => !r.anyMethod).map(label));
    expect(everyRoute.filter((r) => r.method !== "GET" && !r.anyMethod).map(label)).toEqual(
      expect.arrayContaining([...writes]),
    );
  });

  it("opens to callers without a key exactly the public routes (reads included)", async () => {
    const open: string[] = [];
    for (const route of everyDevRoute) {
      const res = await send(route, {}, route.path, true);
      if (res.status !== 401) open.push(label(route));
      await res.body?.cancel();
    }
    const expected = everyDevRoute
      .filter((r) => r.scope === "public" || UNDOCUMENTED_OPEN.includes(label(r)))
      .map(label);
    expect(open.sort()).toEqual(expected.sort());
  });
});

/** Keys of owners made for this file: `dead` ones are refused, `scoped` ones test each scope. */
const dead: Record<"expired" | "revoked", OwnedKey | undefined> = { expired: undefined, revoked: undefined };
const scoped: Record<string, OwnedKey> = {};

beforeAll(async () => {
  const expired = await createOwner();
  await env.DB.prepare("UPDATE api_keys SET expires_at = ? WHERE id = ?")
    .bind(Date.now() - 1, expired.id)
    .run();
  const revoked = await createOwner();
  // A key may revoke itself (it has admin).
  const res = await call(`/api/keys/${revoked.id}`, { method: "DELETE", key: revoked.key });
  expect(res.status).toBe(200);
  dead.expired = expired;
  dead.revoked = revoked;

  const owner = await createOwner();
  scoped.all = owner;
  for (const scopes of [["read"], ["write"], ["admin"], ["admin", "write"]])
    scoped[scopes.join("+")] = await createKey(scopes, { by: owner.key, name: scopes.join("+") });
});

const expectNotRefused = async (res: Response, what: string) => {
  const text = await res.text();
  expect([401, 403, 503], `${what}: ${res.status} ${text.slice(0, 200)}`).not.toContain(res.status);
};

async function expectEveryDeadKeyRefused(route: AppRoute, dev: boolean) {
  const credentials: [string, Record<string, string>, RegExp | null][] = [
    ["no key", {}, null],
    ["wrong key", { "x-api-key": "wrong-key-0000000" }, /invalid/i],
    ["wrong owned key", { "x-api-key": "pk_0000000000000000000000000000000000000000" }, /invalid/i],
    ["expired owned key", { "x-api-key": dead.expired?.key ?? "" }, /expired/],
    ["revoked owned key", { "x-api-key": dead.revoked?.key ?? "" }, /revoked/],
  ];
  if (route.pattern.startsWith("/mcp"))
    for (const [name, headers, message] of credentials.slice(1))
      credentials.push([`Bearer ${name}`, { authorization: `Bearer ${headers["x-api-key"]}` }, message]);
  for (const [name, headers, message] of credentials) {
    const res = await send(route, headers, route.path, dev);
    const body = await expectError(res, 401, "unauthorized").catch((err: unknown) => {
      throw new Error(`${label(route)} with ${name}: ${err instanceof Error ? err.message : String(err)}`);
    });
    if (message) expect(body.error.message, `${label(route)} with ${name}`).toMatch(message);
  }
  // HEAD is answered by the GET route: refused the same (without a body).
  if (route.method === "GET")
    for (const [name, headers] of credentials) {
      const res = await send({ ...route, method: "HEAD" }, headers, route.path, dev);
      expect(res.status, `HEAD ${route.path} with ${name}`).toBe(401);
      await res.body?.cancel();
    }
  // The control: the same request with a valid key gets past auth.
  await expectNotRefused(
    await send(route, { "x-api-key": KEY }, route.path, dev),
    `${label(route)} with the root key`,
  );
}

describe("every route that needs a key, reads included, refuses a missing, wrong, expired or revoked key (401)", () => {
  for (const route of keyed(everyRoute)) it(label(route), () => expectEveryDeadKeyRefused(route, false));
  for (const route of keyed(devOnlyRoutes))
    it(`${label(route)} (development only)`, () => expectEveryDeadKeyRefused(route, true));
});

describe("OPTIONS (the CORS preflight, let through without a key) runs no route", () => {
  it("answers every keyed route with an empty body or an error, never the route's data", async () => {
    for (const route of keyed(everyDevRoute)) {
      const isMcp = route.pattern.startsWith("/mcp");
      const res = await callWithEnv({ ENVIRONMENT: "development" }, route.path, {
        method: "OPTIONS",
        headers: {
          "access-control-request-method": route.method,
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
        },
        body: isMcp ? MCP_BODY : undefined,
      });
      const text = await res.text();
      const what = `OPTIONS ${route.path} (${label(route)}): ${res.status} ${text.slice(0, 200)}`;
      if (text !== "") expect(JSON.parse(text), what).toHaveProperty("error");
      expect(text, what).not.toContain("list_projects");
    }
  });
});

/** Which owned keys carry each declared scope: read is implied by write and admin; root is no owned key's. */
const SUFFICIENT: Record<Exclude<DeclaredScope, "public">, string[]> = {
  key: ["read", "write", "admin", "admin+write", "all"],
  read: ["read", "write", "admin", "admin+write", "all"],
  write: ["write", "admin+write", "all"],
  admin: ["admin", "admin+write", "all"],
  root: [],
};

async function expectScopeEnforced(route: AppRoute, dev: boolean) {
  const scope = route.scope;
  if (scope === null || scope === "public") throw new Error(`${label(route)} needs no key`);
  expect(Object.keys(scoped).sort()).toEqual(["admin", "admin+write", "all", "read", "write"]);
  for (const [name, owned] of Object.entries(scoped)) {
    const res = await send(route, { "x-api-key": owned.key }, route.path, dev);
    if (SUFFICIENT[scope].includes(name)) {
      await expectNotRefused(res, `${label(route)} with a ${name} key`);
      continue;
    }
    const body = await expectError(res, 403, "forbidden").catch((err: unknown) => {
      throw new Error(
        `${label(route)} with a ${name} key: ${err instanceof Error ? err.message : String(err)}`,
      );
    });
    expect(body.error.message).toMatch(scope === "root" ? /root key/ : new RegExp(`the ${scope} scope`));
  }
  // The root key has every scope and is root.
  await expectNotRefused(
    await send(route, { "x-api-key": KEY }, route.path, dev),
    `${label(route)} with the root key`,
  );
}

describe("each route enforces exactly the scope it declares (403 without it)", () => {
  for (const route of keyed(everyRoute))
    it(`${label(route)} (${route.scope})`, () => expectScopeEnforced(route, false));
  for (const route of keyed(devOnlyRoutes))
    it(`${label(route)} (${route.scope}, development only)`, () => expectScopeEnforced(route, true));

  it("covers writes × read key, /api/keys × write key and root routes × an owned admin+write key", () => {
    const routes = keyed(everyRoute);
    expect(routes.filter((r) => r.scope === "write").length).toBeGreaterThanOrEqual(10);
    expect(
      routes.filter((r) => r.pattern.startsWith("/api/keys") && r.scope === "admin").length,
    ).toBeGreaterThanOrEqual(3);
    expect(routes.filter((r) => r.scope === "root").map(label)).toContain("PUT /api/knowledge/:key");
  });
});
