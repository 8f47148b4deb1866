/** Raster image types recognised by their magic bytes (never by a server's Content-Type). */

/** The start-image types ingest accepts. */
export type SniffedImageType = "image/png" | "image/jpeg" | "image/webp" | "image/gif";

const ascii = (bytes: Uint8Array, from: number, to: number): string =>
  String.fromCharCode(...bytes.subarray(from, to));

const startsWith = (bytes: Uint8Array, signature: readonly number[]): boolean =>
  bytes.length >= signature.length && signature.every((b, i) => bytes[i] === b);

const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] as const;
const JPEG = [0xff, 0xd8, 0xff] as const;

/**
 * The type of `bytes` from its signature: PNG, JPEG, WebP (RIFF…WEBP) or GIF (87a/89a); null for
 * anything else, SVG and other text included.
 */
export function sniffImageType(bytes: Uint8Array): SniffedImageType | null {
  if (startsWith(bytes, PNG)) return "image/png";
  if (startsWith(bytes, JPEG)) return "image/jpeg";
  if (bytes.length >= 12 && ascii(bytes, 0, 4) === "RIFF" && ascii(bytes, 8, 12) === "WEBP") {
    return "image/webp";
  }
  if (bytes.length >= 6 && /^GIF8[79]a$/.test(ascii(bytes, 0, 6))) return "image/gif";
  return null;
}

/** A canvas size in pixels. */
export interface ImageSize {
  width: number;
  height: number;
}

const u16be = (b: Uint8Array, at: number): number => ((b[at] ?? 0) << 8) | (b[at + 1] ?? 0);
const u16le = (b: Uint8Array, at: number): number => (b[at] ?? 0) | ((b[at + 1] ?? 0) << 8);
const u24le = (b: Uint8Array, at: number): number => u16le(b, at) | ((b[at + 2] ?? 0) << 16);
const u32be = (b: Uint8Array, at: number): number => u16be(b, at) * 0x10000 + u16be(b, at + 2);
const u32le = (b: Uint8Array, at: number): number => u16le(b, at) + u16le(b, at + 2) * 0x10000;

/** Start-of-frame markers (baseline, progressive, lossless, arithmetic); not DHT (C4), JPG (C8), DAC (CC). */
const JPEG_SOF = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);

/** The frame size in a JPEG's first SOF segment, walking the marker segments before it. */
function jpegSize(bytes: Uint8Array): ImageSize | null {
  let at = 2;
  while (at + 4 <= bytes.length) {
    if (bytes[at] !== 0xff) return null;
    const marker = bytes[at + 1] ?? 0;
    // Fill bytes, and markers that carry no length (TEM, RSTn, SOI).
    if (marker === 0xff) {
      at += 1;
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) {
      at += 2;
      continue;
    }
    // End of image or start of scan before any frame header: no size to read.
    if (marker === 0xd9 || marker === 0xda) return null;
    const length = u16be(bytes, at + 2);
    if (length < 2) return null;
    if (JPEG_SOF.has(marker)) {
      if (at + 9 > bytes.length) return null;
      return { height: u16be(bytes, at + 5), width: u16be(bytes, at + 7) };
    }
    at += 2 + length;
  }
  return null;
}

/** The canvas of a WebP's first chunk: VP8 (lossy frame), VP8L (lossless) or VP8X (extended canvas). */
function webpSize(bytes: Uint8Array): ImageSize | null {
  if (bytes.length < 30) return null;
  const chunk = ascii(bytes, 12, 16);
  if (chunk === "VP8 ") {
    // Frame tag (3 bytes), start code 9d 01 2a, then 14-bit width and height (2 scale bits each).
    if (bytes[23] !== 0x9d || bytes[24] !== 0x01 || bytes[25] !== 0x2a) return null;
    return { width: u16le(bytes, 26) & 0x3fff, height: u16le(bytes, 28) & 0x3fff };
  }
  if (chunk === "VP8L") {
    if (bytes[20] !== 0x2f) return null;
    // Signature 0x2f, then width-1 and height-1 in 14 bits each, least significant bit first.
    const bits = u32le(bytes, 21);
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  if (chunk === "VP8X") return { width: u24le(bytes, 24) + 1, height: u24le(bytes, 27) + 1 };
  return null;
}

/**
 * The canvas `bytes` declare in their header, read without decoding anything: PNG IHDR, JPEG SOF,
 * WebP VP8/VP8L/VP8X, GIF logical screen. Null when the header is cut short or malformed (the
 * decoder then has the last word). A decompression bomb is a few bytes declaring a huge canvas:
 * this is what lets it be refused before any decoder sees it.
 */
export function declaredImageSize(bytes: Uint8Array, type: SniffedImageType): ImageSize | null {
  let size: ImageSize | null = null;
  if (type === "image/png") {
    if (bytes.length >= 24 && ascii(bytes, 12, 16) === "IHDR")
      size = { width: u32be(bytes, 16), height: u32be(bytes, 20) };
  } else if (type === "image/gif") {
    if (bytes.length >= 10) size = { width: u16le(bytes, 6), height: u16le(bytes, 8) };
  } else if (type === "image/jpeg") {
    size = jpegSize(bytes);
  } else {
    size = webpSize(bytes);
  }
  return size && size.width > 0 && size.height > 0 ? size : null;
}
