/** Start-image ingest: fetch a job's start image behind the URL guard, check it, store it in R2. */
import type { AppEnv } from "../../lib/env";
import { ApiError, type ErrorCode } from "../../lib/errors";
import {
  declaredImageSize,
  type ImageSize,
  type SniffedImageType,
  sniffImageType,
} from "../../lib/image-type";
import { checkIngestUrl } from "../../lib/url-guard";
import { imageInfo } from "./images";
import { putOriginal } from "./r2";

/** The limits of CONTRACT.md's ingest rules, plus the pixel cap and the time budget. */
export const INGEST_LIMITS = {
  maxBytes: 20 * 1024 * 1024,
  /** Longest accepted side in pixels; larger images are refused with 413 like oversized bodies. */
  maxSide: 8192,
  maxRedirects: 3,
  /** The whole ingest (every hop and the body) must finish within this. */
  timeoutMs: 10_000,
} as const;

const tooLargeReason = `the image is larger than ${INGEST_LIMITS.maxBytes / 1024 / 1024} MiB`;

/** The start image as stored. */
export interface IngestedImage {
  bytes: Uint8Array;
  contentType: string;
  width: number;
  height: number;
  /** The URL the bytes came from, after redirects. */
  finalUrl: string;
}

/** Test seams: a shorter time budget. */
export interface IngestOptions {
  timeoutMs?: number;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const ACCEPT = "image/png, image/jpeg, image/webp, image/gif";

/** A refusal that names the field, as every validation error of the job route does. */
function refuse(code: ErrorCode, reason: string): ApiError {
  return new ApiError(code, `startImageUrl: ${reason}`, {
    details: [{ code: "custom", path: ["startImageUrl"], message: reason }],
  });
}

function resolve(location: string, base: URL): URL | null {
  try {
    return new URL(location, base);
  } catch {
    // An unparsable Location is reported by the caller as an invalid redirect.
    return null;
  }
}

/** Fetches `first`, following at most `maxRedirects` redirects, each one checked by the guard. */
async function fetchFollowing(
  first: URL,
  development: boolean,
  signal: AbortSignal,
  timeout: () => ApiError,
) {
  let url = first;
  for (let hop = 0; ; hop++) {
    let res: Response;
    try {
      res = await fetch(url, { redirect: "manual", signal, headers: { accept: ACCEPT } });
    } catch {
      if (signal.aborted) throw timeout();
      // The runtime's message may name internals; the host is what the caller can act on.
      throw refuse("invalid_request", `${url.host} could not be reached`);
    }
    if (!REDIRECT_STATUSES.has(res.status)) return { res, url };
    await res.body?.cancel();
    if (hop === INGEST_LIMITS.maxRedirects) {
      throw refuse("invalid_request", `more than ${INGEST_LIMITS.maxRedirects} redirects`);
    }
    const location = res.headers.get("location");
    const next = location === null ? null : resolve(location, url);
    if (next === null) throw refuse("invalid_request", `a redirect from ${url.host} has no valid Location`);
    const checked = checkIngestUrl(next.href, { development });
    if (!checked.ok) throw refuse("invalid_request", `redirect refused: ${checked.reason}`);
    url = checked.url;
  }
}

/** Reads a body of unannounced length chunk by chunk, refusing it as soon as it passes maxBytes. */
async function readCounting(body: ReadableStream<Uint8Array>, tooLarge: () => ApiError): Promise<Uint8Array> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > INGEST_LIMITS.maxBytes) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/**
 * The body, never more than maxBytes (413). An announced, unencoded length within the cap is read
 * by the runtime, which stops at that length whatever the server sends; anything else is counted
 * as it arrives. (The runtime read also avoids a spurious unhandled rejection that workerd raises
 * when a JS reader's pending read fails: cloudflare/workerd#501.)
 */
async function readCapped(res: Response, signal: AbortSignal, timeout: () => ApiError): Promise<Uint8Array> {
  const tooLarge = () => refuse("payload_too_large", tooLargeReason);
  const declared = res.headers.get("content-length");
  const length = declared === null ? null : Number(declared);
  if (length !== null && length > INGEST_LIMITS.maxBytes) {
    await res.body?.cancel();
    throw tooLarge();
  }
  const encoding = res.headers.get("content-encoding") ?? "identity";
  try {
    if (length !== null && Number.isSafeInteger(length) && encoding === "identity") {
      return new Uint8Array(await res.arrayBuffer());
    }
    return res.body ? await readCounting(res.body, tooLarge) : new Uint8Array(0);
  } catch (err) {
    if (err instanceof ApiError) throw err;
    if (signal.aborted) throw timeout();
    throw refuse("invalid_request", "the download was cut short");
  }
}

