/** Safe parsing of JSON stored in D1 columns: a bad value is logged and replaced by a fallback. */
import type { z } from "zod";
import { createLogger } from "./logging";

const log = createLogger({ module: "lib/json" });

export function parseStoredJson<T>(
  raw: string | null | undefined,
  schema: z.ZodType<T>,
  fallback: T,
  what: string,
): T {
  if (raw === null || raw === undefined || raw === "") return fallback;
  try {
    const parsed = schema.safeParse(JSON.parse(raw));
    if (parsed.success) return parsed.data;
    log.warn("stored_json.invalid", { what, error: parsed.error.message });
  } catch (err) {
    log.warn("stored_json.malformed", { what, error: err instanceof Error ? err.message : String(err) });
  }
  return fallback;
}
