/**
 * Honest view counts: a view is counted once per visitor (address + user agent, IPv6 by its /64)
 * per artifact per UTC day — repeats send no queue message (the isolate's memory, then the Cache API
 * marker; a repeat this isolate remembers schedules no work at all) and never write a second row
 * (the unique index); old raw rows fold into daily counts without changing the totals; clientKey's
 * IPv6 /64 normalisation.
 */
import {
  createExecutionContext,
  createMessageBatch,
  getQueueResult,
  waitOnExecutionContext,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import worker from "../../src/index";
import type { AppEnv } from "../../src/lib/env";
import type { ViewMessage } from "../../src/queues/view-message";
import { clientKey, expandIpv6 } from "../../src/views/client-key";
import { MAX_REMEMBERED_VIEWS, viewMarkerKey } from "../../src/views/count-view";
import { foldOldViews, retentionDays } from "../../src/views/retention";
import { DAY_MS, dailySalt, utcDay, visitorHash } from "../../src/views/visitor";
import { seedProgression } from "../fixtures";
import { call, createProject } from "../helpers";

const appEnv = env as unknown as AppEnv;
const QUEUE = "picasso-backend-queue";

interface Stats {
  total: number;
  byCountry: Record<string, number>;
  recent: { id: string; ipAddress: string | null; userAgent: string | null; city: string | null }[];
}

async function publishedLookbook(): Promise<{ id: string; path: string }> {
  const project = await createProject("Views");
  await seedProgression(project.id);
  const res = await call(`/api/projects/${project.id}/artifacts/lookbook`, { method: "POST", body: {} });
  expect(res.status).toBe(201);
  const artifact = (await res.json()) as { id: string; publicUrl: string };
  return { id: artifact.id, path: new URL(artifact.publicUrl).pathname };
}

/** One page load, waiting for its waitUntil work (the marker check, the send, the marker put). */
async function visit(path: string, headers: Record<string, string>): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(
    new Request(`http://picasso.test${path}`, { headers }),
    appEnv as never,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return res;
}

/** Records what the page handler sends (the message still goes to the real queue too). */
function spySends() {
  const send = vi.spyOn(appEnv.PICASSO_QUEUE, "send");
  const bodies = () => send.mock.calls.map((call) => call[0] as ViewMessage);
  return { send, bodies };
}

/** Runs the real consumer on these bodies, as the queue would deliver them; returns the acks. */
async function consume(bodies: unknown[]): Promise<string[]> {
  const batch = createMessageBatch(
    QUEUE,
    bodies.map((body, i) => ({
      id: `delivery-${i}-${Math.random()}`,
      timestamp: new Date(),
      attempts: 1,
      body,
    })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch, appEnv, ctx);
  const result = await getQueueResult(batch, ctx);
  expect(result.retryMessages).toEqual([]);
  return result.explicitAcks;
}

const stats = async (artifactId: string): Promise<Stats> => {
  const res = await call(`/api/artifacts/${artifactId}/views`);
  expect(res.status).toBe(200);
  return (await res.json()) as Stats;
};

const rowsOf = async (artifactId: string) =>
  (
    await appEnv.DB.prepare(
      "SELECT id, visitor, day, ip_address, user_agent FROM artifact_views WHERE artifact_id = ?",
    )
      .bind(artifactId)
      .all<{
        id: string;
        visitor: string | null;
        day: string | null;
        ip_address: string;
        user_agent: string;
      }>()
  ).results;

afterEach(() => {
  vi.restoreAllMocks();
});

describe("clientKey", () => {
  it("keeps IPv4 as it is and keys IPv6 by its /64", () => {
    expect(clientKey("203.0.113.7")).toBe("203.0.113.7");
    expect(clientKey(" 198.51.100.250 ")).toBe("198.51.100.250");
    expect(clientKey("2001:db8:85a3:8d3:1319:8a2e:370:7348")).toBe("2001:db8:85a3:8d3::/64");
    expect(clientKey("2001:0DB8:85A3:08D3:ffff:ffff:ffff:ffff")).toBe("2001:db8:85a3:8d3::/64");
    // `::` expanded wherever it sits.
    expect(clientKey("2001:db8::1")).toBe("2001:db8:0:0::/64");
    expect(clientKey("2001:db8:1::")).toBe("2001:db8:1:0::/64");
    expect(clientKey("2001:db8:1:2::9")).toBe("2001:db8:1:2::/64");
    expect(clientKey("2001:db8:1:2:3::9")).toBe("2001:db8:1:2::/64");
    expect(clientKey("::1")).toBe("0:0:0:0::/64");
    expect(clientKey("::")).toBe("0:0:0:0::/64");
    expect(clientKey("fe80::1%eth0")).toBe("fe80:0:0:0::/64");
    // Two addresses of one subscriber's /64 are one client; the next /64 is another.
    expect(clientKey("2001:db8:a:b:1::1")).toBe(clientKey("2001:db8:a:b:ffff:1:2:3"));
    expect(clientKey("2001:db8:a:b::1")).not.toBe(clientKey("2001:db8:a:c::1"));
  });

  it("treats IPv4-mapped IPv6 as IPv4 and passes anything unparsable through", () => {
    expect(clientKey("::ffff:192.0.2.33")).toBe("192.0.2.33");
    expect(clientKey("::FFFF:c000:221")).toBe("192.0.2.33");
    expect(clientKey("64:ff9b::192.0.2.33")).toBe("64:ff9b:0:0::/64");
    for (const odd of [
      "unknown",
      "999.1.1.1",
      "1:2:3:4:5:6:7:8:9",
      "1::2::3",
      "2001:db8::g",
      "12345::1",
      "",
    ]) {
      expect(clientKey(odd)).toBe(odd);
    }
    expect(expandIpv6("1:2:3:4:5:6:7")).toBeNull();
    expect(expandIpv6("1:2:3:4:5:6:7:8")).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(expandIpv6("1:2:3:4:5:6:7::8")).toBeNull(); // `::` must stand for at least one group
  });
});

describe("one view per visitor per artifact per UTC day", () => {
  it("counts 30 reloads by one visitor once: one queue message, one row, total 1", async () => {
    const artifact = await publishedLookbook();
    const { send, bodies } = spySends();
    const visitor = { "cf-connecting-ip": "203.0.113.30", "user-agent": "Mozilla/5.0 (reloader)" };
    for (let i = 0; i < 30; i++) expect((await visit(artifact.path, visitor)).status).toBe(200);

    // The Cache API marker: only the first load sent a message.
    expect(send).toHaveBeenCalledTimes(1);
    const [message] = bodies();
    expect(message).toMatchObject({
      kind: "artifact-view",
      artifactId: artifact.id,
      ip: "203.0.113.30",
      userAgent: "Mozilla/5.0 (reloader)",
      visitor: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    const marker = await caches.default.match(
      viewMarkerKey(artifact.id, message?.visitor ?? "", utcDay(Date.now())),
    );
    expect(marker).toBeDefined();
    const maxAge = Number(/max-age=(\d+)/.exec(marker?.headers.get("cache-control") ?? "")?.[1]);
    expect(maxAge).toBeGreaterThan(0);
    expect(maxAge).toBeLessThanOrEqual(86_400);

    // Drain: the message, a redelivery of it, and what 29 more sends would have been had the marker
    // been evicted (new view ids, same visitor and day): the unique index writes one row only.
    const repeats = Array.from({ length: 29 }, (_, i) => ({ ...message, id: `repeat-${artifact.id}-${i}` }));
    expect(await consume([message, message, ...repeats])).toHaveLength(31);

    const rows = await rowsOf(artifact.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      visitor: message?.visitor,
      day: utcDay(message?.ts ?? 0),
      ip_address: "203.0.113.30",
      user_agent: "Mozilla/5.0 (reloader)",
    });
    const after = await stats(artifact.id);
    expect(after.total).toBe(1);
    expect(Object.values(after.byCountry)).toEqual([1]);
    expect(after.recent).toHaveLength(1);
    expect(after.recent[0]).toMatchObject({ ipAddress: "203.0.113.30", userAgent: "Mozilla/5.0 (reloader)" });
  });

  it("counts 3 visitors (3 addresses) as 3, however often each reloads", async () => {
    const artifact = await publishedLookbook();
    const { send, bodies } = spySends();
    for (let round = 0; round < 4; round++) {
      for (const ip of ["198.51.100.1", "198.51.100.2", "198.51.100.3"]) {
        expect((await visit(artifact.path, { "cf-connecting-ip": ip, "user-agent": "UA" })).status).toBe(200);
      }
    }
    expect(send).toHaveBeenCalledTimes(3);
    expect(new Set(bodies().map((b) => b.visitor)).size).toBe(3);
    await consume(bodies());
    expect(await rowsOf(artifact.id)).toHaveLength(3);
    expect((await stats(artifact.id)).total).toBe(3);
  });

  it("tells visitors apart by user agent, and IPv6 visitors by their /64", async () => {
    const artifact = await publishedLookbook();
    const { bodies } = spySends();
    const loads = [
      { "cf-connecting-ip": "198.51.100.9", "user-agent": "Firefox" },
      { "cf-connecting-ip": "198.51.100.9", "user-agent": "Chrome" }, // same address, another browser
      { "cf-connecting-ip": "2001:db8:5:6::1", "user-agent": "Safari" },
      { "cf-connecting-ip": "2001:db8:5:6:aaaa::2", "user-agent": "Safari" }, // a rotated address: same visitor
      { "cf-connecting-ip": "2001:db8:5:7::1", "user-agent": "Safari" }, // another /64
    ];
    for (const headers of loads) expect((await visit(artifact.path, headers)).status).toBe(200);
    expect(bodies()).toHaveLength(4);
    await consume(bodies());
    expect((await stats(artifact.id)).total).toBe(4);
  });

  it("sends nothing for a 304 and still writes one row per old-style message (no visitor)", async () => {
    const artifact = await publishedLookbook();
    const { send } = spySends();
    const first = await visit(artifact.path, { "cf-connecting-ip": "192.0.2.50", "user-agent": "UA" });
    const etag = first.headers.get("etag") ?? "";
    const again = await visit(artifact.path, { "cf-connecting-ip": "192.0.2.51", "if-none-match": etag });
    expect(again.status).toBe(304);
    expect(send).toHaveBeenCalledTimes(1);
    send.mockClear();

    // Messages queued before visitors existed: one row each, a redelivery still none.
    const legacy = (id: string) => ({
      kind: "artifact-view",
      id,
      artifactId: artifact.id,
      ts: Date.now(),
      ip: "192.0.2.60",
      country: "FR",
      city: null,
      userAgent: "UA",
    });
    const id = `legacy-${artifact.id}`;
    await consume([legacy(`${id}-1`), legacy(`${id}-2`), legacy(`${id}-1`)]);
    const legacyRows = (await rowsOf(artifact.id)).filter((r) => r.id.startsWith("legacy-"));
    expect(legacyRows.map((r) => r.visitor)).toEqual([null, null]);
  });

  it("hashes with a daily salt kept in D1, never stored on a row, and drops old salts", async () => {
    const today = utcDay(Date.now());
    const salt = await dailySalt(appEnv.DB, Date.now());
    expect(salt).toMatch(/^[0-9a-f]{64}$/);
    expect(await dailySalt(appEnv.DB, Date.now())).toBe(salt);
    const stored = await appEnv.DB.prepare("SELECT salt FROM view_salts WHERE day = ?").bind(today).first();
    expect(stored).toEqual({ salt });
    const leaked = await appEnv.DB.prepare(
      "SELECT COUNT(*) AS n FROM artifact_views WHERE visitor = ? OR instr(visitor, ?) > 0",
    )
      .bind(salt, salt)
      .first<{ n: number }>();
    expect(leaked?.n).toBe(0);

    // Another day gets its own salt (every isolate the same one); salts before the day before go.
    await appEnv.DB.prepare(
      "INSERT INTO view_salts (day, salt) VALUES ('2000-01-01', 'old'), ('2000-01-02', 'kept')",
    ).run();
    const jan3 = Date.parse("2000-01-03T12:00:00Z");
    const other = await dailySalt(appEnv.DB, jan3);
    expect(other).not.toBe(salt);
    expect(await dailySalt(appEnv.DB, jan3)).toBe(other);
    const days = await appEnv.DB.prepare("SELECT day FROM view_salts WHERE day < '2001' ORDER BY day").all<{
      day: string;
    }>();
    expect(days.results.map((r) => r.day)).toEqual(["2000-01-02", "2000-01-03"]);
    // Back to today: the same salt as before (read back from D1, not made anew).
    expect(await dailySalt(appEnv.DB, Date.now())).toBe(salt);
  });
});

describe("a repeat visit costs nothing", () => {
  it("schedules no work for a visitor this isolate already counted today: no waitUntil, no marker lookup", async () => {
    const artifact = await publishedLookbook();
    const visitor = { "cf-connecting-ip": "203.0.113.80", "user-agent": "Mozilla/5.0 (repeat)" };
    expect((await visit(artifact.path, visitor)).status).toBe(200);

    const { send } = spySends();
    const match = vi.spyOn(caches.default, "match");
    const ctx = createExecutionContext();
    const waitUntil = vi.spyOn(ctx, "waitUntil");
    const res = await worker.fetch(
      new Request(`http://picasso.test${artifact.path}`, { headers: visitor }),
      appEnv as never,
      ctx,
    );
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    await waitOnExecutionContext(ctx);
    expect(waitUntil).not.toHaveBeenCalled();
    expect(match).toHaveBeenCalledTimes(1); // the page itself, no view marker
    expect(send).not.toHaveBeenCalled();

    // Another visitor of the same page is counted as before.
    expect((await visit(artifact.path, { ...visitor, "cf-connecting-ip": "203.0.113.81" })).status).toBe(200);
    expect(send).toHaveBeenCalledTimes(1);
  });

  it("sends one message for concurrent first visits of one visitor", async () => {
    const artifact = await publishedLookbook();
    expect((await visit(artifact.path, { "cf-connecting-ip": "203.0.113.90" })).status).toBe(200);
    const { send } = spySends();
    const visitor = { "cf-connecting-ip": "203.0.113.91", "user-agent": "Mozilla/5.0 (burst)" };
    const pages = await Promise.all(Array.from({ length: 8 }, () => visit(artifact.path, visitor)));
    expect(pages.map((p) => p.status)).toEqual(Array(8).fill(200));
    expect(send).toHaveBeenCalledTimes(1);
  });

  it("honours a marker another isolate put in the Cache API", async () => {
    const artifact = await publishedLookbook();
    const ip = "203.0.113.95";
    const userAgent = "Mozilla/5.0 (elsewhere)";
    const salt = await dailySalt(appEnv.DB, Date.now());
    const marker = viewMarkerKey(
      artifact.id,
      visitorHash(salt, artifact.id, ip, userAgent),
      utcDay(Date.now()),
    );
    await caches.default.put(
      marker,
      new Response("1", { headers: { "Cache-Control": "public, max-age=600" } }),
    );
    const { send } = spySends();
    expect((await visit(artifact.path, { "cf-connecting-ip": ip, "user-agent": userAgent })).status).toBe(
      200,
    );
    expect(send).not.toHaveBeenCalled();
    expect(MAX_REMEMBERED_VIEWS).toBeGreaterThan(0);
  });
});

describe("retention: foldOldViews", () => {
  /** Raw rows inserted as the consumer would have, `daysAgo` before `now`. */
  async function insertViews(
    artifactId: string,
    now: number,
    views: { daysAgo: number; country: string | null }[],
  ) {
    await appEnv.DB.batch(
      views.map((v, i) =>
        appEnv.DB.prepare(
          `INSERT INTO artifact_views (id, artifact_id, timestamp, ip_address, country, city, user_agent, visitor, day)
           VALUES (?, ?, ?, '192.0.2.1', ?, 'Lyon', 'UA', ?, ?)`,
        ).bind(
          `${artifactId}-old-${i}`,
          artifactId,
          now - v.daysAgo * DAY_MS,
          v.country,
          i % 3 === 0 ? null : `visitor-${i}`, // some rows from before visitors existed
          i % 3 === 0 ? null : utcDay(now - v.daysAgo * DAY_MS),
        ),
      ),
    );
  }

  const daily = async (artifactId: string) =>
    (
      await appEnv.DB.prepare(
        "SELECT day, country, views FROM artifact_view_daily WHERE artifact_id = ? ORDER BY day, country",
      )
        .bind(artifactId)
        .all<{ day: string; country: string; views: number }>()
    ).results;

  it("folds rows past the retention period into daily counts; the totals do not change", async () => {
    expect(retentionDays({})).toBe(90);
    expect(retentionDays({ VIEW_RETENTION_DAYS: "30" })).toBe(30);
    expect(retentionDays({ VIEW_RETENTION_DAYS: "0" })).toBe(2);
    expect(retentionDays({ VIEW_RETENTION_DAYS: "soon" })).toBe(90);

    const artifact = await publishedLookbook();
    const now = Date.now();
    await insertViews(artifact.id, now, [
      { daysAgo: 120, country: "FR" },
      { daysAgo: 120, country: "FR" },
      { daysAgo: 120, country: "DE" },
      { daysAgo: 100, country: null },
      { daysAgo: 100, country: "FR" },
      { daysAgo: 91, country: "FR" },
      { daysAgo: 30, country: "FR" },
      { daysAgo: 1, country: "US" },
    ]);
    const before = await stats(artifact.id);
    expect(before.total).toBe(8);

    // Chunks of 2: every chunk its own batch, the rows of one day split across chunks still add up.
    const first = await foldOldViews(appEnv, now, { chunkRows: 2 });
    expect(first.deleted).toBe(6);
    expect(first.folded).toBeGreaterThanOrEqual(5);
    const day = (n: number) => utcDay(now - n * DAY_MS);
    expect(await daily(artifact.id)).toEqual(
      [
        { day: day(120), country: "DE", views: 1 },
        { day: day(120), country: "FR", views: 2 },
        { day: day(100), country: "FR", views: 1 },
        { day: day(100), country: "unknown", views: 1 },
        { day: day(91), country: "FR", views: 1 },
      ].sort((a, b) => a.day.localeCompare(b.day) || a.country.localeCompare(b.country)),
    );
    expect((await rowsOf(artifact.id)).length).toBe(2);
    const after = await stats(artifact.id);
    expect(after.total).toBe(before.total);
    expect(after.byCountry).toEqual(before.byCountry);
    expect(after.recent).toHaveLength(2); // only raw rows carry an address
    expect(await foldOldViews(appEnv, now)).toEqual({ folded: 0, deleted: 0 });

    // Far in the future every raw row is old: they fold into the counts already there.
    const later = await foldOldViews(appEnv, now + 365 * DAY_MS);
    expect(later.deleted).toBeGreaterThanOrEqual(2);
    expect(await rowsOf(artifact.id)).toEqual([]);
    const folded = await stats(artifact.id);
    expect(folded.total).toBe(8);
    expect(folded.byCountry).toEqual(before.byCountry);
    expect(folded.recent).toEqual([]);
  });

  it("does bounded work per call and honours VIEW_RETENTION_DAYS", async () => {
    const artifact = await publishedLookbook();
    const now = Date.now();
    // Seven rows with one timestamp: the chunk boundary falls between rows of equal time.
    await insertViews(
      artifact.id,
      now,
      Array.from({ length: 7 }, () => ({ daysAgo: 10, country: "JP" })),
    );
    const shortRetention = { ...appEnv, VIEW_RETENTION_DAYS: "5" };
    expect(await foldOldViews(appEnv, now)).toMatchObject({ deleted: 0 }); // 90 days: nothing is old yet
    expect(await foldOldViews(shortRetention, now, { chunkRows: 2, maxRows: 5 })).toMatchObject({
      deleted: 5,
    });
    expect((await stats(artifact.id)).total).toBe(7);
    expect(await foldOldViews(shortRetention, now, { chunkRows: 2, maxRows: 5 })).toMatchObject({
      deleted: 2,
    });
    expect(await daily(artifact.id)).toEqual([{ day: utcDay(now - 10 * DAY_MS), country: "JP", views: 7 }]);
    expect(await stats(artifact.id)).toMatchObject({ total: 7, byCountry: { JP: 7 }, recent: [] });
  });
});
