/** The uploads API's shapes: the Upload, the deletion answer, and the POST body as documented. */
import { z } from "@hono/zod-openapi";

/** The raw body types POST /api/uploads takes (the bytes must be one of them too). */
export const UPLOAD_TYPES = ["image/png", "image/jpeg", "image/webp", "image/gif"] as const;
export const UploadContentTypes = z.enum(UPLOAD_TYPES);
export type UploadContentType = z.infer<typeof UploadContentTypes>;

export const UploadSchema = z
  .object({
    id: z.string().openapi({ example: "V1StGXR8_Z5jdHi6B-myT" }),
    contentType: UploadContentTypes.openapi({
      description: "Sniffed from the bytes (magic numbers), never taken from a header",
    }),
    width: z.number().int().openapi({ description: "Pixels, as decoded", example: 1024 }),
    height: z.number().int().openapi({ description: "Pixels, as decoded", example: 768 }),
    bytes: z.number().int().openapi({ description: "Size of the stored original", example: 183204 }),
    sha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .openapi({ description: "Lowercase hex SHA-256 of the bytes (the same bytes are one upload)" }),
    createdAt: z.number().int().openapi({ description: "Epoch milliseconds" }),
  })
  .openapi("Upload");

export const UploadDeletedSchema = z
  .object({ id: z.string(), deleted: z.literal(true) })
  .openapi("UploadDeleted");

/**
 * The request body as the document describes it. Plain OpenAPI schema objects, not zod: the route
 * reads and checks the bytes itself (src/uploads/body.ts), so no validator may consume the body.
 */
const binary = { type: "string", format: "binary" } as const;
/** A mutable list: the document's types take `string[]`, not a readonly tuple. */
const formRequired: string[] = ["file"];

export const uploadRequestBody = {
  required: true,
  description:
    "The image: the raw bytes with their Content-Type, or a browser form (multipart/form-data) with a `file` field. PNG, JPEG, WebP or GIF by their magic bytes, at most 20 MiB and 8192 px per side.",
  content: {
    "image/png": { schema: binary },
    "image/jpeg": { schema: binary },
    "image/webp": { schema: binary },
    "image/gif": { schema: binary },
    "multipart/form-data": {
      schema: {
        type: "object",
        properties: { file: { ...binary, description: "The image file" } },
        required: formRequired,
      },
    },
  },
} as const;
