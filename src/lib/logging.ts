/** One JSON line per event, through one logger. */

export type LogFields = Record<string, unknown>;

export interface Logger {
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

function write(
  level: "info" | "warn" | "error",
  base: LogFields,
  event: string,
  fields: LogFields = {},
): void {
  const line = JSON.stringify({ level, event, ts: Date.now(), ...base, ...fields });
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}

/** A logger whose every line carries `base` (e.g. the requestId or the jobId). */
export function createLogger(base: LogFields = {}): Logger {
  return {
    info: (event, fields) => write("info", base, event, fields),
    warn: (event, fields) => write("warn", base, event, fields),
    error: (event, fields) => write("error", base, event, fields),
    child: (fields) => createLogger({ ...base, ...fields }),
  };
}

/** Error details for logs (never for response bodies). */
export function describeError(err: unknown): LogFields {
  if (err instanceof Error) return { error: err.message, errorName: err.name, stack: err.stack };
  return { error: String(err) };
}

/** The message of anything thrown, without a stack (for expected conditions). */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

const loggedOnce = new Set<string>();

/**
 * An expected, handled condition (e.g. the AI binding being remote-only under local dev): logged
 * once per isolate as one info line without a stack, so a healthy run does not look alarming.
 * Returns false when the event was already logged in this isolate.
 */
export function logOnce(logger: Logger, event: string, fields: LogFields = {}): boolean {
  if (loggedOnce.has(event)) return false;
  loggedOnce.add(event);
  logger.info(event, { ...fields, once: "logged once per isolate" });
  return true;
}
