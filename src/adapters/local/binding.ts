/** The local provider's Images binding calls (each through `imagesGate`): rasterize, read pixels, resize. */
import { imagesGate } from "../../lib/concurrency";
import type { AppEnv } from "../../lib/env";
import { type DecodedImage, decodePng } from "../../lib/png";
import { isTransientPlatformError } from "../../lib/transient";
import { ProviderError } from "../provider.types";
import { MAX_RESULT_BYTES, requireWorkable, type Size } from "./sizes";

/** Start images are downscaled so their longer side is at most this before embedding (legacy edits). */
const MAX_START_SIDE = 1024;
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export function streamOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new Blob([bytes]).stream();
}

/** Reads a stream whole; past `maxBytes` it stops and throws a non-retryable ProviderError. */
async function readAll(
  stream: ReadableStream<Uint8Array>,
  maxBytes = Number.POSITIVE_INFINITY,
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = stream.getReader();
  for (let next = await reader.read(); !next.done; next = await reader.read()) {
    total += next.value.length;
    if (total > maxBytes) {
      await reader.cancel();
      throw new ProviderError(
        `local provider: the result would be over ${maxBytes / 1_048_576} MiB as a PNG; ask for a smaller one`,
        { retryable: false },
      );
    }
    chunks.push(next.value);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) {
    binary += String.fromCharCode(...bytes.subarray(i, i + chunk));
  }
  return btoa(binary);
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The size in a PNG's IHDR, or null when `bytes` is not a PNG. */
export function pngSize(bytes: Uint8Array): Size | null {
  if (bytes.length < 24 || PNG_SIGNATURE.some((b, i) => bytes[i] !== b)) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(12) !== 0x49484452) return null;
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

/** Rasterizes an SVG to PNG through the Images binding. */
export async function rasterize(env: AppEnv, svg: string): Promise<Uint8Array> {
  return imagesGate.run(async () => {
    try {
      const result = await env.IMAGES.input(streamOf(new TextEncoder().encode(svg))).output({
        format: "image/png",
      });
      return await readAll(result.image());
    } catch (error) {
      // A lost connection to the Images service under load is passing: the step retries it.
      throw new ProviderError(`local provider: rendering failed (${errorMessage(error)})`, {
        retryable: isTransientPlatformError(error),
      });
    }
  });
}

function unreadable(what: string, error: unknown): ProviderError {
  if (error instanceof ProviderError) return error;
  return new ProviderError(`local provider: ${what} is not a readable image (${errorMessage(error)})`, {
    retryable: isTransientPlatformError(error),
  });
}

/** The start image as a PNG `data:` URI, downscaled to at most MAX_START_SIDE on its longer side. */
export async function startImageDataUri(env: AppEnv, bytes: Uint8Array): Promise<string> {
  return imagesGate.run(async () => {
    try {
      const info = await env.IMAGES.info(streamOf(bytes));
      let transformer = env.IMAGES.input(streamOf(bytes));
      if ("width" in info && Math.max(info.width, info.height) > MAX_START_SIDE) {
        // One dimension only: the aspect ratio is kept (the SVG crops it to a square itself).
        transformer = transformer.transform(
          info.width >= info.height ? { width: MAX_START_SIDE } : { height: MAX_START_SIDE },
        );
      }
      const png = await readAll((await transformer.output({ format: "image/png" })).image());
      return `data:image/png;base64,${toBase64(png)}`;
    } catch (error) {
      throw unreadable("start image", error);
    }
  });
}

/**
 * The pixels of `bytes` as 8-bit RGBA at their own size, refused above MAX_WORK_PIXELS before
 * anything is decoded. A PNG is decoded as it is (its pixels exactly); any other type (JPEG, WebP,
 * GIF, SVG, an interlaced PNG) is converted to PNG by the Images binding first.
 */
export async function readRgba(env: AppEnv, bytes: Uint8Array, what: string): Promise<DecodedImage> {
  const size = pngSize(bytes);
  if (size !== null) {
    requireWorkable(what, size);
    try {
      return await decodePng(bytes);
    } catch {
      // Interlaced or otherwise unusual: the binding reads it below.
    }
  }
  const png = await imagesGate.run(async () => {
    try {
      const info = await env.IMAGES.info(streamOf(bytes));
      if ("width" in info) requireWorkable(what, info);
      const result = await env.IMAGES.input(streamOf(bytes)).output({ format: "image/png" });
      return await readAll(result.image());
    } catch (error) {
      throw unreadable(what, error);
    }
  });
  const converted = pngSize(png);
  if (converted === null) throw unreadable(what, new Error("the Images binding returned no PNG"));
  requireWorkable(what, converted);
  try {
    return await decodePng(png);
  } catch (error) {
    throw unreadable(what, error);
  }
}

/** The size of any image the binding reads (an SVG: the size of its rasterization). */
export async function imageSize(env: AppEnv, bytes: Uint8Array, what: string): Promise<Size> {
  const size = pngSize(bytes);
  if (size !== null) return size;
  return imagesGate.run(async () => {
    try {
      const info = await env.IMAGES.info(streamOf(bytes));
      if ("width" in info) return { width: info.width, height: info.height };
      const raster = await env.IMAGES.input(streamOf(bytes)).output({ format: "image/png" });
      const measured = pngSize(await readAll(raster.image()));
      if (measured === null) throw new Error("the Images binding returned no PNG");
      return measured;
    } catch (error) {
      throw unreadable(what, error);
    }
  });
}

/**
 * `bytes` resized by the Images binding to exactly `target` (same aspect ratio, so `contain` neither
 * pads nor crops) as PNG, or null when the binding gave another size (it would not enlarge). The PNG
 * is read back up to MAX_RESULT_BYTES.
 */
export async function resizeThroughBinding(
  env: AppEnv,
  bytes: Uint8Array,
  target: Size,
): Promise<Uint8Array | null> {
  const png = await imagesGate.run(async () => {
    try {
      const result = await env.IMAGES.input(streamOf(bytes))
        .transform({ width: target.width, height: target.height, fit: "contain" })
        .output({ format: "image/png" });
      return await readAll(result.image(), MAX_RESULT_BYTES);
    } catch (error) {
      throw unreadable("start image", error);
    }
  });
  const size = pngSize(png);
  return size !== null && size.width === target.width && size.height === target.height ? png : null;
}