/** Why image bytes were refused: the status code and a reason the caller may show. */
export interface ImageRefusal {
  ok: false;
  code: Extract<ErrorCode, "payload_too_large" | "unsupported_media_type">;
  reason: string;
}

/** Image bytes that passed every check: their sniffed type and their canvas. */
export interface CheckedImage extends ImageSize {
  ok: true;
  contentType: SniffedImageType;
}

const overSide = (size: ImageSize): boolean =>
  size.width > INGEST_LIMITS.maxSide || size.height > INGEST_LIMITS.maxSide;

const tooManyPixels = (size: ImageSize): ImageRefusal => ({
  ok: false,
  code: "payload_too_large",
  reason: `the image is ${size.width}×${size.height} px; at most ${INGEST_LIMITS.maxSide} px per side`,
});

/**
 * The one check of image bytes from outside, shared by URL ingest and uploads (src/uploads/): the
 * type by magic bytes (never a Content-Type), at most 20 MiB, the header's canvas at most 8192 px
 * per side before any decoder runs (PNG IHDR, JPEG SOF, WebP VP8/VP8L/VP8X, GIF screen: a
 * decompression bomb declares a huge canvas in a few bytes), then decodable by the Images binding
 * and within the cap as decoded. The size reported is the decoded one (what the Images binding, and
 * so every rendition, sees); for a well-formed file it is the header's.
 */
export async function inspectImage(
  images: ImagesBinding,
  bytes: Uint8Array,
): Promise<CheckedImage | ImageRefusal> {
  if (bytes.byteLength > INGEST_LIMITS.maxBytes)
    return { ok: false, code: "payload_too_large", reason: tooLargeReason };
  const contentType = sniffImageType(bytes);
  if (!contentType)
    return { ok: false, code: "unsupported_media_type", reason: "not a PNG, JPEG, WebP or GIF image" };
  const declared = declaredImageSize(bytes, contentType);
  if (declared && overSide(declared)) return tooManyPixels(declared);
  let decoded: ImageSize;
  try {
    decoded = await imageInfo(images, bytes);
  } catch {
    // The binding's message names local paths: never forward it.
    return {
      ok: false,
      code: "unsupported_media_type",
      reason: `the ${contentType} image could not be decoded`,
    };
  }
  if (overSide(decoded)) return tooManyPixels(decoded);
  return { ok: true, contentType, width: decoded.width, height: decoded.height };
}

/**
 * Fetches `rawUrl` as a job's start image and stores it in R2 under `r2Key` with its sniffed type.
 * Refusals are `ApiError`s whose message starts with `startImageUrl: `: a refused or unreachable URL,
 * a non-2xx answer, too many redirects or the time budget → 400; over 20 MiB or over 8192 px per side
 * → 413; bytes that are not a decodable PNG/JPEG/WebP/GIF → 415. `ENVIRONMENT=development` lets the
 * guard allow http: and loopback hosts. Nothing is stored unless every check passed.
 */
export async function ingestStartImage(
  env: AppEnv,
  rawUrl: string,
  r2Key: string,
  options: IngestOptions = {},
): Promise<IngestedImage> {
  const development = env.ENVIRONMENT === "development";
  const checked = checkIngestUrl(rawUrl, { development });
  if (!checked.ok) throw refuse("invalid_request", checked.reason);

  const timeoutMs = options.timeoutMs ?? INGEST_LIMITS.timeoutMs;
  const signal = AbortSignal.timeout(timeoutMs);
  const timeout = () => refuse("invalid_request", `no complete answer within ${timeoutMs / 1000} s`);
  const { res, url } = await fetchFollowing(checked.url, development, signal, timeout);
  if (!res.ok) {
    await res.body?.cancel();
    throw refuse("invalid_request", `${url.host} answered ${res.status}`);
  }
  const bytes = await readCapped(res, signal, timeout);

  const image = await inspectImage(env.IMAGES, bytes);
  if (!image.ok) throw refuse(image.code, image.reason);
  await putOriginal(env.BUCKET, r2Key, bytes, image.contentType);
  return {
    bytes,
    contentType: image.contentType,
    width: image.width,
    height: image.height,
    finalUrl: url.href,
  };
}
