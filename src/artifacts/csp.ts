/**
 * The Content-Security-Policy of a rendered page: inline styles allowed by their hashes, and no
 * script except the fixed ones shipped with the code (page-scripts.ts), each allowed by its hash.
 * Any other inline script (a user's template may contain one) matches no hash and never runs.
 */
import { sha256Base64 } from "../lib/hashing";
import { TRUSTED_SCRIPTS } from "./page-scripts";

const hashSource = async (text: string) => `'sha256-${await sha256Base64(text)}'`;

/** The hashes of the inline scripts of `html` that are trusted scripts (each once). */
async function trustedScriptHashes(html: string): Promise<string[]> {
  const found = new Set<string>();
  // Only attribute-less <script> elements: a src, type or nonce attribute is never ours.
  for (const m of html.matchAll(/<script>([\s\S]*?)<\/script\s*>/gi)) {
    const body = m[1] ?? "";
    if (TRUSTED_SCRIPTS.includes(body)) found.add(body);
  }
  return Promise.all([...found].map(hashSource));
}

/** A strict policy for `html`. */
export async function contentSecurityPolicy(html: string): Promise<string> {
  const styles = await Promise.all(
    [...html.matchAll(/<style\b[^>]*>([\s\S]*?)<\/style\s*>/gi)].map((m) => hashSource(m[1] ?? "")),
  );
  const scripts = await trustedScriptHashes(html);
  return [
    "default-src 'none'",
    "img-src 'self' https: data:",
    `style-src ${styles.length > 0 ? [...new Set(styles)].join(" ") : "'none'"}`,
    "font-src https: data:",
    `script-src ${scripts.length > 0 ? scripts.join(" ") : "'none'"}`,
    // The trusted scripts post votes and comments to this origin, and nothing else.
    ...(scripts.length > 0 ? ["connect-src 'self'"] : []),
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
}
