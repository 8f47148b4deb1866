/**
 * The stream's credentials: `X-Api-Key` or a stream token (`?token=`), checked before the request
 * reaches the session actor. A token opens its own session of its own owner and nothing else, dies
 * with its expiry or its key, and is ignored by every other route; two owners on one sessionId
 * have two streams.
 */
import { env, exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { sessionActor } from "../../src/lib/actor";
import type { AppEnv } from "../../src/lib/env";
import { BASE, call, callWithEnv, createKey, createOwner, expectError, KEY, type OwnedKey } from "../helpers";
import { type Envelope, openStream, type StreamClient } from "../stream-client";

let counter = 0;
const session = (what: string) => `sec-stream-${what}-${Date.now().toString(36)}-${counter++}`;

let a: OwnedKey;
let b: OwnedKey;

beforeAll(async () => {
  a = await createOwner();
  b = await createOwner();
});

/** An upgrade request to the stream route with `headers`, as a browser or a client sends it. */
function upgrade(path: string, headers: Record<string, string> = {}): Promise<Response> {
  return exports.default.fetch(
    new Request(`${BASE}${path}`, { headers: { Upgrade: "websocket", ...headers } }),
  );
}

interface StreamToken {
  token: string;
  sessionId: string;
  expiresAt: number;
  streamUrl: string;
}

async function tokenFor(key: string, sessionId: string, ttlSeconds?: number): Promise<StreamToken> {
  const res = await call("/api/stream-tokens", { method: "POST", key, body: { sessionId, ttlSeconds } });
  const text = await res.text();
  expect(res.status, text).toBe(201);
  return JSON.parse(text) as StreamToken;
}

/** Publishes one job-level `queued` event to `sessionId` as `key`'s owner, through /api/dev. */
async function publishAs(key: string, sessionId: string, jobId: string): Promise<void> {
  const res = await callWithEnv({ ENVIRONMENT: "development" }, `/api/dev/sessions/${sessionId}/events`, {
    method: "POST",
    headers: { "x-api-key": key, "content-type": "application/json" },
    body: JSON.stringify({ events: [{ type: "queued", data: { jobId } }] }),
  });
  expect(res.status, await res.text()).toBe(202);
}

/** A refused upgrade: the status and code in the envelope, and no WebSocket. */
async function expectRefused(res: Response, status: number, code: string) {
  expect(res.webSocket).toBeNull();
  return expectError(res, status, code);
}

/** Sockets the actor of `owner`'s `sessionId` holds. */
const socketsOf = async (ownerId: string, sessionId: string) =>
  (await sessionActor(env as unknown as AppEnv, { ownerId, sessionId }).stats()).sockets;

/** Waits until the server has sent everything queued on `client` (the actor answers ping in order). */
async function flush(client: StreamClient): Promise<void> {
  client.ws.send("ping");
  expect(await client.nextText()).toBe("pong");
}

const jobIds = (envelopes: Envelope[]) => envelopes.map((e) => e.data.jobId);

describe("no credential, or a wrong one: 401 before the actor, no WebSocket", () => {
  it("refuses every missing or wrong credential and no socket reaches the actor", async () => {
    const sessionId = session("none");
    const attempts: [string, Record<string, string>][] = [
      ["", {}],
      ["", { "x-api-key": "wrong-key" }],
      ["", { "x-api-key": "" }],
      ["", { authorization: `Bearer ${KEY}` }],
      ["?token=", {}],
      ["?token=st_unknown0000000000000000000000000", {}],
      ["?token=not-a-token", {}],
      [`?token=${KEY}`, {}],
      [`?x-api-key=${KEY}`, {}],
      [`?key=${KEY}`, {}],
    ];
    for (const [query, headers] of attempts) {
      const res = await upgrade(`/api/stream/${sessionId}${query}`, headers);
      const body = await expectRefused(res, 401, "unauthorized").catch((err: unknown) => {
        throw new Error(
          `${query} ${JSON.stringify(headers)}: ${err instanceof Error ? err.message : String(err)}`,
        );
      });
      expect(body.error.message).not.toContain(KEY);
    }
    for (const owner of ["default", a.ownerId, b.ownerId]) expect(await socketsOf(owner, sessionId)).toBe(0);
  });

  it("the control: the same upgrade with a key opens the stream", async () => {
    const sessionId = session("control");
    const client = await openStream(sessionId, undefined, { key: a.key });
    await flush(client);
    expect(await socketsOf(a.ownerId, sessionId)).toBe(1);
    client.ws.close();
  });
});

describe("stream tokens", () => {
  it("open their own session (read scope suffices) and see its events", async () => {
    const sessionId = session("own");
    const reader = await createKey(["read"], { by: a.key });
    const { token, streamUrl } = await tokenFor(reader.key, sessionId);
    expect(streamUrl).toBe(`/api/stream/${sessionId}?token=${token}`);
    const client = await openStream(sessionId, undefined, { token });
    await publishAs(a.key, sessionId, "job-for-the-token");
    expect(jobIds(await client.waitFor(1))).toEqual(["job-for-the-token"]);
    client.ws.close();
  });

  it("a token for session S on session T → 403, no WebSocket", async () => {
    const s = session("s");
    const t = session("t");
    const { token } = await tokenFor(a.key, s);
    await expectRefused(await upgrade(`/api/stream/${t}?token=${token}`), 403, "forbidden");
    expect(await socketsOf(a.ownerId, t)).toBe(0);
    // Still good on its own session.
    const client = await openStream(s, undefined, { token });
    await flush(client);
    client.ws.close();
  });

  it("an expired token → 401", async () => {
    const sessionId = session("expired");
    const { token } = await tokenFor(a.key, sessionId, 10);
    const client = await openStream(sessionId, undefined, { token });
    client.ws.close();
    await env.DB.prepare("UPDATE stream_tokens SET expires_at = ? WHERE session_id = ? AND owner_id = ?")
      .bind(Date.now() - 1, sessionId, a.ownerId)
      .run();
    await expectRefused(await upgrade(`/api/stream/${sessionId}?token=${token}`), 401, "unauthorized");
  });

  it("a token of a revoked key, or of an expired key → 401", async () => {
    const sessionId = session("dead-key");
    const revoked = await createKey(["read"], { by: a.key, name: "to revoke" });
    const expired = await createKey(["read"], {
      by: a.key,
      name: "to expire",
      expiresAt: Date.now() + 60_000,
    });
    const fromRevoked = await tokenFor(revoked.key, sessionId);
    const fromExpired = await tokenFor(expired.key, sessionId);
    for (const { token } of [fromRevoked, fromExpired]) {
      const client = await openStream(sessionId, undefined, { token });
      client.ws.close();
    }
    expect((await call(`/api/keys/${revoked.id}`, { method: "DELETE", key: a.key })).status).toBe(200);
    await env.DB.prepare("UPDATE api_keys SET expires_at = ? WHERE id = ?")
      .bind(Date.now() - 1, expired.id)
      .run();
    for (const { token } of [fromRevoked, fromExpired])
      await expectRefused(await upgrade(`/api/stream/${sessionId}?token=${token}`), 401, "unauthorized");
  });

  it("a wrong X-Api-Key is not rescued by a valid token", async () => {
    const sessionId = session("both");
    const { token } = await tokenFor(a.key, sessionId);
    await expectRefused(
      await upgrade(`/api/stream/${sessionId}?token=${token}`, { "x-api-key": "wrong-key" }),
      401,
      "unauthorized",
    );
  });

  it("are ignored on every other route: no key → 401 even with a valid ?token=", async () => {
    const sessionId = session("elsewhere");
    const { token } = await tokenFor(a.key, sessionId);
    // The token is valid on its own route (a plain GET passes auth and meets the upgrade check).
    await expectError(
      await call(`/api/stream/${sessionId}?token=${token}`, { key: null }),
      426,
      "upgrade_required",
    );
    const elsewhere: [string, string][] = [
      ["GET", `/api/projects?token=${token}`],
      ["GET", `/api/keys/self?token=${token}`],
      ["GET", `/api/stream/${sessionId}/x?token=${token}`],
      ["POST", `/api/stream-tokens?token=${token}`],
      ["POST", `/mcp?token=${token}`],
    ];
    for (const [method, path] of elsewhere) {
      const res = await call(path, {
        method,
        key: null,
        body: method === "POST" ? { sessionId: session("other") } : undefined,
      });
      await expectError(res, 401, "unauthorized").catch((err: unknown) => {
        throw new Error(`${method} ${path}: ${err instanceof Error ? err.message : String(err)}`);
      });
    }
    // Nor is a token a key.
    await expectError(await call("/api/projects", { key: token }), 401, "unauthorized");
  });
});

describe("two owners on one sessionId", () => {
  it("each sees only their own events, live and replayed", async () => {
    const sessionId = session("shared");
    const mine = await openStream(sessionId, undefined, { key: a.key });
    const theirs = await openStream(sessionId, undefined, {
      token: (await tokenFor(b.key, sessionId)).token,
    });
    await publishAs(a.key, sessionId, "job-of-a");
    await publishAs(b.key, sessionId, "job-of-b");
    await publishAs(a.key, sessionId, "job-of-a-2");
    await mine.waitFor(2);
    await theirs.waitFor(1);
    await flush(mine);
    await flush(theirs);
    expect(jobIds(mine.envelopes)).toEqual(["job-of-a", "job-of-a-2"]);
    expect(jobIds(theirs.envelopes)).toEqual(["job-of-b"]);
    // Two logs: each numbered from 1.
    expect(mine.envelopes.map((e) => e.seq)).toEqual([1, 2]);
    expect(theirs.envelopes.map((e) => e.seq)).toEqual([1]);
    mine.ws.close();
    theirs.ws.close();
    for (const [key, expected] of [
      [a.key, ["job-of-a", "job-of-a-2"]],
      [b.key, ["job-of-b"]],
    ] as const) {
      const replay = await openStream(sessionId, 0, { key });
      await flush(replay);
      expect(jobIds(replay.envelopes)).toEqual(expected);
      replay.ws.close();
    }
  });

  it("a token of B's for the sessionId does not open A's stream", async () => {
    const sessionId = session("token-owner");
    await publishAs(a.key, sessionId, "job-of-a");
    const { token } = await tokenFor(b.key, sessionId);
    const client = await openStream(sessionId, 0, { token });
    await flush(client);
    expect(client.envelopes).toEqual([]);
    client.ws.close();
  });
});
