/**
 * The D1 meter (benchmarks only): a D1Database whose every statement adds D1's own `meta.rows_read`
 * and `meta.rows_written` — what D1 bills — to a tally. `run()`, `all()` and each result of
 * `batch()` carry meta; `first()` and `raw()` do not in D1's API, so here they run as `all()` and
 * shape its rows as D1 would (same SQL endpoint, one execution). Nothing wraps `env.DB` unless
 * `D1_METER=1` (see `meteringOn`): production code paths never see this module's objects.
 *
 * Known differences, both outside how this codebase queries (it calls neither `raw()` nor `exec()`):
 * `raw()` is built from row objects, so duplicate or integer-like column names come back as the
 * objects hold them, and `raw({ columnNames: true })` on zero rows gives `[[]]`; `exec()` reports
 * no rows, so it adds its statement count only.
 */
import type { AppEnv } from "../lib/env";

export interface D1Tally {
  /** Statements executed (each statement of a batch counts once). */
  statements: number;
  /** Sum of meta.rows_read: rows scanned, as D1 bills them. */
  rowsRead: number;
  /** Sum of meta.rows_written: rows inserted, updated or deleted, index rows included. */
  rowsWritten: number;
  /** Sum of meta.duration in ms (locally SQLite on this machine, not the hosted database's time). */
  durationMs: number;
  /** meta.size_after of the latest statement: the database's size in bytes; null before any. */
  sizeAfter: number | null;
}

/** `D1_METER=1` turns the meter on (bench only; unset or anything else: off, zero cost). */
export const meteringOn = (env: Pick<AppEnv, "D1_METER">): boolean => env.D1_METER === "1";

export const emptyTally = (): D1Tally => ({
  statements: 0,
  rowsRead: 0,
  rowsWritten: 0,
  durationMs: 0,
  sizeAfter: null,
});

/** The statement each metered statement wraps: `batch()` must receive D1's own objects. */
const unwrapped = new WeakMap<object, D1PreparedStatement>();

const unwrap = (statement: D1PreparedStatement): D1PreparedStatement => unwrapped.get(statement) ?? statement;

function add(tally: D1Tally, meta: Partial<D1Meta> | undefined): void {
  tally.statements++;
  tally.rowsRead += meta?.rows_read ?? 0;
  tally.rowsWritten += meta?.rows_written ?? 0;
  tally.durationMs += meta?.duration ?? 0;
  if (typeof meta?.size_after === "number") tally.sizeAfter = meta.size_after;
}

class MeteredStatement {
  constructor(
    private readonly statement: D1PreparedStatement,
    private readonly tally: D1Tally,
  ) {
    unwrapped.set(this, statement);
  }

  bind(...values: unknown[]): D1PreparedStatement {
    return new MeteredStatement(this.statement.bind(...values), this.tally);
  }

  async run<T = Record<string, unknown>>(): Promise<D1Result<T>> {
    const result = await this.statement.run<T>();
    add(this.tally, result.meta);
    return result;
  }

  async all<T = Record<string, unknown>>(): Promise<D1Result<T>> {
    const result = await this.statement.all<T>();
    add(this.tally, result.meta);
    return result;
  }

  /** D1's rule: null without a row; with `colName`, that column's value, or D1_COLUMN_NOTFOUND. */
  first<T = unknown>(colName: string): Promise<T | null>;
  first<T = Record<string, unknown>>(): Promise<T | null>;
  async first<T>(colName?: string): Promise<T | null> {
    const row = (await this.all<Record<string, unknown>>()).results[0];
    if (!row) return null;
    if (colName === undefined) return row as T;
    if (row[colName] === undefined) {
      throw new Error(`D1_COLUMN_NOTFOUND: Column not found (${colName})`, {
        cause: new Error("Column not found"),
      });
    }
    return row[colName] as T;
  }

  raw<T = unknown[]>(options: { columnNames: true }): Promise<[string[], ...T[]]>;
  raw<T = unknown[]>(options?: { columnNames?: false }): Promise<T[]>;
  async raw<T = unknown[]>(options?: { columnNames?: boolean }): Promise<T[] | [string[], ...T[]]> {
    const { results } = await this.all<Record<string, unknown>>();
    const columns = results[0] ? Object.keys(results[0]) : [];
    const rows = results.map((row) => columns.map((column) => row[column]) as T);
    return options?.columnNames ? [columns, ...rows] : rows;
  }
}

/** The statements of a batch go to D1 unwrapped; each result's meta is counted. */
async function meteredBatch<T>(
  batch: (statements: D1PreparedStatement[]) => Promise<D1Result<T>[]>,
  statements: D1PreparedStatement[],
  tally: D1Tally,
): Promise<D1Result<T>[]> {
  const results = await batch(statements.map(unwrap));
  for (const result of results) add(tally, result.meta);
  return results;
}

class MeteredSession {
  constructor(
    private readonly session: D1DatabaseSession,
    private readonly tally: D1Tally,
  ) {}

  prepare(query: string): D1PreparedStatement {
    return new MeteredStatement(this.session.prepare(query), this.tally);
  }

  batch<T = unknown>(statements: D1PreparedStatement[]): Promise<D1Result<T>[]> {
    return meteredBatch((s) => this.session.batch<T>(s), statements, this.tally);
  }

  getBookmark(): D1SessionBookmark | null {
    return this.session.getBookmark();
  }
}

class MeteredDatabase {
  constructor(
    private readonly db: D1Database,
    private readonly tally: D1Tally,
  ) {}

  prepare(query: string): D1PreparedStatement {
    return new MeteredStatement(this.db.prepare(query), this.tally);
  }

  batch<T = unknown>(statements: D1PreparedStatement[]): Promise<D1Result<T>[]> {
    return meteredBatch((s) => this.db.batch<T>(s), statements, this.tally);
  }

  /** No meta in D1's answer: counts the statements it ran, and their duration. */
  async exec(query: string): Promise<D1ExecResult> {
    const result = await this.db.exec(query);
    this.tally.statements += result.count;
    this.tally.durationMs += result.duration;
    return result;
  }

  withSession(constraintOrBookmark?: D1SessionBookmark | D1SessionConstraint): D1DatabaseSession {
    return new MeteredSession(this.db.withSession(constraintOrBookmark), this.tally);
  }

  dump(): Promise<ArrayBuffer> {
    return this.db.dump();
  }
}

/** `db` runs everything on the given database and adds each statement's meta to `tally`. */
export function meteredDb(db: D1Database): { db: D1Database; tally: D1Tally } {
  const tally = emptyTally();
  return { db: new MeteredDatabase(db, tally), tally };
}
