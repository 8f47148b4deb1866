/**
 * /api/uploads — images a person sends as bytes (a photo on disk), to use as start images:
 * POST (scope `write`: raw bytes or a multipart form), GET /:id (`read`), DELETE /:id (`write`).
 * Another owner's id answers 404 like an unknown one (src/auth/ownership.ts ownedUpload).
 */
import type { MiddlewareHandler } from "hono";
import { ownedUpload, ownerOf } from "../auth/ownership";
import type { HonoEnv } from "../lib/hono";
import { commonErrors, createRouter, defineRoute, jsonResponse } from "../lib/openapi";
import { ErrorSchema, IdParamSchema } from "../schemas/common";
import { readUploadBody, uploadBodyGuard } from "./body";
import { createUpload } from "./create";
import { UploadDeletedSchema, UploadSchema, uploadRequestBody } from "./schemas";
import { removeUpload, type Upload } from "./store";

const tags = ["Uploads"];

/** The header of a 200 that answers an upload of bytes this owner had sent before. */
export const REPLAYED_HEADER = "Upload-Replayed";

/** An upload as the API shows it: never its owner or its storage key. */
const view = (u: Upload) => ({
  id: u.id,
  contentType: u.contentType,
  width: u.width,
  height: u.height,
  bytes: u.bytes,
  sha256: u.sha256,
  createdAt: u.createdAt,
});

const createRoute = defineRoute({
  method: "post",
  operationId: "createUpload",
  path: "/",
  tags,
  summary: "Upload an image (raw bytes or a form's `file`) to use as a start image",
  description:
    "The bytes decide, as for a job's startImageUrl: PNG, JPEG, WebP or GIF by their magic bytes (a raw body whose Content-Type names another type, SVG, HTML or anything else → 415), at most 20 MiB (counted as it arrives, also without Content-Length) and 8192 px per side (a header declaring more is refused before decoding) → 413; an empty body → 400. The same bytes sent again by the same owner answer that upload: 200 with `Upload-Replayed: true`.",
  scope: "write",
  // After the scope check (defineRoute puts it first), before the handler reads the body.
  middleware: [uploadBodyGuard] as MiddlewareHandler<HonoEnv>[],
  request: { body: uploadRequestBody },
  responses: {
    201: jsonResponse(UploadSchema, "Stored"),
    200: {
      ...jsonResponse(UploadSchema, "These bytes were uploaded before by this owner: that upload"),
      headers: {
        [REPLAYED_HEADER]: {
          description: "Always `true`: nothing new was stored",
          schema: { type: "string", enum: ["true"] },
        },
      },
    },
    ...commonErrors,
    413: jsonResponse(ErrorSchema, "Over 20 MiB, or over 8192 px per side"),
    415: jsonResponse(ErrorSchema, "Not a PNG, JPEG, WebP or GIF image, or not the type Content-Type names"),
  },
});

const getRoute = defineRoute({
  method: "get",
  operationId: "getUpload",
  path: "/{id}",
  tags,
  summary: "An upload's metadata",
  scope: "read",
  request: { params: IdParamSchema },
  responses: { 200: jsonResponse(UploadSchema, "The upload"), ...commonErrors },
});

const deleteRoute = defineRoute({
  method: "delete",
  operationId: "deleteUpload",
  path: "/{id}",
  tags,
  summary: "Delete an upload: its stored image and its record",
  scope: "write",
  request: { params: IdParamSchema },
  responses: { 200: jsonResponse(UploadDeletedSchema, "Deleted"), ...commonErrors },
});

export const uploadsRoutes = createRouter()
  .openapi(createRoute, async (c) => {
    const { bytes, declared } = await readUploadBody(c);
    const { upload, replayed } = await createUpload(c.env, ownerOf(c), bytes, declared, c.get("logger"));
    c.get("logger").info("upload.created", {
      uploadId: upload.id,
      contentType: upload.contentType,
      width: upload.width,
      height: upload.height,
      bytes: upload.bytes,
      replayed,
    });
    if (replayed) {
      c.header(REPLAYED_HEADER, "true");
      return c.json(view(upload), 200);
    }
    return c.json(view(upload), 201);
  })
  .openapi(getRoute, async (c) => c.json(view(await ownedUpload(c, c.req.valid("param").id)), 200))
  .openapi(deleteRoute, async (c) => {
    const upload = await ownedUpload(c, c.req.valid("param").id);
    const removed = await removeUpload(c.env, upload);
    c.get("logger").info("upload.deleted", { uploadId: upload.id, ...removed });
    return c.json({ id: upload.id, deleted: true as const }, 200);
  });
