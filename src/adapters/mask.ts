/**
 * Pixels the live adapters prepare before a call: image sizes from headers, the house mask (a PNG,
 * white = repaint, black = keep) converted to each provider's convention at the start image's size,
 * and outpaint canvases (the start image padded with transparent margins plus a mask over them).
 * PNGs are read and written with fast-png; other formats, and images too large to handle as raw
 * pixels in a Worker, go through the Images binding first (a PNG at most `maxSide` per side).
 */
import { type DecodedPng, decode, encode } from "fast-png";
import { imagesGate } from "../lib/concurrency";
import { declaredImageSize, sniffImageType } from "../lib/image-type";
import type { Margins, MaskImage } from "./params";

export interface Size {
  width: number;
  height: number;
}

/** 8-bit RGBA pixels, row-major, straight alpha. */
export interface Rgba extends Size {
  data: Uint8Array;
}

/** Coverage: one byte per pixel, 1 where the provider must repaint, 0 where it must keep. */
export interface Coverage extends Size {
  repaint: Uint8Array;
}

/** Bytes that cannot be read as the PNG they should be (a user's mask): not worth a retry. */
export class PixelError extends Error {
  override name = "PixelError";
}

/**
 * Width and height from an image's header (PNG IHDR, JPEG SOF, WebP, GIF screen: the shared reader
 * in src/lib/image-type.ts); null when the bytes are no such image or the header is unreadable.
 */
export function imageSize(bytes: Uint8Array): Size | null {
  const type = sniffImageType(bytes);
  return type === null ? null : declaredImageSize(bytes, type);
}

function decodePng(bytes: Uint8Array, what: string): DecodedPng {
  try {
    return decode(bytes);
  } catch (err) {
    throw new PixelError(
      `${what} is not a readable PNG (${err instanceof Error ? err.message : String(err)})`,
    );
  }
}

/** Reads pixel (x, y) of any decoded PNG (palette, 1–16 bit, 1–4 channels) as 8-bit RGBA into `out`. */
function pixelReader(png: DecodedPng): (x: number, y: number, out: Uint8Array) => void {
  const { width, depth, channels, palette, data } = png;
  if (palette || depth < 8) {
    // Packed samples (1, 2 or 4 bits; 8 for palettes): an index into the palette, or a grey level.
    const stride = Math.ceil((width * depth) / 8);
    const max = (1 << depth) - 1;
    return (x, y, out) => {
      const bit = x * depth;
      const byte = data[y * stride + (bit >> 3)] ?? 0;
      const value = (byte >> (8 - depth - (bit & 7))) & max;
      if (palette) {
        const [r = 0, g = 0, b = 0, a = 255] = palette[value] ?? [];
        out.set([r, g, b, a]);
      } else {
        const grey = Math.round((value * 255) / max);
        out.set([grey, grey, grey, 255]);
      }
    };
  }
  const shift = depth === 16 ? 8 : 0;
  return (x, y, out) => {
    const at = (y * width + x) * channels;
    const v = (c: number) => (data[at + c] ?? 0) >> shift;
    if (channels === 1) out.set([v(0), v(0), v(0), 255]);
    else if (channels === 2) out.set([v(0), v(0), v(0), v(1)]);
    else if (channels === 3) out.set([v(0), v(1), v(2), 255]);
    else out.set([v(0), v(1), v(2), v(3)]);
  };
}

/**
 * The house mask sampled (nearest neighbour) at `width` × `height`: repaint where the mask is light
 * (luminance ≥ 128) and opaque, keep elsewhere. A mask of another size is scaled to the target.
 */
export function maskCoverage(mask: MaskImage, width: number, height: number): Coverage {
  const png = decodePng(mask.bytes, "the mask");
  const read = pixelReader(png);
  const px = new Uint8Array(4);
  const repaint = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const sy = Math.min(png.height - 1, Math.floor(((y + 0.5) * png.height) / height));
    for (let x = 0; x < width; x++) {
      const sx = Math.min(png.width - 1, Math.floor(((x + 0.5) * png.width) / width));
      read(sx, sy, px);
      const luminance = 0.299 * (px[0] ?? 0) + 0.587 * (px[1] ?? 0) + 0.114 * (px[2] ?? 0);
      repaint[y * width + x] = luminance >= 128 && (px[3] ?? 0) >= 128 ? 1 : 0;
    }
  }
  return { width, height, repaint };
}

/** OpenAI's mask: a PNG of the same size whose fully transparent pixels (alpha 0) mark the area to edit. */
export function toAlphaMask(coverage: Coverage): Uint8Array {
  const data = new Uint8Array(coverage.width * coverage.height * 4);
  for (let i = 0; i < coverage.repaint.length; i++) data[i * 4 + 3] = coverage.repaint[i] ? 0 : 255;
  return encode({ width: coverage.width, height: coverage.height, data, channels: 4, depth: 8 });
}

/**
 * A black-and-white mask PNG (8-bit greyscale: 255 = repaint, 0 = keep), the convention of the
 * Stable Diffusion inpainting model on Workers AI (its `mask` input takes the PNG's bytes as an array)
 * and what Gemini is shown as a second image.
 */
