/** Numeric vars as wrangler passes them (strings): parsed once, with a default. */

/** Reads a non-negative integer var with a default. */
export function intVar(raw: string | undefined, fallback: number): number {
  const n = Number(raw);
  return raw !== undefined && raw !== "" && Number.isInteger(n) && n >= 0 ? n : fallback;
}
