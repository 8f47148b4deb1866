/**
 * /api/uploads through the worker on the real local bindings: raw and multipart uploads, one upload
 * per owner and bytes (also under concurrency), owners, GET/DELETE, scopes, nothing half-written.
 * The refusals (the ingest corpus) are in refusals.test.ts.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { call, createKey, createOwner, expectError } from "../helpers";
import { created, fixtureImages, sha256Hex, storedFor, type UploadBody, upload, uploadForm } from "./helpers";

let png: Uint8Array;
let jpeg: Uint8Array;
let webp: Uint8Array;
let gif: Uint8Array;

beforeAll(async () => {
  ({ png, jpeg, webp, gif } = await fixtureImages());
});

describe("POST /api/uploads: accepted images", () => {
  it.each([
    ["PNG", () => png, "image/png", 16, 16],
    ["JPEG", () => jpeg, "image/jpeg", 4, 4],
    ["WebP", () => webp, "image/webp", 4, 4],
    ["GIF", () => gif, "image/gif", 4, 4],
  ])("stores a raw %s (201) in R2 under uploads/{owner}/{id} with its type", async (_, bytes, type, w, h) => {
    const who = await createOwner();
    const body = await created(await upload(who.key, bytes(), type));
    expect(body).toEqual({
      id: expect.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_-]{20}$/),
      contentType: type,
      width: w,
      height: h,
      bytes: bytes().byteLength,
      sha256: await sha256Hex(bytes()),
      createdAt: expect.any(Number),
    });
    const object = await env.BUCKET.get(`uploads/${who.ownerId}/${body.id}`);
    expect(object?.httpMetadata?.contentType).toBe(type);
    expect(new Uint8Array((await object?.arrayBuffer()) ?? new ArrayBuffer(0))).toEqual(bytes());
    expect(await storedFor(who.ownerId)).toEqual({ objects: [`uploads/${who.ownerId}/${body.id}`], rows: 1 });
  });

  it("takes a browser form's `file` (multipart/form-data); the bytes decide the type, not the part's", async () => {
    const who = await createOwner();
    const body = await created(await uploadForm(who.key, jpeg, "image/png"));
    expect(body).toMatchObject({ contentType: "image/jpeg", width: 4, height: 4, bytes: jpeg.byteLength });
    expect((await env.BUCKET.head(`uploads/${who.ownerId}/${body.id}`))?.httpMetadata?.contentType).toBe(
      "image/jpeg",
    );
  });

  it("accepts a Content-Type with parameters", async () => {
    const who = await createOwner();
    await created(await upload(who.key, png, "image/png; name=photo.png"));
  });
});

describe("one upload per owner and bytes", () => {
  it("answers the same bytes again with the same upload: 200 and Upload-Replayed: true", async () => {
    const who = await createOwner();
    const first = await upload(who.key, png, "image/png");
    expect(first.headers.get("upload-replayed")).toBeNull();
    const body = await created(first);
    const again = await upload(who.key, png, "image/png");
    expect(again.headers.get("upload-replayed")).toBe("true");
    expect(await created(again, 200)).toEqual(body);
    // A form with the same bytes is the same upload too.
    const viaForm = await uploadForm(who.key, png);
    expect(viaForm.headers.get("upload-replayed")).toBe("true");
    expect(await created(viaForm, 200)).toEqual(body);
    expect(await storedFor(who.ownerId)).toEqual({ objects: [`uploads/${who.ownerId}/${body.id}`], rows: 1 });
  });

  it("makes one row and one object when the same bytes arrive concurrently", async () => {
    const who = await createOwner();
    const responses = await Promise.all(Array.from({ length: 6 }, () => upload(who.key, webp, "image/webp")));
    const statuses = responses.map((r) => r.status).sort();
    const bodies = await Promise.all(responses.map((r) => r.json() as Promise<UploadBody>));
    expect(statuses).toEqual([200, 200, 200, 200, 200, 201]);
    expect(new Set(bodies.map((b) => b.id)).size).toBe(1);
    expect(responses.filter((r) => r.headers.get("upload-replayed") === "true")).toHaveLength(5);
    expect(await storedFor(who.ownerId)).toEqual({
      objects: [`uploads/${who.ownerId}/${bodies[0]?.id}`],
      rows: 1,
    });
  });

  it("gives another owner its own upload of the same bytes, and 404 on A's id like an unknown one", async () => {
    const a = await createOwner();
    const b = await createOwner();
    const ofA = await created(await upload(a.key, gif, "image/gif"));
    const ofB = await created(await upload(b.key, gif, "image/gif"));
    expect(ofB.id).not.toBe(ofA.id);
    expect(ofB.sha256).toBe(ofA.sha256);

    const unknown = await expectError(
      await call("/api/uploads/unknown0upload0id0000", { key: b.key }),
      404,
      "not_found",
    );
    const foreign = await expectError(await call(`/api/uploads/${ofA.id}`, { key: b.key }), 404, "not_found");
    expect(foreign.error.message).toBe(unknown.error.message);
    await expectError(
      await call(`/api/uploads/${ofA.id}`, { method: "DELETE", key: b.key }),
      404,
      "not_found",
    );
    // A's upload is untouched.
    expect(await created(await call(`/api/uploads/${ofA.id}`, { key: a.key }), 200)).toEqual(ofA);
    expect((await storedFor(a.ownerId)).objects).toEqual([`uploads/${a.ownerId}/${ofA.id}`]);
  });
});

describe("GET and DELETE /api/uploads/:id", () => {
  it("reads the metadata, deletes the row and the R2 object, then answers 404", async () => {
    const who = await createOwner();
    const body = await created(await upload(who.key, jpeg, "image/jpeg"));
    expect(await created(await call(`/api/uploads/${body.id}`, { key: who.key }), 200)).toEqual(body);

    const res = await call(`/api/uploads/${body.id}`, { method: "DELETE", key: who.key });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id: body.id, deleted: true });
    expect(await env.BUCKET.head(`uploads/${who.ownerId}/${body.id}`)).toBeNull();
    expect(await storedFor(who.ownerId)).toEqual({ objects: [], rows: 0 });
    await expectError(await call(`/api/uploads/${body.id}`, { key: who.key }), 404, "not_found");
    await expectError(
      await call(`/api/uploads/${body.id}`, { method: "DELETE", key: who.key }),
      404,
      "not_found",
    );
    // The same bytes afterwards are a new upload.
    const again = await created(await upload(who.key, jpeg, "image/jpeg"));
    expect(again.id).not.toBe(body.id);
  });
});

describe("keys and scopes", () => {
  it("answers 401 without a key on every route", async () => {
    await expectError(await upload("", png, "image/png"), 401, "unauthorized");
    await expectError(
      await call("/api/uploads", {
        method: "POST",
        key: null,
        rawBody: png,
        headers: { "content-type": "image/png" },
      }),
      401,
      "unauthorized",
    );
    await expectError(await call("/api/uploads/some0upload0id0000000", { key: null }), 401, "unauthorized");
    await expectError(
      await call("/api/uploads/some0upload0id0000000", { method: "DELETE", key: null }),
      401,
      "unauthorized",
    );
  });

  it("lets a read-only key read, and answers it 403 on POST and DELETE (nothing stored or removed)", async () => {
    const who = await createOwner();
    const reader = await createKey(["read"], { by: who.key, name: "reader" });
    const body = await created(await upload(who.key, png, "image/png"));
    const refused = await expectError(await upload(reader.key, gif, "image/gif"), 403, "forbidden");
    expect(refused.error.message).toMatch(/the write scope/);
    await expectError(
      await call(`/api/uploads/${body.id}`, { method: "DELETE", key: reader.key }),
      403,
      "forbidden",
    );
    expect(await created(await call(`/api/uploads/${body.id}`, { key: reader.key }), 200)).toEqual(body);
    expect(await storedFor(who.ownerId)).toEqual({ objects: [`uploads/${who.ownerId}/${body.id}`], rows: 1 });
  });
});

describe("nothing half-written", () => {
  it("removes the R2 object again when the D1 insert fails", async () => {
    const who = await createOwner();
    // A real D1 failure for this owner only: the insert is aborted by a trigger.
    await env.DB.prepare(
      `CREATE TRIGGER fail_upload_insert BEFORE INSERT ON uploads WHEN NEW.owner_id = '${who.ownerId}'
       BEGIN SELECT RAISE(ABORT, 'forced failure'); END`,
    ).run();
    try {
      const res = await upload(who.key, png, "image/png");
      const body = await expectError(res, 500, "internal");
      expect(body.error.message).toBe("Internal error");
    } finally {
      await env.DB.prepare("DROP TRIGGER fail_upload_insert").run();
    }
    expect(await storedFor(who.ownerId)).toEqual({ objects: [], rows: 0 });
    // Without the failure the same bytes are stored.
    await created(await upload(who.key, png, "image/png"));
  });
});
