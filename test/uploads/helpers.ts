/** Helpers of the upload tests: requests to /api/uploads, what is stored for an owner, fixture bytes. */
import { env } from "cloudflare:workers";
import { expect, inject } from "vitest";
import { call, callWithEnv } from "../helpers";

export const MIB = 1024 * 1024;
const fixture = (path: string) => `http://127.0.0.1:${inject("fixturePort")}${path}`;

export async function fixtureBytes(path: string): Promise<Uint8Array> {
  return new Uint8Array(await (await fetch(fixture(path))).arrayBuffer());
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export interface UploadBody {
  id: string;
  contentType: string;
  width: number;
  height: number;
  bytes: number;
  sha256: string;
  createdAt: number;
}

/** POST /api/uploads with a raw body. */
export const upload = (
  key: string,
  body: BodyInit | null,
  contentType?: string,
  headers: Record<string, string> = {},
) =>
  call("/api/uploads", {
    method: "POST",
    key,
    rawBody: body ?? undefined,
    headers: { ...(contentType ? { "content-type": contentType } : {}), ...headers },
  });

/**
 * POST /api/uploads in-process (the app's fetch, no runtime entrypoint between): a body the worker
 * stops reading at its cap then fails only on the sending side, as in test/security/limits.test.ts.
 */
export const uploadInProcess = (key: string, body: BodyInit, contentType: string) =>
  callWithEnv({}, "/api/uploads", {
    method: "POST",
    body,
    headers: { "x-api-key": key, "content-type": contentType },
  });

/** POST /api/uploads as a browser form does: multipart/form-data, the file under `file`. */
export function uploadForm(
  key: string,
  bytes: Uint8Array,
  fileType = "application/octet-stream",
  field = "file",
) {
  const form = new FormData();
  form.append("note", "a field the route ignores");
  form.append(field, new File([bytes], "photo.bin", { type: fileType }));
  return call("/api/uploads", { method: "POST", key, rawBody: form });
}

export async function created(res: Response, status = 201): Promise<UploadBody> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  return JSON.parse(text) as UploadBody;
}

/** Everything stored for an owner: R2 objects under its prefix and its rows. */
export async function storedFor(ownerId: string) {
  const objects = (await env.BUCKET.list({ prefix: `uploads/${ownerId}/` })).objects.map((o) => o.key);
  const { results } = await env.DB.prepare("SELECT id FROM uploads WHERE owner_id = ?").bind(ownerId).all();
  return { objects, rows: results.length };
}

/** `total` bytes starting with a PNG signature, streamed in 64 KiB chunks with no Content-Length. */
export function chunkedPng(total: number): { body: ReadableStream<Uint8Array>; done: Promise<unknown> } {
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
  const writer = writable.getWriter();
  const block = new Uint8Array(64 * 1024).fill(0x41);
  block.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  // The worker stops reading at its cap, so later writes fail: that is the expected outcome.
  const done = (async () => {
    for (let sent = 0; sent < total; sent += block.byteLength) await writer.write(block);
    await writer.close();
  })().catch(() => "stopped early");
  return { body: readable, done };
}

/** The fixture server's images (test/servers/fixture-server.ts): 16×16 PNG, 4×4 JPEG, WebP and GIF. */
export async function fixtureImages() {
  return {
    png: await fixtureBytes("/image.png"),
    jpeg: await fixtureBytes("/image.jpg"),
    webp: await fixtureBytes("/image.webp"),
    gif: await fixtureBytes("/image.gif"),
  };
}
