/** Ids and slugs: nanoid, 21 url-safe characters (126 bits), unguessable. */
import { nanoid } from "nanoid";

/**
 * A nanoid that starts with a letter or digit: Workflow instance ids may not start with "-", and
 * ids that start with "-" or "_" are awkward on command lines. Costs one retry in ~32 draws.
 */
function startsClean(size: number): string {
  for (;;) {
    const id = nanoid(size);
    if (/^[A-Za-z0-9]/.test(id)) return id;
  }
}

export const newId = (): string => startsClean(21);

/** Public slugs are as unguessable as ids; a separate name keeps the intent clear at call sites. */
export const newSlug = (): string => startsClean(22);

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";

/**
 * A nanoid-shaped id (21 url-safe characters, first one a letter or digit) derived from `parts`:
 * the same parts always give the same id. Workflow steps insert rows under derived ids, so a
 * replayed step finds its own row instead of inserting a second one.
 */
export async function derivedId(...parts: (string | number)[]): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(parts.join("\u0000"))),
  );
  let id = ALPHABET[(digest[0] ?? 0) % 62] ?? "A";
  for (let i = 1; i < 21; i++) id += ALPHABET[(digest[i] ?? 0) & 63] ?? "A";
  return id;
}
