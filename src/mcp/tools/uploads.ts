/** Upload tool: upload_image (POST /api/uploads with the decoded bytes as the raw body). */
import { z } from "zod";
import { ApiError } from "../../lib/errors";
import { UploadContentTypes, UploadSchema } from "../../uploads/schemas";
import { fromOutcome, toolFailure } from "../results";
import { defineTool } from "../tool";

/**
 * The largest image the tool takes. A tool call is one JSON-RPC message under /mcp's 1 MiB body cap
 * (src/mcp/route.ts), and base64 makes 3 bytes 4 characters: 700 KiB is ~934 KiB of text, with
 * room for the message around it. POST /api/uploads itself takes up to 20 MiB.
 */
export const MAX_MCP_UPLOAD_BYTES = 700 * 1024;
/** base64 characters of MAX_MCP_UPLOAD_BYTES, plus room for a data: URL prefix and line breaks. */
const MAX_DATA_CHARS = Math.ceil(MAX_MCP_UPLOAD_BYTES / 3) * 4 + 4096;

const DATA_URL_PREFIX = /^data:[\w.+-]+\/[\w.+-]+(;[\w=.+-]+)*;base64,/i;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** The bytes of standard base64 (a data: URL prefix and whitespace allowed), or null when it is not base64. */
export function decodeBase64(data: string): Uint8Array | null {
  const text = data.replace(DATA_URL_PREFIX, "").replace(/\s+/g, "");
  if (!BASE64.test(text) || text.length % 4 === 1) return null;
  try {
    const binary = atob(text);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  } catch {
    return null;
  }
}

const UploadInput = z.object({
  data: z
    .string()
    .min(1, "data must not be empty")
    .max(
      MAX_DATA_CHARS,
      `data must be at most ${MAX_DATA_CHARS} characters (${MAX_MCP_UPLOAD_BYTES / 1024} KiB of image)`,
    )
    .describe(
      `The image file's bytes in base64 (a data: URL is fine too), at most ${MAX_MCP_UPLOAD_BYTES / 1024} KiB of image`,
    ),
  contentType: UploadContentTypes.describe(
    "The image's type: image/png, image/jpeg, image/webp or image/gif; it must match the bytes",
  ),
});

const kib = (bytes: number) => `${Math.round(bytes / 102.4) / 10} KiB`;

export const uploadImage = defineTool({
  name: "upload_image",
  title: "Upload an image",
  description: `Store an image (PNG, JPEG, WebP or GIF, at most ${MAX_MCP_UPLOAD_BYTES / 1024} KiB here because a tool call travels in a 1 MiB message; at most 8192 px per side) to use as a start image. Send its bytes as base64 in data. Returns the Upload { id, contentType, width, height, bytes, sha256, createdAt }; the same bytes uploaded again return the same upload. Larger files: POST /api/uploads takes up to 20 MiB.`,
  input: UploadInput,
  run: async ({ data, contentType }, api) => {
    const bytes = decodeBase64(data);
    if (!bytes) return toolFailure(api.envelope(new ApiError("invalid_request", "data: not valid base64")));
    if (bytes.byteLength > MAX_MCP_UPLOAD_BYTES)
      return toolFailure(
        api.envelope(
          new ApiError(
            "payload_too_large",
            `data: the image is ${bytes.byteLength} bytes; upload_image takes at most ${MAX_MCP_UPLOAD_BYTES} (${MAX_MCP_UPLOAD_BYTES / 1024} KiB; POST /api/uploads takes up to 20 MiB)`,
          ),
        ),
      );
    const outcome = await api.json({ method: "POST", path: "/api/uploads", raw: { bytes, contentType } });
    const replayed = outcome.ok && outcome.headers.get("upload-replayed") === "true";
    return fromOutcome(outcome, UploadSchema, (upload) => {
      const what = `${upload.id} (${upload.contentType}, ${upload.width}×${upload.height} px, ${kib(upload.bytes)})`;
      return replayed ? `These bytes were uploaded before: upload ${what}.` : `Uploaded ${what}.`;
    });
  },
});
