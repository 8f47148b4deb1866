/** Request body guards: size caps (also for chunked bodies) and the JSON content type. */
import { bodyLimit } from "hono/body-limit";
import { createMiddleware } from "hono/factory";
import { ApiError } from "../lib/errors";
import type { HonoEnv } from "../lib/hono";

export const MAX_JSON_BYTES = 1024 * 1024;

/** Caps the body at `maxBytes`, counting streamed bytes when no Content-Length is sent. */
export function limitBody(maxBytes: number, what = "JSON body") {
  return bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new ApiError("payload_too_large", `${what} exceeds ${maxBytes} bytes`);
    },
  });
}

const JSON_TYPE = /^application\/([a-z0-9.+-]+\+)?json\s*(;|$)/i;

function hasBody(req: Request): boolean {
  const length = req.headers.get("content-length");
  if (length !== null) return Number(length) > 0;
  return req.body !== null;
}

/** A route that reads JSON answers 415 to any other declared content type. An empty body passes. */
export const requireJson = createMiddleware<HonoEnv>(async (c, next) => {
  const type = c.req.header("content-type");
  if (hasBody(c.req.raw) && !(type && JSON_TYPE.test(type))) {
    throw new ApiError("unsupported_media_type", "Content-Type must be application/json");
  }
  return next();
});
