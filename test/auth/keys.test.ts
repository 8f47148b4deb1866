/** /api/keys, /api/keys/self and /api/stream-tokens: happy, error and auth cases, asserting bodies. */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, createKey, createOwner, expectError } from "../helpers";

const DB = (env as unknown as { DB: D1Database }).DB;

describe("POST /api/keys", () => {
  it("makes a pk_ key shown once, stored as a hash only, that works at once with its scopes", async () => {
    const res = await call("/api/keys", { method: "POST", body: { name: "ci", scopes: ["read"] } });
    expect(res.status).toBe(201);
    const key = (await res.json()) as Record<string, unknown>;
    expect(key).toMatchObject({
      name: "ci",
      scopes: ["read"],
      ownerId: "default",
      lastUsedAt: null,
      expiresAt: null,
      revokedAt: null,
    });
    expect(key.key).toMatch(/^pk_[A-Za-z0-9_-]{40}$/);
    expect(Object.keys(key).sort()).toEqual(
      ["createdAt", "expiresAt", "id", "key", "lastUsedAt", "name", "ownerId", "revokedAt", "scopes"].sort(),
    );
    const row = await DB.prepare("SELECT * FROM api_keys WHERE id = ?")
      .bind(key.id)
      .first<Record<string, string>>();
    expect(JSON.stringify(row)).not.toContain(String(key.key));
    expect(row?.key_hash).toMatch(/^[0-9a-f]{64}$/);
    const self = await call("/api/keys/self", { key: String(key.key) });
    expect(await self.json()).toEqual({ keyId: key.id, ownerId: "default", scopes: ["read"], root: false });
  });

  it("creates an isolated owner with owner: new (root keys only)", async () => {
    const owner = await createOwner();
    expect(owner.ownerId).not.toBe("default");
    const projects = await call("/api/projects", { key: owner.key });
    expect(await projects.json()).toEqual({ projects: [], nextCursor: null });
    await expectError(
      await call("/api/keys", {
        method: "POST",
        key: owner.key,
        body: { name: "x", scopes: ["read"], owner: "new" },
      }),
      403,
      "forbidden",
    );
    await expectError(
      await call("/api/keys", {
        method: "POST",
        body: { name: "x", scopes: ["read"], owner: "no-such-owner-000001" },
      }),
      404,
      "not_found",
    );
  });

  it("refuses bad input, scopes the caller lacks, and a life longer than the caller's", async () => {
    for (const body of [
      { name: "", scopes: ["read"] },
      { name: "x", scopes: [] },
      { name: "x", scopes: ["root"] },
      { name: "x", scopes: ["read", "read"] },
      { name: "x", scopes: ["read"], expiresAt: Date.now() - 1000 },
      { name: "x", scopes: ["read"], colour: "red" },
    ]) {
      await expectError(await call("/api/keys", { method: "POST", body }), 400, "invalid_request");
    }
    const admin = await createKey(["admin"]);
    const body = await expectError(
      await call("/api/keys", { method: "POST", key: admin.key, body: { name: "x", scopes: ["write"] } }),
      403,
      "forbidden",
    );
    expect(body.error.message).toContain("write");
    const soon = Date.now() + 60_000;
    const shortLived = await createKey(["read", "admin"], { expiresAt: soon });
    await expectError(
      await call("/api/keys", {
        method: "POST",
        key: shortLived.key,
        body: { name: "forever", scopes: ["read"] },
      }),
      403,
      "forbidden",
    );
    const ok = await call("/api/keys", {
      method: "POST",
      key: shortLived.key,
      body: { name: "shorter", scopes: ["read"], expiresAt: soon - 1000 },
    });
    expect(ok.status).toBe(201);
  });

  it("needs an admin key", async () => {
    const writer = await createKey(["read", "write"]);
    await expectError(
      await call("/api/keys", { method: "POST", key: writer.key, body: { name: "x", scopes: ["read"] } }),
      403,
      "forbidden",
    );
    await expectError(await call("/api/keys", { method: "POST", key: null, body: {} }), 401, "unauthorized");
  });
});

describe("GET /api/keys and DELETE /api/keys/:id", () => {
  it("lists the owner's keys without secrets; a revoked key is refused at once", async () => {
    const owner = await createOwner();
    const reader = await createKey(["read"], { by: owner.key });
    await call("/api/projects", { key: reader.key });
    const list = (await (await call("/api/keys", { key: owner.key })).json()) as {
      keys: Record<string, unknown>[];
    };
    expect(list.keys.map((k) => k.id).sort()).toEqual([owner.id, reader.id].sort());
    expect(JSON.stringify(list)).not.toContain("pk_");
    expect(list.keys.every((k) => !("key" in k) && !("keyHash" in k))).toBe(true);
    const revoked = await call(`/api/keys/${reader.id}`, { method: "DELETE", key: owner.key });
    expect(revoked.status).toBe(200);
    expect(await revoked.json()).toMatchObject({ id: reader.id, revokedAt: expect.any(Number) });
    const refused = await expectError(await call("/api/projects", { key: reader.key }), 401, "unauthorized");
    expect(refused.error.message).toBe("This API key has been revoked");
    // Another owner's key id reads like an unknown one.
    await expectError(await call(`/api/keys/${owner.id}`, { method: "DELETE" }), 404, "not_found");
    await expectError(await call("/api/keys", { key: reader.key }), 401, "unauthorized");
  });

  it("an expired key is refused", async () => {
    const key = await createKey(["read"], { expiresAt: Date.now() + 60_000 });
    await DB.prepare("UPDATE api_keys SET expires_at = ? WHERE id = ?")
      .bind(Date.now() - 1, key.id)
      .run();
    const body = await expectError(await call("/api/projects", { key: key.key }), 401, "unauthorized");
    expect(body.error.message).toBe("This API key has expired");
  });
});

describe("POST /api/stream-tokens", () => {
  it("gives a short-lived st_ token bound to one session", async () => {
    const res = await call("/api/stream-tokens", {
      method: "POST",
      body: { sessionId: "token-session-01", ttlSeconds: 60 },
    });
    expect(res.status).toBe(201);
    const token = (await res.json()) as {
      token: string;
      sessionId: string;
      expiresAt: number;
      streamUrl: string;
    };
    expect(token.token).toMatch(/^st_/);
    expect(token.sessionId).toBe("token-session-01");
    expect(token.expiresAt).toBeGreaterThan(Date.now());
    expect(token.expiresAt).toBeLessThanOrEqual(Date.now() + 61_000);
    expect(token.streamUrl).toBe(`/api/stream/token-session-01?token=${token.token}`);
  });

  it("refuses a bad session id or a ttl over 15 minutes, and needs a key", async () => {
    await expectError(
      await call("/api/stream-tokens", { method: "POST", body: { sessionId: "x" } }),
      400,
      "invalid_request",
    );
    await expectError(
      await call("/api/stream-tokens", {
        method: "POST",
        body: { sessionId: "token-session-02", ttlSeconds: 901 },
      }),
      400,
      "invalid_request",
    );
    await expectError(
      await call("/api/stream-tokens", {
        method: "POST",
        key: null,
        body: { sessionId: "token-session-02" },
      }),
      401,
      "unauthorized",
    );
  });
});
