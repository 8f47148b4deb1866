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
