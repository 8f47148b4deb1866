/**
 * The D1 meter (src/db/meter.ts) on the real local D1: its counts are the meta D1 reports for the
 * same statements, first() and raw() return exactly what the unwrapped database returns, batches get
 * D1's own statements, and the HTTP entry logs one `d1` line per request only when D1_METER=1.
 */
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { meteredDb, meteringOn } from "../../src/db/meter";
import worker from "../../src/index";
import type { AppEnv } from "../../src/lib/env";
import { callWithEnv, KEY } from "../helpers";

const raw = (env as unknown as AppEnv).DB;

beforeAll(async () => {
  await raw.exec("CREATE TABLE meter_t (id INTEGER PRIMARY KEY, name TEXT NOT NULL, n INTEGER NOT NULL)");
  await raw.exec("CREATE INDEX idx_meter_t_name ON meter_t(name)");
});

describe("meteredDb", () => {
  it("counts an insert from run()'s meta, and returns D1's result", async () => {
    const { db, tally } = meteredDb(raw);
    const result = await db.prepare("INSERT INTO meter_t (name, n) VALUES (?, ?)").bind("a", 1).run();
    expect(result.success).toBe(true);
    expect(result.meta.rows_written).toBeGreaterThanOrEqual(1);
    expect(tally).toMatchObject({ statements: 1, rowsWritten: result.meta.rows_written });
    expect(tally.rowsRead).toBe(result.meta.rows_read);
    expect(tally.sizeAfter).toBe(result.meta.size_after);
  });

  it("counts a select from all()'s meta; the rows are D1's", async () => {
    await raw.prepare("INSERT INTO meter_t (name, n) VALUES ('b', 2), ('c', 3)").run();
    const { db, tally } = meteredDb(raw);
    const sql = "SELECT name, n FROM meter_t ORDER BY id";
    const metered = await db.prepare(sql).all();
    const plain = await raw.prepare(sql).all();
    expect(metered.results).toEqual(plain.results);
    expect(metered.meta.rows_read).toBe(plain.meta.rows_read);
    expect(tally).toMatchObject({ statements: 1, rowsRead: plain.meta.rows_read, rowsWritten: 0 });
    expect(tally.rowsRead).toBeGreaterThanOrEqual(3);
  });

  it("sends D1's own statements to batch() and counts every result's meta", async () => {
    const { db, tally } = meteredDb(raw);
    const insert = db.prepare("INSERT INTO meter_t (name, n) VALUES (?, ?)");
    const results = await db.batch([
      insert.bind("d", 4),
      insert.bind("e", 5),
      db.prepare("UPDATE meter_t SET n = n + 10 WHERE name = ?").bind("d"),
    ]);
    expect(results).toHaveLength(3);
    const written = results.reduce((n, r) => n + r.meta.rows_written, 0);
    const read = results.reduce((n, r) => n + r.meta.rows_read, 0);
    expect(tally).toMatchObject({ statements: 3, rowsWritten: written, rowsRead: read });
    // Two inserts and an update, each with its index row: more than three rows written.
    expect(written).toBeGreaterThanOrEqual(3);
    expect(await raw.prepare("SELECT n FROM meter_t WHERE name = 'd'").first("n")).toBe(14);
  });

  it("keeps bind() chains apart: a bound statement is a new wrapped statement", async () => {
    const { db, tally } = meteredDb(raw);
    const select = db.prepare("SELECT n FROM meter_t WHERE name = ?");
    const b = select.bind("b");
    const c = select.bind("c");
    expect(await b.first("n")).toBe(2);
    expect(await c.first("n")).toBe(3);
    expect(await b.first("n")).toBe(2);
    expect(tally.statements).toBe(3);
  });

  it("first() returns what D1's first() returns (row, column, null) and throws as it does", async () => {
    const { db, tally } = meteredDb(raw);
    const row = "SELECT name, n FROM meter_t WHERE name = ?";
    expect(await db.prepare(row).bind("c").first()).toEqual(await raw.prepare(row).bind("c").first());
    expect(await db.prepare(row).bind("c").first("n")).toBe(await raw.prepare(row).bind("c").first("n"));
    expect(await db.prepare(row).bind("nobody").first()).toBeNull();
    expect(await raw.prepare(row).bind("nobody").first()).toBeNull();
    expect(await db.prepare(row).bind("nobody").first("n")).toBeNull();
    await expect(raw.prepare(row).bind("c").first("missing")).rejects.toThrow(/D1_COLUMN_NOTFOUND/);
    await expect(db.prepare(row).bind("c").first("missing")).rejects.toThrow(/D1_COLUMN_NOTFOUND/);
    const count = "SELECT COUNT(*) AS total FROM meter_t";
    expect(await db.prepare(count).first("total")).toBe(await raw.prepare(count).first("total"));
    // Each first() ran once, and its rows were counted like all()'s.
    expect(tally.statements).toBe(6);
    expect(tally.rowsRead).toBeGreaterThan(0);
  });

  it("raw() returns what D1's raw() returns, with and without column names", async () => {
    const { db, tally } = meteredDb(raw);
    const sql = "SELECT id, name, n FROM meter_t WHERE n < ? ORDER BY id";
    expect(await db.prepare(sql).bind(4).raw()).toEqual(await raw.prepare(sql).bind(4).raw());
    expect(await db.prepare(sql).bind(4).raw({ columnNames: true })).toEqual(
      await raw.prepare(sql).bind(4).raw({ columnNames: true }),
    );
    expect(await db.prepare(sql).bind(-1).raw()).toEqual([]);
    expect(tally.statements).toBe(3);
    expect(tally.rowsRead).toBeGreaterThan(0);
  });

  it("counts writes made through withSession() too", async () => {
    const { db, tally } = meteredDb(raw);
    const session = db.withSession("first-primary");
    const result = await session.prepare("INSERT INTO meter_t (name, n) VALUES ('s', 9)").run();
    await session.batch([session.prepare("DELETE FROM meter_t WHERE name = 's'")]);
    expect(tally.statements).toBe(2);
    expect(tally.rowsWritten).toBeGreaterThanOrEqual(result.meta.rows_written + 1);
  });

  it("is off unless D1_METER is exactly 1", () => {
    expect(meteringOn({ D1_METER: "1" })).toBe(true);
    expect(meteringOn({})).toBe(false);
    expect(meteringOn({ D1_METER: "true" })).toBe(false);
  });
});

