import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { AppEnv } from "../../src/lib/env";
import {
  call,
  callWithEnv,
  createKey,
  createOwner,
  createProject,
  expectError,
  KEY,
  ROTATED_KEY,
} from "../helpers";

const appEnv = env as unknown as AppEnv;
let n = 0;
const session = () => `prefs-session-${Date.now()}-${n++}`;

describe("GET/PUT /api/preferences", () => {
  it("stores per-owner defaults: shared by an owner's keys, separate for each owner", async () => {
    const other = await createOwner();
    const put = await call("/api/preferences", {
      method: "PUT",
      key: other.key,
      body: { providers: ["local"], variants: 3, autoRetry: 1 },
    });
    expect(put.status).toBe(200);
    expect(await put.json()).toEqual({ providers: ["local"], variants: 3, autoRetry: 1 });
    const reader = await createKey(["read"], { by: other.key });
    expect(await (await call("/api/preferences", { key: reader.key })).json()).toEqual({
      providers: ["local"],
      variants: 3,
      autoRetry: 1,
    });
    // Another owner (the root keys' default owner) does not see them.
    expect(await (await call("/api/preferences", { key: ROTATED_KEY })).json()).toEqual({});
    // Keyed by the owner, never by a key.
    const { keys } = await appEnv.USER_PREFERENCES.list({ prefix: "prefs:" });
    expect(keys.map((k) => k.name)).toContain(`prefs:owner:${other.ownerId}`);
    expect(keys.some((k) => k.name.includes(other.key) || k.name.includes(KEY))).toBe(false);
    // A read-only key cannot change them.
    await expectError(
      await call("/api/preferences", { method: "PUT", key: reader.key, body: {} }),
      403,
      "forbidden",
    );
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
