/** Opaque keyset cursors: (sort value, id) so pages never skip or repeat rows with equal sort values. */
import { z } from "zod";
import { ApiError } from "./errors";

const CursorSchema = z.object({ t: z.number().int(), id: z.string().min(1) });
export type Cursor = z.infer<typeof CursorSchema>;

function toBase64Url(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function fromBase64Url(text: string): string {
  const bin = atob(text.replaceAll("-", "+").replaceAll("_", "/"));
  return new TextDecoder().decode(Uint8Array.from(bin, (ch) => ch.charCodeAt(0)));
}

export function encodeCursor(cursor: Cursor): string {
  return toBase64Url(JSON.stringify(cursor));
}

/** Decodes a cursor from a query string; a tampered or foreign one is a 400. */
export function decodeCursor(raw: string | undefined): Cursor | null {
  if (raw === undefined) return null;
  try {
    const parsed = CursorSchema.safeParse(JSON.parse(fromBase64Url(raw)));
    if (parsed.success) return parsed.data;
  } catch {
    // fall through to the 400 below: a cursor that does not decode was not issued by us
  }
  throw new ApiError("invalid_request", "cursor: Invalid cursor", {
    details: [{ code: "invalid_cursor", path: ["cursor"], message: "Invalid cursor" }],
  });
}

/** Splits a `limit + 1` query result into the page and the cursor of the next one. */
export function paginate<T>(
  rows: T[],
  limit: number,
  key: (row: T) => Cursor,
): { items: T[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(key(last)) : null };
}
