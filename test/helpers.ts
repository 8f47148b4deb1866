/** Test helpers: drive the whole worker through its default export, with or without an API key. */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { expect } from "vitest";
import worker from "../src/index";

export const KEY = "test-key-primary";
export const ROTATED_KEY = "test-key-rotated";
export const BASE = "http://picasso.test";

export interface CallOptions {
  method?: string;
  body?: unknown;
  rawBody?: BodyInit;
  key?: string | null;
  headers?: Record<string, string>;
}

/** Calls the worker. JSON bodies are serialized; the API key is sent unless `key: null`. */
export async function call(path: string, options: CallOptions = {}): Promise<Response> {
  const headers = new Headers(options.headers);
  const key = options.key === undefined ? KEY : options.key;
  if (key !== null) headers.set("x-api-key", key);
  let body: BodyInit | undefined = options.rawBody;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
  }
  return exports.default.fetch(
    new Request(`${BASE}${path}`, { method: options.method ?? "GET", headers, body }),
  );
}

export interface ErrorEnvelope {
  error: { code: string; message: string; details: unknown[]; requestId: string };
}

/** Asserts the contract's error envelope with the given status and code; returns the body. */
export async function expectError(res: Response, status: number, code: string): Promise<ErrorEnvelope> {
  const body = (await res.json()) as ErrorEnvelope;
  expect(res.status).toBe(status);
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe("string");
  expect(Array.isArray(body.error.details)).toBe(true);
  expect(body.error.requestId).toBe(res.headers.get("x-request-id"));
  return body;
}

export async function createProject(name = "Test project", description?: string) {
  const res = await call("/api/projects", { method: "POST", body: { name, description } });
  expect(res.status).toBe(201);
  return (await res.json()) as {
    id: string;
    name: string;
    description: string | null;
    createdAt: number;
    updatedAt: number;
  };
}

/** Runs the worker in-process with a modified environment (e.g. no API keys, development mode). */
export async function callWithEnv(overrides: Record<string, unknown>, path: string, init: RequestInit = {}) {
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`${BASE}${path}`, init), { ...env, ...overrides } as never, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

/** Polls `probe` every 50 ms until it returns a value (or fails after `timeoutMs`). */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The stream address of a session opened with a root key (the default owner's). */
export const asRoot = (sessionId: string) => ({ ownerId: "default", sessionId });

export interface OwnedKey {
  id: string;
  key: string;
  ownerId: string;
  scopes: string[];
}

/** A key made through POST /api/keys by `by` (default the root key): `owner: "new"` makes a new owner. */
export async function createKey(
  scopes: string[],
  options: { owner?: string; by?: string; name?: string; expiresAt?: number } = {},
): Promise<OwnedKey> {
  const res = await call("/api/keys", {
    method: "POST",
    key: options.by ?? KEY,
    body: {
      name: options.name ?? `test ${scopes.join("+")}`,
      scopes,
      owner: options.owner,
      expiresAt: options.expiresAt,
    },
  });
  expect(res.status).toBe(201);
  return (await res.json()) as OwnedKey;
}

/** A new owner and its first key, with every scope unless told otherwise. */
export const createOwner = (scopes = ["read", "write", "admin"]) => createKey(scopes, { owner: "new" });
