/**
 * Which failures are the platform's passing trouble rather than a permanent answer: a lost
 * connection, an internal error of Images/R2/D1/a Durable Object, an object reset, overload. Those
 * are retried with backoff; a provider's permanent answer and validation failures are not.
 */

const TRANSIENT = new RegExp(
  [
    "network connection lost",
    "connection (?:reset|refused|closed|lost)",
    "socket hang ?up",
    "econnreset|econnrefused|epipe|etimedout",
    "internal (?:server )?error",
    "an internal error occurred",
    "(?:durable )?object (?:was )?reset",
    "object.*(?:overloaded|exceeded)",
    "overloaded",
    "too many (?:requests|concurrent|subrequests in flight)",
    "temporarily unavailable|service unavailable",
    "timed? ?out|timeout",
    "sqlite_busy|database is locked|d1_error.*(?:reset|busy|timeout)",
    "storage operation exceeded",
    "restarted mid-request|worker restarted",
    "memory limit",
  ].join("|"),
  "i",
);

/** The text of anything thrown. */
export const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** True when `err` looks like a transient platform failure that a retry may fix. */
export function isTransientPlatformError(err: unknown): boolean {
  return TRANSIENT.test(errorText(err));
}
