import { abortAllDurableObjects, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { takeTokens } from "../../src/durable-objects/token-bucket";
import { ipBucketActor, publishEvent, sessionActor, takeRateToken } from "../../src/lib/actor";
import type { AppEnv } from "../../src/lib/env";
import type { PublishEvent } from "../../src/lib/ws-events";
import { asRoot, call, callWithEnv, expectError, KEY } from "../helpers";
import { type Envelope, openStream } from "../stream-client";

const appEnv = env as unknown as AppEnv;
let counter = 0;
const newSession = () => `session-${Date.now()}-${counter++}`;

const progress = (i: number): PublishEvent => ({
  type: "progress",
  data: { jobId: "job-1", provider: "local", variantIndex: 0, progress: Math.min(1, (i + 1) / 1000) },
});

async function publishMany(sessionId: string, n: number, from = 0) {
  for (let i = from; i < from + n; i++) {
    const result = await publishEvent(appEnv, asRoot(sessionId), progress(i));
    expect(result.ok).toBe(true);
  }
}

const seqs = (envelopes: Envelope[]) => envelopes.map((e) => e.seq);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe("fan-out", () => {
  it("delivers every event to every subscriber, in order, with gapless seq from 1", async () => {
    const sessionId = newSession();
    const a = await openStream(sessionId);
    const b = await openStream(sessionId);
    await publishEvent(appEnv, asRoot(sessionId), {
      type: "queued",
      data: { jobId: "job-1", provider: "local", variantIndex: 0 },
    });
    await publishMany(sessionId, 9);
    const [gotA, gotB] = await Promise.all([a.waitFor(10), b.waitFor(10)]);
    expect(seqs(gotA)).toEqual(range(1, 10));
    expect(gotB).toEqual(gotA);
    expect(gotA[0]).toMatchObject({
      sessionId,
      type: "queued",
      seq: 1,
      data: { jobId: "job-1", provider: "local", variantIndex: 0 },
    });
    expect(typeof gotA[0]?.ts).toBe("number");
  });

  it("keeps sessions apart", async () => {
    const one = newSession();
    const two = newSession();
    const client = await openStream(two);
    await publishMany(one, 3);
    await publishMany(two, 1);
    const [only] = await client.waitFor(1);
    expect(only).toMatchObject({ sessionId: two, seq: 1 });
  });
});

describe("replay with ?since", () => {
  it("replays the stored events after since, then continues live", async () => {
    const sessionId = newSession();
    await publishMany(sessionId, 5);
    const client = await openStream(sessionId, 2);
    await client.waitFor(3);
    await publishMany(sessionId, 2, 5);
    expect(seqs(await client.waitFor(5))).toEqual([3, 4, 5, 6, 7]);
  });

  it("has no gap and no duplicate at the seam when events arrive during the replay", async () => {
    const sessionId = newSession();
    await publishMany(sessionId, 50);
    // Publish while the subscriber is connecting and replaying.
    const publishing = publishMany(sessionId, 50, 50);
    const client = await openStream(sessionId, 10);
    await publishing;
    expect(seqs(await client.waitFor(90))).toEqual(range(11, 100));
    await new Promise((r) => setTimeout(r, 50));
    expect(client.envelopes).toHaveLength(90);
  });

  it("survives the actor being evicted: seq continues and a reconnecting client misses nothing", async () => {
    const sessionId = newSession();
    const first = await openStream(sessionId);
    await publishMany(sessionId, 3);
    await first.waitFor(3);
    await abortAllDurableObjects();
    await first.closed;
    await publishMany(sessionId, 2, 3);
    const again = await openStream(sessionId, 3);
    expect(seqs(await again.waitFor(2))).toEqual([4, 5]);
  });

  it("keeps the last 1,000 events, pruned on the alarm", async () => {
    const sessionId = newSession();
    const stub = sessionActor(appEnv, asRoot(sessionId));
    await runInDurableObject(stub, async (instance) => {
      for (let i = 0; i < 1005; i++) await instance.publish(sessionId, progress(i));
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await stub.stats()).toMatchObject({ events: 1000, lastSeq: 1005 });
    const client = await openStream(sessionId, 0);
    const got = await client.waitFor(1000);
    expect(got[0]?.seq).toBe(6);
    expect(got.at(-1)?.seq).toBe(1005);
  });
});

describe("heartbeat and limits", () => {
  it("answers ping with pong", async () => {
    const client = await openStream(newSession());
    client.ws.send("ping");
    expect(await client.nextText()).toBe("pong");
  });

  it("closes a socket that sends an oversized frame", async () => {
    const client = await openStream(newSession());
    client.ws.send("x".repeat(5000));
    const event = await client.closed;
    expect(event.code).toBe(1009);
  });
});

describe("publishing", () => {
  it("refuses invalid events with the issues", async () => {
    const sessionId = newSession();
    const bad = await publishEvent(appEnv, asRoot(sessionId), {
      type: "progress",
      data: { jobId: "j", provider: "local", variantIndex: 0, progress: 2 },
    });
    expect(bad).toMatchObject({ ok: false, message: expect.stringMatching(/^data\.progress: /) });
    const judge = await sessionActor(appEnv, asRoot(sessionId)).publish(sessionId, {
      type: "judge",
      data: { jobId: "j", provider: "local", variantIndex: 0, judgment: "fail" },
    });
    expect(judge).toMatchObject({ ok: false, message: expect.stringContaining("retrySuggestion") });
    const unknown = await sessionActor(appEnv, asRoot(sessionId)).publish(sessionId, {
      type: "exploded",
      data: {},
    });
    expect(unknown.ok).toBe(false);
    expect(await sessionActor(appEnv, asRoot(sessionId)).stats()).toMatchObject({ events: 0, lastSeq: 0 });
  });

  it("accepts events on the actor's own POST /_actor/:sessionId and refuses bad ones with 400", async () => {
    const sessionId = newSession();
    const client = await openStream(sessionId);
    const stub = sessionActor(appEnv, asRoot(sessionId));
    const post = (body: string) =>
      stub.fetch(`https://actor/_actor/${sessionId}`, {
        method: "POST",
        body,
        headers: { "content-type": "application/json" },
      });
    const ok = await post(
      JSON.stringify({
        type: "complete",
        data: { jobId: "j", summary: { total: 1, passed: 1, failed: 0, skipped: 0 } },
      }),
    );
    expect(ok.status).toBe(202);
    expect(await ok.json()).toEqual({ seq: 1 });
    expect((await client.waitFor(1))[0]).toMatchObject({ type: "complete", data: { summary: { total: 1 } } });

    const bad = await post(JSON.stringify({ type: "fail", data: { jobId: "j" } }));
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({
      error: {
        code: "invalid_request",
        message: "data.error: Invalid input: expected string, received undefined",
      },
    });
    expect((await post("{nope")).status).toBe(400);
  });

  it("is not reachable through the public worker", async () => {
    const sessionId = newSession();
    const res = await call(`/_actor/${sessionId}`, {
      method: "POST",
      body: { type: "queued", data: { jobId: "j" } },
    });
    await expectError(res, 404, "not_found");
    expect(await sessionActor(appEnv, asRoot(sessionId)).stats()).toMatchObject({ events: 0 });
  });
});

describe("closing cancelled tasks", () => {
  it("publishes the cancellation's events, then drops later events of the closed tasks only", async () => {
    const sessionId = newSession();
    const client = await openStream(sessionId);
    const stub = sessionActor(appEnv, asRoot(sessionId));
    const closed = await stub.closeTasks(
      sessionId,
      "job-c",
      [{ provider: "local", variantIndex: 0 }],
      [{ type: "fail", data: { jobId: "job-c", provider: "local", variantIndex: 0, error: "cancelled" } }],
    );
    expect(closed).toEqual({ ok: true, seq: 1 });
    const late = await stub.publish(sessionId, {
      type: "progress",
      data: { jobId: "job-c", provider: "local", variantIndex: 0, progress: 1 },
    });
    expect(late).toEqual({ ok: true, seq: 1 });
    await stub.publish(sessionId, {
      type: "progress",
      data: { jobId: "job-c", provider: "local", variantIndex: 1, progress: 1 },
    });
    await stub.publish(sessionId, {
      type: "complete",
      data: { jobId: "job-c", summary: { total: 2, passed: 1, failed: 0, skipped: 0, cancelled: 1 } },
    });
    const got = await client.waitFor(3);
    expect(got.map((e) => [e.type, e.data.variantIndex ?? null])).toEqual([
      ["fail", 0],
      ["progress", 1],
      ["complete", null],
    ]);
  });
});

describe("GET /api/stream/:sessionId errors", () => {
  it("answers a plain GET with 426", async () => {
    const body = await expectError(await call(`/api/stream/${newSession()}`), 426, "upgrade_required");
    expect(body.error.message).toContain("Upgrade: websocket");
  });

  it("rejects a bad sessionId and a bad since with 400", async () => {
    const headers = { Upgrade: "websocket" };
    const short = await expectError(await call("/api/stream/short", { headers }), 400, "invalid_request");
    expect(short.error.message).toMatch(/^sessionId: /);
    await expectError(await call("/api/stream/bad.session.id!", { headers }), 400, "invalid_request");
    const since = await expectError(
      await call(`/api/stream/${newSession()}?since=-1`, { headers }),
      400,
      "invalid_request",
    );
    expect(since.error.message).toMatch(/^since: /);
  });

  it("needs a credential, checked before the actor: no key or a wrong one is 401", async () => {
    const attempts: Record<string, string>[] = [{}, { "x-api-key": "wrong" }];
    for (const headers of attempts) {
      const res = await call(`/api/stream/${newSession()}`, {
        key: null,
        headers: { Upgrade: "websocket", ...headers },
      });
      expect(res.webSocket).toBeNull();
      await expectError(res, 401, "unauthorized");
    }
    const client = await openStream(newSession());
    expect(client.ws.readyState).toBe(WebSocket.OPEN);
  });
});

describe("token bucket", () => {
  it("allows the burst, refuses the next with retryAfterSeconds, and refills over time", async () => {
    const ip = `203.0.113.${counter++}`;
    for (let i = 0; i < 30; i++) expect((await takeRateToken(appEnv, ip)).allowed).toBe(true);
    const refused = await takeRateToken(appEnv, ip);
    expect(refused).toMatchObject({ allowed: false, retryAfterSeconds: 2 });

    // Move the stored clock back 4.5 s: two tokens have come back.
    await runInDurableObject(ipBucketActor(appEnv, ip), (_instance, state) => {
      state.storage.sql.exec("UPDATE bucket SET updated_at = updated_at - 4500");
    });
    expect((await takeRateToken(appEnv, ip)).allowed).toBe(true);
    expect((await takeRateToken(appEnv, ip)).allowed).toBe(true);
    expect((await takeRateToken(appEnv, ip)).allowed).toBe(false);
  });

  it("keeps its state across eviction", async () => {
    const ip = `198.51.100.${counter++}`;
    expect((await takeRateToken(appEnv, ip, 30)).allowed).toBe(true);
    await abortAllDurableObjects();
    expect(await takeRateToken(appEnv, ip)).toMatchObject({ allowed: false, retryAfterSeconds: 2 });
  });

  it("computes refill and retry-after exactly", () => {
    const config = { burst: 3, refillSeconds: 2 };
    const empty = { tokens: 0, updatedAt: 0 };
    expect(takeTokens(empty, 1, 1000, config).result).toEqual({
      allowed: false,
      retryAfterSeconds: 1,
      remaining: 0,
    });
    expect(takeTokens(empty, 1, 2000, config).result.allowed).toBe(true);
    expect(takeTokens(empty, 1, 60_000, config).state.tokens).toBe(2); // capped at burst, minus one
    expect(takeTokens(empty, 2, 0, config).result.retryAfterSeconds).toBe(4);
  });
});

describe("POST /api/dev/sessions/:sessionId/events (development only)", () => {
  const dev = { ENVIRONMENT: "development" };
  const post = (sessionId: string, body: unknown, key: string | null = KEY, overrides = dev) =>
    callWithEnv(overrides, `/api/dev/sessions/${sessionId}/events`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(key ? { "x-api-key": key } : {}) },
      body: JSON.stringify(body),
    });

  it("publishes a batch in order, logged or bare", async () => {
    const sessionId = newSession();
    const client = await openStream(sessionId);
    const res = await post(sessionId, { events: [progress(0), progress(1)] });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ published: 2, lastSeq: 2 });
    const bare = await post(sessionId, { events: [progress(2)], log: false });
    expect(await bare.json()).toEqual({ published: 1, lastSeq: null });
    const got = await client.waitFor(3);
    expect(got.map((e) => e.data.progress)).toEqual([0.001, 0.002, 0.003]);
    expect(await sessionActor(appEnv, asRoot(sessionId)).stats()).toMatchObject({ events: 2, lastSeq: 2 });
  });

  it("refuses the whole batch when one event is invalid", async () => {
    const sessionId = newSession();
    const res = await post(sessionId, { events: [progress(0), { type: "progress", data: {} }] });
    const body = await expectError(res, 400, "invalid_request");
    expect(body.error.message).toMatch(/^events\.1\./);
    expect(await sessionActor(appEnv, asRoot(sessionId)).stats()).toMatchObject({ events: 0 });
  });

  it("requires the API key", async () => {
    await expectError(await post(newSession(), { events: [progress(0)] }, null), 401, "unauthorized");
  });

  it("measures the benchmark floor in development", async () => {
    const res = await callWithEnv(dev, "/api/dev/floor", {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": KEY },
      body: JSON.stringify({
        sessionId: newSession(),
        variants: 2,
        actorPostsPerVariant: 2,
      }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { ms: number }).ms).toBeGreaterThan(0);
    expect(
      await env.DB.prepare("SELECT COUNT(*) AS n FROM knowledge_base WHERE key LIKE 'bench.floor.%'").first(),
    ).toEqual({ n: 0 });
  });

  it("does not exist outside development", async () => {
    await expectError(
      await post(newSession(), { events: [progress(0)] }, KEY, { ENVIRONMENT: "production" }),
      404,
      "not_found",
    );
  });
});
