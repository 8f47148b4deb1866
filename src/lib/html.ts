/** HTML escaping through Hono's escaper (one well-kept implementation instead of our own). */
import { escapeToBuffer } from "hono/utils/html";

/** Escapes `& < > " '`: safe in element text and in quoted attribute values. */
export function escapeHtml(text: string): string {
  const buffer: [string] = [""];
  escapeToBuffer(text, buffer);
  return buffer[0];
}

/** True for absolute http(s) URLs: the only URLs allowed into `src` and `href`. */
export function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "https:" || url.protocol === "http:";
  } catch {
    return false; // not a URL at all
  }
}
