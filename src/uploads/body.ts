/**
 * POST /api/uploads' body: the raw bytes with an image Content-Type, or a browser form
 * (multipart/form-data) with a `file` field. The type is checked before any byte is read, the size
 * while the bytes arrive (also without Content-Length), then the bytes come out whole.
 */
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { INGEST_LIMITS } from "../agents/tools/ingest";
import { ApiError } from "../lib/errors";
import type { HonoEnv } from "../lib/hono";
import { limitBody } from "../middleware/body";
import { UPLOAD_TYPES, UploadContentTypes } from "./schemas";

/** The largest image an upload may be (the same as URL ingest's). */
export const MAX_UPLOAD_BYTES = INGEST_LIMITS.maxBytes;
/** What a form adds around the file (boundaries, part headers); the file itself is still capped at 20 MiB. */
export const MULTIPART_OVERHEAD = 64 * 1024;

/** What the request carries: raw bytes with the type they claim, or a form. */
export type UploadBodyKind = { kind: "raw"; declared: (typeof UPLOAD_TYPES)[number] } | { kind: "form" };

const essence = (contentType: string | undefined): string =>
  (contentType ?? "").split(";")[0]?.trim().toLowerCase() ?? "";

export function bodyKindOf(contentType: string | undefined): UploadBodyKind | null {
  const type = essence(contentType);
  const declared = UploadContentTypes.safeParse(type);
  if (declared.success) return { kind: "raw", declared: declared.data };
  return type === "multipart/form-data" ? { kind: "form" } : null;
}

/** True when the request announces no body at all (no stream, or Content-Length: 0). */
function announcesNoBody(req: Request): boolean {
  return req.body === null || req.headers.get("content-length") === "0";
}

const empty = () => new ApiError("invalid_request", "upload: the body is empty");

const rawCap = limitBody(MAX_UPLOAD_BYTES, "Upload");
const formCap = limitBody(MAX_UPLOAD_BYTES + MULTIPART_OVERHEAD, "Upload form");

/**
 * The route's guard, after the scope check and before the handler reads anything: no body → 400,
 * another Content-Type → 415, then the size cap (413 on a declared length at once, else counted).
 */
export const uploadBodyGuard = createMiddleware<HonoEnv>(async (c, next) => {
  if (announcesNoBody(c.req.raw)) throw empty();
  const kind = bodyKindOf(c.req.header("content-type"));
  if (!kind)
    throw new ApiError(
      "unsupported_media_type",
      `Content-Type must be ${UPLOAD_TYPES.join(", ")} or multipart/form-data`,
    );
  return kind.kind === "raw" ? rawCap(c, next) : formCap(c, next);
});

/** The image bytes of the request (never empty) and the type a raw body claims (null for a form). */
export async function readUploadBody(
  c: Context<HonoEnv>,
): Promise<{ bytes: Uint8Array; declared: string | null }> {
  const kind = bodyKindOf(c.req.header("content-type"));
  if (!kind) throw new ApiError("unsupported_media_type", "Content-Type is not an upload type");
  let bytes: Uint8Array;
  let declared: string | null = null;
  if (kind.kind === "raw") {
    bytes = new Uint8Array(await c.req.arrayBuffer());
    declared = kind.declared;
  } else {
    let form: FormData;
    try {
      form = await c.req.raw.formData();
    } catch {
      throw new ApiError("invalid_request", "upload: the multipart/form-data body could not be read");
    }
    const file = form.get("file");
    // A browser's own guess at the file's type (from its name) is not used: the bytes decide.
    if (!(file instanceof File))
      throw new ApiError("invalid_request", "upload: the form needs a `file` field holding the image");
    bytes = new Uint8Array(await file.arrayBuffer());
  }
  if (bytes.byteLength === 0) throw empty();
  return { bytes, declared };
}
