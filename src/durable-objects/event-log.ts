/** The session's event log in the actor's SQLite storage: gapless seq per session, last N kept. */
import type { WsEnvelope } from "../lib/ws-events";

/** How many events a session keeps for `?since=` replay. */
export const EVENTS_KEPT = 1000;

interface EventRow extends Record<string, SqlStorageValue> {
  seq: number;
  ts: number;
  type: string;
  data: string;
}

export class EventLog {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS events (
      seq INTEGER PRIMARY KEY, ts INTEGER NOT NULL, type TEXT NOT NULL, data TEXT NOT NULL)`);
  }

  /** The last seq given out (0 before the first event). Survives pruning: the newest row is always kept. */
  lastSeq(): number {
    const row = this.sql.exec<{ seq: number | null }>("SELECT MAX(seq) AS seq FROM events").one();
    return row.seq ?? 0;
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
  ): { seq: number; frame: string } {
    const seq = this.lastSeq() + 1;
    const json = JSON.stringify(data);
    this.sql.exec("INSERT INTO events (seq, ts, type, data) VALUES (?, ?, ?, ?)", seq, ts, type, json);
    return { seq, frame: envelopeFrame(sessionId, type, ts, seq, json) };
  }

  /** Serialized envelopes of the stored events after `since`, oldest first. */
  framesAfter(sessionId: string, since: number): string[] {
    return this.sql
      .exec<EventRow>("SELECT seq, ts, type, data FROM events WHERE seq > ? ORDER BY seq", since)
      .toArray()
      .map((row) => envelopeFrame(sessionId, row.type as WsEnvelope["type"], row.ts, row.seq, row.data));
  }

  /** Deletes all but the newest `keep` events; returns how many rows went. */
  prune(keep = EVENTS_KEPT): number {
    const cursor = this.sql.exec("DELETE FROM events WHERE seq <= ?", this.lastSeq() - keep);
    return cursor.rowsWritten;
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
): string {
  return `{"sessionId":${JSON.stringify(sessionId)},"type":${JSON.stringify(type)},"ts":${ts},"seq":${seq},"data":${dataJson}}`;
}
