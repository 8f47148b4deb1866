/**
 * The session's event log in the actor's SQLite storage: gapless seq per session, last N kept, and
 * the ids of published events, so an event published twice (a retried step) is stored and streamed once.
 */
import type { WsEnvelope } from "../lib/ws-events";

/** How many events a session keeps for `?since=` replay. */
export const EVENTS_KEPT = 1000;
/** Event ids are remembered this much longer than the events, so a late retry is still recognised. */
const IDS_KEPT = EVENTS_KEPT * 10;

interface EventRow extends Record<string, SqlStorageValue> {
  seq: number;
  ts: number;
  type: string;
  data: string;
  event_id: string | null;
}

export class EventLog {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS events (
      seq INTEGER PRIMARY KEY, ts INTEGER NOT NULL, type TEXT NOT NULL, data TEXT NOT NULL)`);
    // Logs created before event ids existed gain the column (SQLite has no ADD COLUMN IF NOT EXISTS).
    const columns = sql.exec<{ name: string }>("PRAGMA table_info(events)").toArray();
    if (!columns.some((c) => c.name === "event_id")) sql.exec("ALTER TABLE events ADD COLUMN event_id TEXT");
    sql.exec(`CREATE TABLE IF NOT EXISTS event_ids (id TEXT PRIMARY KEY, seq INTEGER NOT NULL)`);
  }

  /** The last seq given out (0 before the first event). Survives pruning: the newest row is always kept. */
  lastSeq(): number {
    const row = this.sql.exec<{ seq: number | null }>("SELECT MAX(seq) AS seq FROM events").one();
    return row.seq ?? 0;
  }

  /** True when an event with this id was already logged. */
  has(eventId: string): boolean {
    return this.sql.exec("SELECT 1 FROM event_ids WHERE id = ?", eventId).toArray().length > 0;
  }

  /**
   * Stores an event under the next seq and returns its serialized envelope. Synchronous, so two
   * appends can never interleave and seq stays gapless.
   */
  append(
    sessionId: string,
    type: WsEnvelope["type"],
    data: WsEnvelope["data"],
    ts: number,
    eventId?: string,
  ): { seq: number; frame: string } {
    const seq = this.lastSeq() + 1;
    const json = JSON.stringify(data);
    this.sql.exec(
      "INSERT INTO events (seq, ts, type, data, event_id) VALUES (?, ?, ?, ?, ?)",
      seq,
      ts,
      type,
      json,
      eventId ?? null,
    );
    if (eventId) this.sql.exec("INSERT INTO event_ids (id, seq) VALUES (?, ?)", eventId, seq);
    return { seq, frame: envelopeFrame(sessionId, type, ts, seq, json, eventId) };
  }

  /** Serialized envelopes of the stored events after `since`, oldest first. */
  framesAfter(sessionId: string, since: number): string[] {
    return this.sql
      .exec<EventRow>("SELECT seq, ts, type, data, event_id FROM events WHERE seq > ? ORDER BY seq", since)
      .toArray()
      .map((row) => envelopeFrame(sessionId, row.type, row.ts, row.seq, row.data, row.event_id ?? undefined));
  }

  /** Deletes all but the newest `keep` events (and ids older than IDS_KEPT events); returns rows removed. */
  prune(keep = EVENTS_KEPT): number {
    const last = this.lastSeq();
    this.sql.exec("DELETE FROM event_ids WHERE seq <= ?", last - IDS_KEPT);
    return this.sql.exec("DELETE FROM events WHERE seq <= ?", last - keep).rowsWritten;
  }

  count(): number {
    return this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM events").one().n;
  }
}

/** Builds the envelope text without re-parsing the stored data JSON. */
export function envelopeFrame(
  sessionId: string,
  type: string,
  ts: number,
  seq: number,
  dataJson: string,
  eventId?: string,
): string {
  const id = eventId ? `,"id":${JSON.stringify(eventId)}` : "";
  return `{"sessionId":${JSON.stringify(sessionId)},"type":${JSON.stringify(type)},"ts":${ts},"seq":${seq}${id},"data":${dataJson}}`;
}
