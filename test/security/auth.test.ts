/**
 * Auth from the route table: every non-GET route the app registers (and its OpenAPI document
 * lists) × every malformed credential → 401 with the contract's envelope; the only open writes are
 * the public comment and vote routes. /mcp is attacked through both of its headers.
 */
import { describe, expect, it } from "vitest";
import { callWithEnv, expectError, KEY } from "../helpers";
import { label, OPEN_WRITES, type WriteRoute, writeRoutes } from "./route-table";

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

/** One request to a route with the given headers, in production or development mode. */
function send(route: WriteRoute, headers: Record<string, string>, path = route.path, dev = false) {
  const isTemplate = route.pattern.startsWith("/api/templates");
  const isMcp = route.pattern.startsWith("/mcp");
  const body = isTemplate ? "<p>{{TITLE}}</p>" : isMcp ? MCP_BODY : "{}";
  return callWithEnv(dev ? { ENVIRONMENT: "development" } : {}, path, {
    method: route.method,
    headers: {
      "content-type": isTemplate ? "text/html" : "application/json",
      accept: "application/json, text/event-stream",
      "cf-connecting-ip": "203.0.113.7",
      ...headers,
    },
    body,
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
