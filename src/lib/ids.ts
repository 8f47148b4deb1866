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
