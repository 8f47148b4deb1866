import { describe, expect, it } from "vitest";
import { STATIC_CSP } from "../src/app";
import { call, callWithEnv, expectError, KEY, ROTATED_KEY } from "./helpers";

const create = (key: string | null) => call("/api/projects", { method: "POST", body: { name: "auth" }, key });

describe("auth on writes", () => {
  it("accepts the primary and the rotated key", async () => {
    expect((await create(KEY)).status).toBe(201);
    expect((await create(ROTATED_KEY)).status).toBe(201);
  });

  it.each([
    ["missing", null, "Missing X-Api-Key header"],
    ["empty", "", "Missing X-Api-Key header"],
    ["wrong", "nope", "Invalid API key"],
    ["a prefix of a valid key", KEY.slice(0, -1), "Invalid API key"],
    ["a valid key with a suffix", `${KEY}x`, "Invalid API key"],
    ["both keys joined", `${KEY},${ROTATED_KEY}`, "Invalid API key"],
  ])("refuses a %s key with 401", async (_label, key, message) => {
    const body = await expectError(await create(key), 401, "unauthorized");
    expect(body.error.message).toBe(message);
  });

  it.each([[undefined], [""], [" , "]])("refuses every write with 503 when API_KEYS is %j", async (keys) => {
    const res = await callWithEnv({ API_KEYS: keys }, "/api/projects", {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": KEY },
      body: JSON.stringify({ name: "x" }),
    });
    const body = await expectError(res, 503, "not_configured");
    expect(body.error.message).toContain("No API key is configured");
  });

  it("refuses reads too when no key is configured (fails closed)", async () => {
    const res = await callWithEnv({ API_KEYS: undefined }, "/api/projects", { method: "GET" });
    await expectError(res, 503, "not_configured");
  });
});

describe("request bodies", () => {
  it("answers malformed JSON with 400", async () => {
    const res = await call("/api/projects", {
      method: "POST",
      rawBody: "{not json",
      headers: { "content-type": "application/json" },
    });
    const body = await expectError(res, 400, "invalid_request");
    expect(body.error.message).toContain("Malformed JSON");
  });

  it("answers a non-JSON content type with 415", async () => {
    const res = await call("/api/projects", {
      method: "POST",
      rawBody: "name=x",
      headers: { "content-type": "text/plain" },
    });
    const body = await expectError(res, 415, "unsupported_media_type");
    expect(body.error.message).toBe("Content-Type must be application/json");
  });

  it("answers a body over 1 MiB with 413", async () => {
    const big = JSON.stringify({ name: "x", description: "y".repeat(1024 * 1024) });
    const res = await call("/api/projects", {
      method: "POST",
      rawBody: big,
      headers: { "content-type": "application/json" },
    });
    const body = await expectError(res, 413, "payload_too_large");
    expect(body.error.message).toContain("1048576");
  });

  it("answers a chunked body over 1 MiB (no Content-Length) with 413", async () => {
    const chunk = new TextEncoder().encode("y".repeat(64 * 1024));
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    const writer = writable.getWriter();
    // The worker stops reading at the cap, so the later writes fail; that is the point.
    const writing = (async () => {
      for (let i = 0; i < 20; i++) await writer.write(chunk);
      await writer.close();
    })().catch(() => "aborted");
    // In-process, so the stream is the app's own body rather than one piped over a service binding.
    const res = await callWithEnv({}, "/api/projects", {
      method: "POST",
      body: readable,
      headers: { "content-type": "application/json", "x-api-key": KEY },
    });
    expect(res.headers.get("content-length")).toBeNull();
    await expectError(res, 413, "payload_too_large");
    await writing;
  });
});

describe("routing and envelopes", () => {
  it("answers an unknown route with the 404 envelope", async () => {
    const body = await expectError(await call("/api/nothing-here"), 404, "not_found");
    expect(body.error.message).toBe("No route for GET /api/nothing-here");
  });

  it("puts an X-Request-Id on every response and keeps a sane incoming one", async () => {
    const res = await call("/health", { headers: { "x-request-id": "client-supplied-id-1" } });
    expect(res.headers.get("x-request-id")).toBe("client-supplied-id-1");
    const own = await call("/health", { headers: { "x-request-id": "<script>" } });
    expect(own.headers.get("x-request-id")).toMatch(/^[A-Za-z0-9_-]{21}$/);
  });

  it("serves public/index.html through ASSETS", async () => {
    const res = await call("/index.html", { key: null });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("/openapi.json");
    expect(res.headers.get("x-request-id")).toBeTruthy();
    // Static HTML carries the same strict policy as rendered pages (public/_headers says it too).
    expect(res.headers.get("content-security-policy")).toBe(STATIC_CSP);
    const docs = await call("/docs", { key: null });
    expect(docs.status).toBe(200);
    expect(docs.headers.get("content-security-policy")).toBe(STATIC_CSP);
  });
});

describe("GET /health", () => {
  it("tells an anonymous caller the status only", async () => {
    for (const key of [null, "wrong-key"]) {
      const res = await call("/health", { key });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ ok: true });
    }
  });

  it("reports every binding to a caller with a key", async () => {
    const res = await call("/health");
    expect(res.status).toBe(200);
    const body = (await res.json()) as { ok: boolean; bindings: Record<string, string> };
    expect(body.ok).toBe(true);
    for (const name of [
      "DB",
      "BUCKET",
      "USER_PREFERENCES",
      "AGENTIC_MEMORIES",
      "PICASSO_DO",
      "PICASSO_WORKFLOW",
      "PICASSO_QUEUE",
      "IMAGES",
      "ASSETS",
    ]) {
      expect(body.bindings[name]).toBe("ok");
    }
    // The AI binding only runs remotely; locally it is reported as such, never as "ok".
    expect(body.bindings.AI).toBe("unavailable (remote-only)");
  });

  it("reports a missing or failing binding and ok=false", async () => {
    const failingDb = { prepare: () => ({ first: () => Promise.reject(new Error("down")) }) };
    const res = await callWithEnv({ DB: failingDb, IMAGES: undefined }, "/health", {
      method: "GET",
      headers: { "x-api-key": KEY },
    });
    const body = (await res.json()) as { ok: boolean; bindings: Record<string, string> };
    expect(body.ok).toBe(false);
    expect(body.bindings.DB).toBe("error");
    expect(body.bindings.IMAGES).toBe("missing");
    expect(body.bindings.BUCKET).toBe("ok");
  });
});

describe("GET /openapi.json", () => {
  it("describes the routes with the schemas they validate with", async () => {
    const res = await call("/openapi.json", { key: null });
    expect(res.status).toBe(200);
    const doc = (await res.json()) as {
      openapi: string;
      paths: Record<string, Record<string, { requestBody?: unknown; security?: unknown }>>;
      components: { schemas: Record<string, { properties?: Record<string, { maxLength?: number }> }> };
    };
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        "/api/projects",
        "/api/projects/{id}",
        "/api/knowledge",
        "/api/knowledge/{key}",
        "/health",
      ]),
    );
    expect(doc.paths["/api/projects"]?.post?.security).toEqual([{ ApiKey: ["write"] }]);
    expect(doc.components.schemas.CreateProject?.properties?.name?.maxLength).toBe(200);
    expect(doc.components.schemas.Error).toBeDefined();
  });
});
