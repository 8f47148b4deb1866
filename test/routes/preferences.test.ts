import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { AppEnv } from "../../src/lib/env";
import { call, callWithEnv, createProject, expectError, KEY, ROTATED_KEY } from "../helpers";

const appEnv = env as unknown as AppEnv;
let n = 0;
const session = () => `prefs-session-${Date.now()}-${n++}`;

describe("GET/PUT /api/preferences", () => {
  it("stores per-key defaults, separately for each key", async () => {
    const put = await call("/api/preferences", {
      method: "PUT",
      body: { providers: ["local"], variants: 3, autoRetry: 1 },
    });
    expect(put.status).toBe(200);
    expect(await put.json()).toEqual({ providers: ["local"], variants: 3, autoRetry: 1 });
    expect(await (await call("/api/preferences")).json()).toEqual({
      providers: ["local"],
      variants: 3,
      autoRetry: 1,
    });
    expect(await (await call("/api/preferences", { key: ROTATED_KEY })).json()).toEqual({});
    // Keyed by a fingerprint, never by the key itself.
    const { keys } = await appEnv.USER_PREFERENCES.list({ prefix: "prefs:" });
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.some((k) => k.name.includes(KEY))).toBe(false);
  });

  it("rejects invalid preferences", async () => {
    const res = await call("/api/preferences", { method: "PUT", body: { variants: 9 } });
    expect((await expectError(res, 400, "invalid_request")).error.message).toMatch(/^variants: /);
    await expectError(
      await call("/api/preferences", { method: "PUT", body: { providers: ["local", "local"] } }),
      400,
      "invalid_request",
    );
    await expectError(
      await call("/api/preferences", { method: "PUT", body: { colour: "red" } }),
      400,
      "invalid_request",
    );
  });

  it("needs a valid key, also to read", async () => {
    await expectError(await call("/api/preferences", { key: null }), 401, "unauthorized");
    await expectError(await call("/api/preferences", { key: "wrong" }), 401, "unauthorized");
    await expectError(
      await call("/api/preferences", { method: "PUT", body: {}, key: null }),
      401,
      "unauthorized",
    );
    const noKeys = await callWithEnv({ API_KEYS: "" }, "/api/preferences", { headers: { "x-api-key": KEY } });
    await expectError(noKeys, 503, "not_configured");
  });
});

describe("jobs take omitted providers and variants from preferences", () => {
  it("uses the caller's defaults, and still 400s without providers when none are set", async () => {
    const project = await createProject();
    await call("/api/preferences", {
      method: "PUT",
      body: { providers: ["local"], variants: 2 },
      key: ROTATED_KEY,
    });
    const res = await call(`/api/projects/${project.id}/jobs`, {
      method: "POST",
      key: ROTATED_KEY,
      body: { prompt: "from preferences", sessionId: session() },
      headers: { "cf-connecting-ip": "10.20.30.40" },
    });
    expect(res.status).toBe(202);
    expect(((await res.json()) as { tasks: unknown[] }).tasks).toEqual([
      { provider: "local", variantIndex: 0 },
      { provider: "local", variantIndex: 1 },
    ]);

    await call("/api/preferences", { method: "PUT", body: {} });
    const missing = await call(`/api/projects/${project.id}/jobs`, {
      method: "POST",
      body: { prompt: "no providers", sessionId: session() },
      headers: { "cf-connecting-ip": "10.20.30.41" },
    });
    expect((await expectError(missing, 400, "invalid_request")).error.message).toMatch(
      /^providers: Required/,
    );
  });
});
