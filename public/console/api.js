/** The console's HTTP client: same-origin JSON calls, the API key from localStorage, errors as text. */

const KEY_STORAGE = "picasso.apiKey";

/** The saved API key, or "" when none was entered yet. */
export function savedKey() {
  return localStorage.getItem(KEY_STORAGE) ?? "";
}

/** Keeps the key in this browser only (localStorage of this origin). */
export function saveKey(key) {
  localStorage.setItem(KEY_STORAGE, key);
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
 * Calls the API. `body` is sent as JSON; writes carry X-Api-Key. Resolves with the parsed JSON,
 * rejects with an ApiFailure whose message is the server's own.
 */
export async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") headers["X-Api-Key"] = savedKey();
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    throw new ApiFailure(res.status, "invalid_response", `${res.status}: the server did not answer JSON`);
  }
  if (!res.ok) {
    const error = json?.error;
    throw new ApiFailure(res.status, error?.code ?? "error", error?.message ?? `HTTP ${res.status}`);
  }
  return json;
}

/** A readable one-liner for any failure. */
export function describe(err) {
  if (err instanceof ApiFailure) return `${err.code}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}
