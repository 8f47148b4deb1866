/** SHA-256 of text in the encodings the app needs (key checks, idempotency, ETags, CSP hashes). */

const encoder = new TextEncoder();

export async function sha256(data: string | Uint8Array): Promise<Uint8Array> {
  const bytes = typeof data === "string" ? encoder.encode(data) : data;
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}

/** Lowercase hex of bytes. */
export const toHex = (bytes: Uint8Array): string =>
  [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");

/** Lowercase hex of the digest, optionally only its first `bytes` bytes. */
export async function sha256Hex(data: string | Uint8Array, bytes = 32): Promise<string> {
  return toHex((await sha256(data)).slice(0, bytes));
}

/** Standard base64 of the digest (as CSP source hashes want it). */
export async function sha256Base64(text: string): Promise<string> {
  let bin = "";
  for (const b of await sha256(text)) bin += String.fromCharCode(b);
  return btoa(bin);
}
