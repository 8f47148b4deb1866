/**
 * Who a view is from, without keeping who they are: a SHA-256 of a random salt of the UTC day, the
 * artifact, the client key (IPv6 by its /64) and the user agent. The salt is made once per day in
 * D1 (`view_salts`, INSERT OR IGNORE then read back, so every isolate agrees on it), cached in this
 * isolate for the day, and deleted the day after: from then on nobody, the operator included, can
 * tell which address a stored visitor hash came from or link two days (or two artifacts) of it.
 */
import { createHash } from "node:crypto";
import { ensureViewSalt } from "../db/views";
import { toHex } from "../lib/hashing";
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

/**
 * This isolate's salt of one day: the promise, so concurrent first requests share one D1 round trip,
 * and once it has arrived the value, so a repeat visit can be recognised without awaiting anything.
 */
let cached: { day: string; salt: Promise<string>; value?: string } | null = null;

/**
 * The salt of the UTC day of `now`: from this isolate's memory, else from D1 (made there by whichever
 * isolate asks first). Salts older than the day before are deleted on the way.
 */
export function dailySalt(db: D1Database, now: number): Promise<string> {
  const day = utcDay(now);
  if (cached?.day === day) return cached.salt;
  const salt = ensureViewSalt(db, day, randomSalt(), utcDay(now - DAY_MS));
  const entry: NonNullable<typeof cached> = { day, salt };
  cached = entry;
  salt.then(
    (value) => {
      entry.value = value;
    },
    () => {
      if (cached === entry) cached = null; // a failed read is tried again by the next view
    },
  );
  return salt;
}

/** The salt of the UTC day of `now` if this isolate already holds it, else null (no I/O). */
export function knownSalt(now: number): string | null {
  return cached?.day === utcDay(now) ? (cached.value ?? null) : null;
}

/**
 * The visitor of one artifact on one day: 64 hex characters (SHA-256); the salt itself is never
 * stored. Synchronous (node:crypto rather than crypto.subtle), so the page handler can tell a repeat
 * visit without scheduling any work.
 */
export function visitorHash(
  salt: string,
  artifactId: string,
  ip: string | null,
  userAgent: string | null,
): string {
  const who = ip ? clientKey(ip) : "unknown";
  return createHash("sha256")
    .update(`view\n${salt}\n${artifactId}\n${who}\n${userAgent ?? ""}`)
    .digest("hex");
}
