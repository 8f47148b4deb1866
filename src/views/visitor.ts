/**
 * Who a view is from, without keeping who they are: a SHA-256 of a random salt of the UTC day, the
 * artifact, the client key (IPv6 by its /64) and the user agent. The salt is made once per day in
 * D1 (`view_salts`, INSERT OR IGNORE then read back, so every isolate agrees on it), cached in this
 * isolate for the day, and deleted the day after: from then on nobody, the operator included, can
 * tell which address a stored visitor hash came from or link two days (or two artifacts) of it.
 */
import { ensureViewSalt } from "../db/views";
import { sha256Hex, toHex } from "../lib/hashing";
import { clientKey } from "./client-key";

export const DAY_MS = 86_400_000;

/** The UTC day of an epoch-ms instant, `YYYY-MM-DD`. */
export const utcDay = (ts: number): string => new Date(ts).toISOString().slice(0, 10);

/** Whole seconds from `ts` to the next UTC midnight (at least 1). */
export const secondsToEndOfDay = (ts: number): number =>
  Math.max(1, Math.ceil((DAY_MS - (ts % DAY_MS)) / 1000));

function randomSalt(): string {
  return toHex(crypto.getRandomValues(new Uint8Array(32)));
}

/** This isolate's salt of one day (the promise, so concurrent first requests share one D1 round trip). */
let cached: { day: string; salt: Promise<string> } | null = null;

/**
 * The salt of the UTC day of `now`: from this isolate's memory, else from D1 (made there by whichever
 * isolate asks first). Salts older than the day before are deleted on the way.
 */
export function dailySalt(db: D1Database, now: number): Promise<string> {
  const day = utcDay(now);
  if (cached?.day === day) return cached.salt;
  const salt = ensureViewSalt(db, day, randomSalt(), utcDay(now - DAY_MS));
  const entry = { day, salt };
  cached = entry;
  salt.catch(() => {
    if (cached === entry) cached = null; // a failed read is tried again by the next view
  });
  return salt;
}

/** The visitor of one artifact on one day: 64 hex characters; the salt itself is never stored. */
export function visitorHash(
  salt: string,
  artifactId: string,
  ip: string | null,
  userAgent: string | null,
): Promise<string> {
  const who = ip ? clientKey(ip) : "unknown";
  return sha256Hex(`view\n${salt}\n${artifactId}\n${who}\n${userAgent ?? ""}`);
}
