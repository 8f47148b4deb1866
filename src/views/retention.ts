/**
 * View retention: raw view rows (address, city, user agent, visitor hash) are kept for
 * VIEW_RETENTION_DAYS (default 90), then folded into daily counts per artifact and country
 * (`artifact_view_daily`) and deleted, so totals never change while the personal data goes.
 * Meant to be called on a schedule; each call does bounded work and says what it did.
 */
import { deleteViewSaltsBefore, foldViewChunk } from "../db/views";
import type { AppEnv } from "../lib/env";
import { createLogger } from "../lib/logging";
import { intVar } from "../lib/vars";
import { DAY_MS, utcDay } from "./visitor";

const log = createLogger({ module: "views/retention" });

export const DEFAULT_RETENTION_DAYS = 90;
/** Today's and yesterday's rows are what keeps a repeat visitor from counting twice: never folded. */
export const MIN_RETENTION_DAYS = 2;
/** Rows folded per D1 batch, and per call at most. */
export const FOLD_CHUNK_ROWS = 1000;
export const FOLD_MAX_ROWS = 5000;

export function retentionDays(env: Pick<AppEnv, "VIEW_RETENTION_DAYS">): number {
  return Math.max(MIN_RETENTION_DAYS, intVar(env.VIEW_RETENTION_DAYS, DEFAULT_RETENTION_DAYS));
}

export interface FoldOptions {
  /** Rows per D1 batch (default FOLD_CHUNK_ROWS). */
  chunkRows?: number;
  /** Rows per call at most (default FOLD_MAX_ROWS); call again while `deleted` reaches it. */
  maxRows?: number;
}

/**
 * Folds raw views older than the retention period (relative to `now`, epoch ms) into daily counts
 * and deletes them, one D1 batch per chunk (a failure leaves that chunk as it was: nothing counted
 * twice or lost). Also deletes view salts older than yesterday. Returns the daily counts written
 * (`folded`: (artifact, day, country) rows created or increased) and the raw rows `deleted`.
 */
export async function foldOldViews(
  env: AppEnv,
  now: number,
  options: FoldOptions = {},
): Promise<{ folded: number; deleted: number }> {
  const chunkRows = Math.max(1, options.chunkRows ?? FOLD_CHUNK_ROWS);
  const maxRows = Math.max(1, options.maxRows ?? FOLD_MAX_ROWS);
  const days = retentionDays(env);
  const cutoff = now - days * DAY_MS;
  const saltsDeleted = await deleteViewSaltsBefore(env.DB, utcDay(now - DAY_MS));
  let folded = 0;
  let deleted = 0;
  while (deleted < maxRows) {
    const size = Math.min(chunkRows, maxRows - deleted);
    const chunk = await foldViewChunk(env.DB, cutoff, size);
    folded += chunk.folded;
    deleted += chunk.deleted;
    if (chunk.deleted < size) break;
  }
  if (deleted > 0 || saltsDeleted > 0) {
    log.info("views.folded", { retentionDays: days, before: utcDay(cutoff), folded, deleted, saltsDeleted });
  }
  return { folded, deleted };
}