describe("the HTTP entry with D1_METER", () => {
  const d1Lines = (spy: { mock: { calls: unknown[][] } }) =>
    spy.mock.calls
      .map((args) => String(args[0]))
      .filter((line) => line.includes('"event":"d1"'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);

  it("logs one d1 line per request with what the request cost", async () => {
    const spy = vi.spyOn(console, "log");
    try {
      const created = await callWithEnv({ D1_METER: "1" }, "/api/projects", {
        method: "POST",
        headers: { "x-api-key": KEY, "content-type": "application/json" },
        body: JSON.stringify({ name: "metered" }),
      });
      expect(created.status).toBe(201);
      const lines = d1Lines(spy);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({
        event: "d1",
        scope: "request",
        method: "POST",
        path: "/api/projects",
        status: 201,
        requestId: created.headers.get("x-request-id"),
      });
      expect(lines[0]?.statements).toBeGreaterThanOrEqual(1);
      expect(lines[0]?.rowsWritten).toBeGreaterThanOrEqual(1);
    } finally {
      spy.mockRestore();
    }
  });

  it("logs one d1 line per queue batch too", async () => {
    const spy = vi.spyOn(console, "log");
    try {
      const batch = createMessageBatch("picasso-backend-queue", [
        { id: "probe-1", timestamp: new Date(), attempts: 1, body: { kind: "health-probe", ts: Date.now() } },
      ]);
      const ctx = createExecutionContext();
      await worker.queue(batch, { ...env, D1_METER: "1" } as never, ctx);
      expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual(["probe-1"]);
      expect(d1Lines(spy)).toEqual([
        expect.objectContaining({ event: "d1", scope: "queue", messages: 1, statements: 0, rowsWritten: 0 }),
      ]);
    } finally {
      spy.mockRestore();
    }
  });

  it("logs nothing when metering is off", async () => {
    const spy = vi.spyOn(console, "log");
    try {
      const res = await callWithEnv({}, "/api/projects", { headers: { "x-api-key": KEY } });
      expect(res.status).toBe(200);
      expect(d1Lines(spy)).toHaveLength(0);
    } finally {
      spy.mockRestore();
    }
  });
});
