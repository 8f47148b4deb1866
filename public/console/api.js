/**
 * The console's HTTP client: same-origin JSON calls, errors as text. Every call carries X-Api-Key
 * with the key field's current value (GET included: every /api route needs a key), so what is
 * typed is what is used; there is no separate save step. The key is remembered in localStorage
 * once the server accepted it.
 */

const KEY_STORAGE = "picasso.apiKey";

let keyField = null;
let unauthorized = () => {};

/** The remembered API key, or "" when none was accepted yet in this browser. */
export function savedKey() {
  return localStorage.getItem(KEY_STORAGE) ?? "";
}

/** Remembers the key in this browser only (localStorage of this origin). */
export function saveKey(key) {
  localStorage.setItem(KEY_STORAGE, key);
}

/** Forgets the remembered key. */
export function forgetKey() {
  localStorage.removeItem(KEY_STORAGE);
}

/**
 * `field` is the key input: its value is read on every request. `onUnauthorized(failure)` runs on a
 * 401 answered to the key that is still in the field (a stale key's 401 is not news).
 */
export function useKeyField(field, onUnauthorized) {
  keyField = field;
  unauthorized = onUnauthorized;
}

/** The key as typed right now (trimmed). */
export function currentKey() {
  return String(keyField?.value ?? "").trim();
}

/** An API failure with the contract's error code and message. */
export class ApiFailure extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/**
 * Calls the API. `body` is sent as JSON. Resolves with the parsed JSON, rejects with an ApiFailure
 * whose message is the server's own. `options.key` overrides the field's key (the key check);
 * `options.quiet` skips the 401 hook.
 */
export async function api(method, path, body, options = {}) {
  const key = options.key ?? currentKey();
  const headers = { Accept: "application/json" };
  if (key) headers["X-Api-Key"] = key;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return answer(res, key, options);
}

/** The parsed JSON of a response, or an ApiFailure with the server's own code and message. */
async function answer(res, key, options) {
  const text = await res.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    throw new ApiFailure(res.status, "invalid_response", `${res.status}: the server did not answer JSON`);
  }
  if (!res.ok) {
    const error = json?.error;
    const failure = new ApiFailure(
      res.status,
      error?.code ?? "error",
      error?.message ?? `HTTP ${res.status}`,
    );
    if (res.status === 401 && !options.quiet && key === currentKey()) unauthorized(failure);
    throw failure;
  }
  return json;
}

/** The image types POST /api/uploads takes as raw bytes. */
export const IMAGE_TYPES = ["image/png", "image/jpeg", "image/webp", "image/gif"];

/**
 * Uploads an image (POST /api/uploads): the raw bytes with their type when the browser knows it
 * is one the server takes, else as multipart `file` (the server decides by the bytes). Resolves
 * with the upload `{ id, contentType, width, height, bytes, sha256, createdAt }`.
 */
export async function uploadImage(blob) {
  const key = currentKey();
  const headers = { Accept: "application/json" };
  if (key) headers["X-Api-Key"] = key;
  let body = blob;
  if (IMAGE_TYPES.includes(blob.type)) headers["Content-Type"] = blob.type;
  else {
    body = new FormData();
    body.append("file", blob, blob.name ?? "image");
  }
  const res = await fetch("/api/uploads", { method: "POST", headers, body });
  return answer(res, key, {});
}

/** A readable one-liner for any failure. */
export function describe(err) {
  if (err instanceof ApiFailure) return `${err.code}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}
