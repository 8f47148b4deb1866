/** The Content-Security-Policy of a rendered page: no scripts, inline styles allowed only by hash. */
import { sha256Base64 } from "../lib/hashing";

/** A strict policy for `html`: its inline <style> blocks are allowed by their hashes, nothing else inline. */
export async function contentSecurityPolicy(html: string): Promise<string> {
  const hashes = await Promise.all(
    [...html.matchAll(/<style\b[^>]*>([\s\S]*?)<\/style\s*>/gi)].map(
      async (m) => `'sha256-${await sha256Base64(m[1] ?? "")}'`,
    ),
  );
  return [
    "default-src 'none'",
    "img-src 'self' https: data:",
    `style-src ${hashes.length > 0 ? hashes.join(" ") : "'none'"}`,
    "font-src https: data:",
    "script-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
}
