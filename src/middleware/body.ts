/** Request body guards: size caps (also for chunked bodies) and the JSON content type. */
import { bodyLimit } from "hono/body-limit";
import { createMiddleware } from "hono/factory";
import { ApiError } from "../lib/errors";
import type { HonoEnv } from "../lib/hono";
import { intVar } from "../lib/vars";

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

/** How long a JSON body may take to arrive (`BODY_TIMEOUT_MS`, default 10 s). */
export const DEFAULT_BODY_TIMEOUT_MS = 10_000;

/** A route that reads JSON answers 415 to any other declared content type. An empty body passes. */
export const requireJson = createMiddleware<HonoEnv>(async (c, next) => {
  const type = c.req.header("content-type");
  if (hasBody(c.req.raw) && !(type && JSON_TYPE.test(type))) {
    throw new ApiError("unsupported_media_type", "Content-Type must be application/json");
  }
  return next();
});

/**
 * Reads a JSON route's body under a deadline, so a client that sends it slowly or never (slow
 * loris) gets a 400 instead of holding the request open. It must be the last middleware before the
 * validator (after every size cap, which count the bytes as this read pulls them); the text is
 * cached, and the validator parses the same bytes.
 */
export const bodyDeadline = createMiddleware<HonoEnv>(async (c, next) => {
  if (!hasBody(c.req.raw)) return next();
  const ms = intVar(c.env.BODY_TIMEOUT_MS, DEFAULT_BODY_TIMEOUT_MS);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new ApiError("invalid_request", `Request body not received within ${ms / 1000} s`)),
      ms,
    );
  });
  try {
    await Promise.race([c.req.text(), deadline]);
  } finally {
    clearTimeout(timer);
  }
  return next();
});
