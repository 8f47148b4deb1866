/**
 * CORS: only origins listed in CORS_ORIGINS get CORS headers, always echoed (never `*`), never with
 * credentials; preflights from anyone else fail. /mcp follows the same list. Needs corsAllowlist
 * mounted in createApp (src/app.ts) after requestContext and before the key check.
 */
import { describe, expect, it } from "vitest";
import { parseAllowedOrigins } from "../../src/middleware/cors";
import { callWithEnv, KEY } from "../helpers";
import { label, writeRoutes } from "./route-table";

const APP = "https://app.example";
const DEV = "http://localhost:5173";
const LIST = { CORS_ORIGINS: ` ${APP}, ${DEV}/ , *, null, https://bad.example/path` };

/** Origins a browser may send that are not on the list (look-alikes of the listed ones included). */
const FOREIGN = [
  "https://evil.example",
  "https://app.example.evil.example",
  "https://evilapp.example",
  "http://app.example",
  "https://app.example:8443",
  "http://localhost:5174",
  "null",
  "*",
];

const corsHeaders = (res: Response): string[] =>
  [...res.headers.keys()].filter((name) => name.startsWith("access-control-"));

function preflight(path: string, origin: string, method = "POST", vars: Record<string, unknown> = LIST) {
  return callWithEnv(vars, path, {
    method: "OPTIONS",
    headers: {
      origin,
      "access-control-request-method": method,
      "access-control-request-headers": "content-type,x-api-key,authorization",
    },
  });
}

describe("parseAllowedOrigins", () => {
  it("keeps exact http(s) origins, normalised; drops wildcards, null, paths and junk", () => {
    expect([...parseAllowedOrigins(LIST.CORS_ORIGINS)]).toEqual([APP, DEV]);
    expect([...parseAllowedOrigins("HTTPS://App.Example:443")]).toEqual([APP]);
    for (const raw of [
      undefined,
      "",
      "*",
      "null",
      "https://*.example",
      "ftp://x.example",
      "https://u:p@x.example",
    ]) {
      expect(parseAllowedOrigins(raw).size, String(raw)).toBe(0);
    }
  });
});

describe("without CORS_ORIGINS", () => {
  it("sends no CORS header at all, on reads, writes, preflights and /mcp", async () => {
    const none = { CORS_ORIGINS: undefined };
    const responses = [
      await callWithEnv(none, "/api/projects", { headers: { origin: APP } }),
      await callWithEnv(none, "/api/projects", {
        method: "POST",
        headers: { origin: APP, "x-api-key": KEY, "content-type": "application/json" },
        body: JSON.stringify({ name: "cors none" }),
      }),
      await preflight("/api/projects", APP, "POST", none),
      await preflight("/mcp", APP, "POST", none),
      await callWithEnv(none, "/mcp", { method: "POST", headers: { origin: APP } }),
      await callWithEnv(none, "/health", { headers: { origin: APP } }),
    ];
    for (const res of responses) {
      expect(corsHeaders(res), `${res.status} ${res.url}`).toEqual([]);
      await res.body?.cancel();
    }
  });
});

describe("with CORS_ORIGINS", () => {
  it("answers an allowed origin's preflight with its origin echoed and no credentials", async () => {
    for (const origin of [APP, DEV]) {
      const res = await preflight("/api/projects", origin);
      expect(res.status).toBe(204);
      expect(res.headers.get("access-control-allow-origin")).toBe(origin);
      expect(res.headers.get("access-control-allow-methods")).toContain("POST");
      expect(res.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("x-api-key");
      expect(res.headers.get("access-control-allow-credentials")).toBeNull();
      expect(res.headers.get("vary")).toContain("Origin");
    }
  });

  it("lets an allowed origin read a write's answer, a 401 included", async () => {
    const ok = await callWithEnv(LIST, "/api/projects", {
      method: "POST",
      headers: { origin: APP, "x-api-key": KEY, "content-type": "application/json" },
      body: JSON.stringify({ name: "cors allowed" }),
    });
    expect(ok.status).toBe(201);
    expect(ok.headers.get("access-control-allow-origin")).toBe(APP);
    expect(ok.headers.get("access-control-expose-headers")).toContain("X-Request-Id");
    const denied = await callWithEnv(LIST, "/api/projects", {
      method: "POST",
      headers: { origin: APP, "content-type": "application/json" },
      body: "{}",
    });
    expect(denied.status).toBe(401);
    expect(denied.headers.get("access-control-allow-origin")).toBe(APP);
  });

  it("gives a disallowed origin no CORS header: its preflight fails, its answers vary by Origin", async () => {
    for (const origin of FOREIGN) {
      const pre = await preflight("/api/projects", origin);
      expect(corsHeaders(pre), origin).toEqual([]);
      expect(pre.status, origin).toBe(404);
      const read = await callWithEnv(LIST, "/api/projects", { headers: { origin, "x-api-key": KEY } });
      expect(read.status).toBe(200);
      expect(corsHeaders(read), origin).toEqual([]);
      expect(read.headers.get("vary")).toContain("Origin");
      await read.body?.cancel();
    }
  });

  it("treats /mcp the same way: allowed preflight with the MCP headers, none for others", async () => {
    const allowed = await preflight("/mcp", APP);
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get("access-control-allow-origin")).toBe(APP);
    expect(allowed.headers.get("access-control-allow-headers")).toContain("Mcp-Session-Id");
    for (const origin of FOREIGN) {
      const res = await preflight("/mcp", origin);
      expect(corsHeaders(res), origin).toEqual([]);
    }
    const post = await callWithEnv(LIST, "/mcp", {
      method: "POST",
      headers: { origin: "https://evil.example" },
    });
    expect(post.status).toBe(401);
    expect(corsHeaders(post)).toEqual([]);
  });

  it("never answers `*` or with credentials on any write route, preflight or request", async () => {
    const routes = await writeRoutes();
    expect(routes.length).toBeGreaterThan(10);
    for (const route of routes) {
      for (const origin of [APP, ...FOREIGN]) {
        const pre = await preflight(route.path, origin, route.method);
        const res = await callWithEnv(LIST, route.path, {
          method: route.method,
          headers: { origin, "content-type": "application/json" },
          body: "{}",
        });
        for (const r of [pre, res]) {
          const where = `${label(route)} from ${origin}`;
          expect(r.headers.get("access-control-allow-origin"), where).toBe(origin === APP ? APP : null);
          expect(r.headers.get("access-control-allow-credentials"), where).toBeNull();
          await r.body?.cancel();
        }
      }
    }
  });
});
