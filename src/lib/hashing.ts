/** SHA-256 of text in the encodings the app needs (key checks, idempotency, ETags, CSP hashes). */

const encoder = new TextEncoder();

export async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
}

/** Lowercase hex of the digest, optionally only its first `bytes` bytes. */
export async function sha256Hex(text: string, bytes = 32): Promise<string> {
  return [...(await sha256(text)).slice(0, bytes)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Standard base64 of the digest (as CSP source hashes want it). */
export async function sha256Base64(text: string): Promise<string> {
  let bin = "";
  for (const b of await sha256(text)) bin += String.fromCharCode(b);
  return btoa(bin);
}