export function toGreyMask(coverage: Coverage): Uint8Array {
  const data = new Uint8Array(coverage.repaint.length);
  for (let i = 0; i < data.length; i++) data[i] = coverage.repaint[i] ? 255 : 0;
  return encode({ width: coverage.width, height: coverage.height, data, channels: 1, depth: 8 });
}

/** Coverage of an outpaint canvas: repaint the margins, keep the original's rectangle. */
export function marginCoverage(canvas: Size, margins: Margins): Coverage {
  const { width, height } = canvas;
  const repaint = new Uint8Array(width * height).fill(1);
  for (let y = margins.top; y < height - margins.bottom; y++) {
    repaint.fill(0, y * width + margins.left, y * width + width - margins.right);
  }
  return { width, height, repaint };
}

/** `image` on a larger transparent canvas, `margins` pixels out on each side. */
export function padImage(image: Rgba, margins: Margins): Rgba {
  const width = image.width + margins.left + margins.right;
  const height = image.height + margins.top + margins.bottom;
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < image.height; y++) {
    const row = image.data.subarray(y * image.width * 4, (y + 1) * image.width * 4);
    data.set(row, ((y + margins.top) * width + margins.left) * 4);
  }
  return { width, height, data };
}

export const encodeRgba = (image: Rgba): Uint8Array =>
  encode({ width: image.width, height: image.height, data: image.data, channels: 4, depth: 8 });

function toRgba(png: DecodedPng): Rgba {
  const { width, height } = png;
  if (png.depth === 8 && png.channels === 4 && !png.palette && png.data instanceof Uint8Array) {
    return { width, height, data: png.data };
  }
  const read = pixelReader(png);
  const data = new Uint8Array(width * height * 4);
  const px = new Uint8Array(4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      read(x, y, px);
      data.set(px, (y * width + x) * 4);
    }
  }
  return { width, height, data };
}

/** A start image the adapters can work on: its bytes, type and size, scaled down when it was too large. */
export interface FittedImage extends Size {
  bytes: Uint8Array;
  contentType: string;
  /** Original width / sent width (1 when sent as it was). */
  scale: number;
}

/**
 * The start image as it was when it is at most `maxSide` per side, else a PNG rendition of it that
 * is (the Images binding, width only: the local binding letterboxes two-dimension resizes).
 */
export async function fitImage(
  images: ImagesBinding,
  start: { bytes: Uint8Array; contentType: string },
  maxSide: number,
  force = false,
): Promise<FittedImage> {
  const size = imageSize(start.bytes);
  if (!size) throw new PixelError("the start image has no readable size in its header");
  const scale = Math.max(1, Math.max(size.width, size.height) / maxSide);
  if (scale === 1 && !force) return { ...start, ...size, scale };
  const width = Math.max(1, Math.round(size.width / scale));
  const bytes = await imagesGate.run(async () => {
    const result = await images
      .input(new Blob([start.bytes]).stream())
      .transform({ width, fit: "scale-down" })
      .output({ format: "image/png" });
    return new Uint8Array(await result.response().arrayBuffer());
  });
  const sent = imageSize(bytes);
  if (!sent) throw new PixelError("the start image could not be converted to PNG");
  return { bytes, contentType: "image/png", ...sent, scale: size.width / sent.width };
}

/** The start image's pixels (PNG decoded here; anything else, or anything too large, via the binding). */
export async function startPixels(
  images: ImagesBinding,
  start: { bytes: Uint8Array; contentType: string },
  maxSide: number,
): Promise<{ image: Rgba; scale: number }> {
  const fitted = await fitImage(images, start, maxSide, sniffImageType(start.bytes) !== "image/png");
  return { image: toRgba(decodePng(fitted.bytes, "the start image")), scale: fitted.scale };
}

/** An outpaint request made concrete: the padded canvas (PNG), its mask coverage, and what was scaled. */
export interface OutpaintCanvas {
  canvas: Rgba;
  png: Uint8Array;
  coverage: Coverage;
  /** Margins as sent (scaled with the image when it had to shrink). */
  margins: Margins;
  scale: number;
}

/**
 * Pads the start image by `margins` with transparent pixels and covers the new area, keeping the
 * whole canvas within `maxSide` per side (the image and margins shrink together when needed).
 */
export async function outpaintCanvas(
  images: ImagesBinding,
  start: { bytes: Uint8Array; contentType: string },
  requested: Margins,
  maxSide: number,
): Promise<OutpaintCanvas> {
  const size = imageSize(start.bytes);
  if (!size) throw new PixelError("the start image has no readable size in its header");
  const canvasSide = Math.max(
    size.width + requested.left + requested.right,
    size.height + requested.top + requested.bottom,
  );
  const shrink = Math.max(1, canvasSide / maxSide);
  const fitSide = Math.max(1, Math.floor(Math.max(size.width, size.height) / shrink));
  const { image, scale } = await startPixels(images, start, fitSide);
  const margins: Margins = {
    left: Math.round(requested.left / scale),
    right: Math.round(requested.right / scale),
    top: Math.round(requested.top / scale),
    bottom: Math.round(requested.bottom / scale),
  };
  const canvas = padImage(image, margins);
  return { canvas, png: encodeRgba(canvas), coverage: marginCoverage(canvas, margins), margins, scale };
}
