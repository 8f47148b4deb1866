/** Ids and slugs: nanoid, 21 url-safe characters (126 bits), unguessable. */
import { nanoid } from "nanoid";

export const newId = (): string => nanoid();

/** Public slugs are as unguessable as ids; a separate name keeps the intent clear at call sites. */
export const newSlug = (): string => nanoid(22);
