/** CSV cells per RFC 4180, made safe to open in a spreadsheet (no formula execution). */

/** Leading characters a spreadsheet reads as the start of a formula (OWASP CSV injection). */
const FORMULA_START = /^[=+\-@\t\r]/;

/** One field: formula starts neutralised with a leading apostrophe, then quoted when it must be. */
export function csvCell(value: string | number): string {
  let text = String(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** Rows joined with CRLF, the record separator RFC 4180 prescribes (a final CRLF included). */
export function csvDocument(rows: (string | number)[][]): string {
  return rows.map((row) => `${row.map(csvCell).join(",")}\r\n`).join("");
}
