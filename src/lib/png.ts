/** A small, strict PNG decoder (non-interlaced, every colour type) producing 8-bit RGBA pixels. */
import { crc32, inflateSync } from "node:zlib";

/** Decoded pixels: `rgba` holds `width * height * 4` bytes, row-major, straight (not premultiplied) alpha. */
export interface DecodedImage {
  width: number;
  height: number;
  rgba: Uint8Array;
}

/** Refuses images whose RGBA buffer would not fit comfortably in a Worker's 128 MB (4096 × 4096). */
export const MAX_DECODED_PIXELS = 4096 * 4096;

const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];
/** Channels per colour type; the valid bit depths of each are checked in `readHeader`. */
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const BIT_DEPTHS: Record<number, readonly number[]> = {
  0: [1, 2, 4, 8, 16],
  2: [8, 16],
  3: [1, 2, 4, 8],
  4: [8, 16],
  6: [8, 16],
};

interface Header {
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
  channels: number;
}

function fail(reason: string): never {
  throw new Error(`Invalid PNG: ${reason}`);
}

function readHeader(data: Uint8Array): Header {
  if (data.length !== 13) fail("IHDR must be 13 bytes");
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const width = view.getUint32(0);
  const height = view.getUint32(4);
  const [bitDepth = 0, colorType = 0, compression, filter, interlace] = data.subarray(8);
  const channels = CHANNELS[colorType];
  if (channels === undefined) fail(`unknown colour type ${colorType}`);
  if (!BIT_DEPTHS[colorType]?.includes(bitDepth)) fail(`bit depth ${bitDepth} with colour type ${colorType}`);
  if (compression !== 0 || filter !== 0) fail("unknown compression or filter method");
  if (interlace !== 0) throw new Error("Unsupported PNG: interlaced (Adam7) images are not supported");
  if (width === 0 || height === 0) fail("zero width or height");
  if (width * height > MAX_DECODED_PIXELS) {
    throw new Error(`Unsupported PNG: ${width}x${height} exceeds ${MAX_DECODED_PIXELS} pixels`);
  }
  return { width, height, bitDepth, colorType, channels };
}

/**
 * Room past the image for the one-shot inflate: workerd's node:zlib grows its output a chunk at a
 * time and refuses ("Memory limit exceeded") a chunk that would end past `maxOutputLength`, even
 * when the data would have ended inside it.
 */
const INFLATE_SLACK = 64 * 1024;

/**
 * Inflates the zlib stream into exactly `expected` bytes, never holding much more, so a deflate bomb
 * cannot exhaust memory. node:zlib's one-shot inflate is native and synchronous: a 512² RGBA image
 * inflates in a few milliseconds, where reading a DecompressionStream chunk by chunk took ~15 ms of
 * the isolate's thread. Data far past the image (legal, if odd) is read by `inflateStreamed`, which
 * stops at `expected`.
 */
async function inflate(compressed: Uint8Array, expected: number): Promise<Uint8Array> {
  let out: Uint8Array;
  try {
    out = inflateSync(compressed, { maxOutputLength: expected + INFLATE_SLACK });
  } catch (err) {
    // Node says ERR_BUFFER_TOO_LARGE, workerd a RangeError; corrupt data is a plain Error (Z_DATA_ERROR).
    if (err instanceof RangeError) return inflateStreamed(compressed, expected);
    fail(`corrupt image data (${err instanceof Error ? err.message : String(err)})`);
  }
  if (out.length < expected) fail(`image data is truncated (${out.length} of ${expected} bytes)`);
  return out.length === expected ? out : out.subarray(0, expected);
}

/** `inflate` through a DecompressionStream, reading no more than `expected` bytes. */
async function inflateStreamed(compressed: Uint8Array, expected: number): Promise<Uint8Array> {
  const out = new Uint8Array(expected);
  let filled = 0;
  const reader = new Blob([compressed]).stream().pipeThrough(new DecompressionStream("deflate")).getReader();
  try {
    while (filled < expected) {
      const { done, value } = await reader.read();
      if (done) break;
      const take = Math.min(value.length, expected - filled);
      out.set(value.subarray(0, take), filled);
      filled += take;
    }
  } catch (err) {
    fail(`corrupt image data (${err instanceof Error ? err.message : String(err)})`);
  } finally {
    await reader.cancel().catch(() => undefined); // the stream may already be closed or errored
  }
  if (filled < expected) fail(`image data is truncated (${filled} of ${expected} bytes)`);
  return out;
}

/**
 * Reverses the per-scanline filters; returns the unfiltered rows without their filter-type bytes.
 * One loop per filter type (the type is per row), so the per-byte work is a typed-array add: this
 * is the hot loop of every decode (the analysis decodes each provider PNG here).
 */
function unfilter(raw: Uint8Array, height: number, stride: number, bpp: number): Uint8Array {
  const out = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const type = raw[y * (stride + 1)];
    const src = y * (stride + 1) + 1;
    const row = y * stride;
    const prev = row - stride;
    const first = y === 0;
    if (type === 0) {
      out.set(raw.subarray(src, src + stride), row);
    } else if (type === 1) {
      for (let i = 0; i < stride; i++)
        out[row + i] = ((raw[src + i] as number) + (i >= bpp ? (out[row + i - bpp] as number) : 0)) & 0xff;
    } else if (type === 2) {
      if (first) out.set(raw.subarray(src, src + stride), row);
      else
        for (let i = 0; i < stride; i++)
          out[row + i] = ((raw[src + i] as number) + (out[prev + i] as number)) & 0xff;
    } else if (type === 3) {
      for (let i = 0; i < stride; i++) {
        const a = i >= bpp ? (out[row + i - bpp] as number) : 0;
        const b = first ? 0 : (out[prev + i] as number);
        out[row + i] = ((raw[src + i] as number) + ((a + b) >> 1)) & 0xff;
      }
    } else if (type === 4) {
      for (let i = 0; i < stride; i++) {
        const a = i >= bpp ? (out[row + i - bpp] as number) : 0;
        const b = first ? 0 : (out[prev + i] as number);
        const c = !first && i >= bpp ? (out[prev + i - bpp] as number) : 0;
        // paeth(a, b, c), inlined: this loop runs once per byte of most rows.
        const p = a + b - c;
        const pa = p > a ? p - a : a - p;
        const pb = p > b ? p - b : b - p;
        const pc = p > c ? p - c : c - p;
        const predictor = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
        out[row + i] = ((raw[src + i] as number) + predictor) & 0xff;
      }
    } else fail(`unknown filter type ${type} on row ${y}`);
  }
  return out;
}

/** 8-bit RGB or RGBA without a tRNS key (what the Images binding and providers write): a straight copy. */
function rgba8(pixels: Uint8Array, width: number, height: number, channels: number): Uint8Array {
  if (channels === 4) return pixels;
  const rgba = new Uint8Array(width * height * 4);
  for (let p = 0, q = 0; q < rgba.length; p += 3, q += 4) {
    rgba[q] = pixels[p] as number;
    rgba[q + 1] = pixels[p + 1] as number;
    rgba[q + 2] = pixels[p + 2] as number;
    rgba[q + 3] = 255;
  }
  return rgba;
}

/** Expands unfiltered scanlines of any supported colour type and depth to 8-bit RGBA. */
function toRgba(pixels: Uint8Array, h: Header, stride: number, palette: Uint8Array, trns: Uint8Array) {
  const { width, height, bitDepth, colorType, channels } = h;
  const rgba = new Uint8Array(width * height * 4);
  const maxSample = (1 << bitDepth) - 1;
  // tRNS for gray/RGB names one transparent colour, compared at the image's own bit depth.
  const key = (i: number) => ((trns[i * 2] ?? 0) << 8) | (trns[i * 2 + 1] ?? 0);
  const hasKey = (colorType === 0 && trns.length >= 2) || (colorType === 2 && trns.length >= 6);
  const sample = (row: number, index: number): number => {
    if (bitDepth === 8) return pixels[row + index] ?? 0;
    if (bitDepth === 16) return ((pixels[row + index * 2] ?? 0) << 8) | (pixels[row + index * 2 + 1] ?? 0);
    const bit = index * bitDepth;
    return ((pixels[row + (bit >> 3)] ?? 0) >> (8 - bitDepth - (bit & 7))) & maxSample;
  };
  const to8 = (v: number) =>
    bitDepth === 16 ? v >> 8 : bitDepth === 8 ? v : Math.round((v * 255) / maxSample);
  for (let y = 0; y < height; y++) {
    const row = y * stride;
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 4;
      const s0 = sample(row, x * channels);
      if (colorType === 3) {
        if (s0 * 3 + 2 >= palette.length) fail(`palette index ${s0} out of range`);
        rgba[o] = palette[s0 * 3] ?? 0;
        rgba[o + 1] = palette[s0 * 3 + 1] ?? 0;
        rgba[o + 2] = palette[s0 * 3 + 2] ?? 0;
        rgba[o + 3] = trns[s0] ?? 255;
      } else if (colorType === 0 || colorType === 4) {
        const g = to8(s0);
        rgba[o] = g;
        rgba[o + 1] = g;
        rgba[o + 2] = g;
        if (colorType === 4) rgba[o + 3] = to8(sample(row, x * channels + 1));
        else rgba[o + 3] = hasKey && s0 === key(0) ? 0 : 255;
      } else {
        const s1 = sample(row, x * channels + 1);
        const s2 = sample(row, x * channels + 2);
        rgba[o] = to8(s0);
        rgba[o + 1] = to8(s1);
        rgba[o + 2] = to8(s2);
        if (colorType === 6) rgba[o + 3] = to8(sample(row, x * channels + 3));
        else rgba[o + 3] = hasKey && s0 === key(0) && s1 === key(1) && s2 === key(2) ? 0 : 255;
      }
    }
  }
  return rgba;
}

/**
 * Decodes a non-interlaced PNG of any standard colour type (gray, RGB, palette with tRNS, gray+alpha,
 * RGBA; bit depths 1–16, 16-bit samples keep their high byte) into 8-bit RGBA. Chunk CRCs are
 * verified. Throws an `Error` whose message starts with "Invalid PNG" or "Unsupported PNG".
 */
export async function decodePng(bytes: Uint8Array): Promise<DecodedImage> {
  if (bytes.length < 8 || SIGNATURE.some((b, i) => bytes[i] !== b)) fail("missing PNG signature");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let header: Header | undefined;
  let palette: Uint8Array = new Uint8Array(0);
  let trns: Uint8Array = new Uint8Array(0);
  const idat: Uint8Array[] = [];
  let ended = false;
  for (let pos = 8; !ended; ) {
    if (pos + 12 > bytes.length) fail("truncated chunk (no IEND)");
    const length = view.getUint32(pos);
    if (pos + 12 + length > bytes.length) fail("chunk overruns the file");
    const typeAndData = bytes.subarray(pos + 4, pos + 8 + length);
    if (crc32(typeAndData) !== view.getUint32(pos + 8 + length)) fail("chunk CRC mismatch");
    const type = String.fromCharCode(...typeAndData.subarray(0, 4));
    const data = typeAndData.subarray(4);
    if (header === undefined && type !== "IHDR") fail("first chunk is not IHDR");
    if (type === "IHDR") header = readHeader(data);
    else if (type === "PLTE") palette = data;
    else if (type === "tRNS") trns = data;
    else if (type === "IDAT") idat.push(data);
    else if (type === "IEND") ended = true;
    pos += 12 + length;
  }
  if (header === undefined) fail("no IHDR");
  if (header.colorType === 3 && palette.length === 0) fail("palette image without PLTE");
  if (idat.length === 0) fail("no IDAT");

  const compressed = new Uint8Array(idat.reduce((n, d) => n + d.length, 0));
  let offset = 0;
  for (const d of idat) {
    compressed.set(d, offset);
    offset += d.length;
  }
  const bitsPerPixel = header.channels * header.bitDepth;
  const stride = Math.ceil((header.width * bitsPerPixel) / 8);
  const raw = await inflate(compressed, header.height * (stride + 1));
  const pixels = unfilter(raw, header.height, stride, Math.max(1, bitsPerPixel >> 3));
  const plain =
    header.bitDepth === 8 && (header.colorType === 6 || (header.colorType === 2 && trns.length === 0));
  return {
    width: header.width,
    height: header.height,
    rgba: plain
      ? rgba8(pixels, header.width, header.height, header.channels)
      : toRgba(pixels, header, stride, palette, trns),
  };
}

/**
 * Rec. 601 luma (0.299 R + 0.587 G + 0.114 B, 0..255) per pixel, row-major, with each pixel
 * composited over white first so transparent areas read as a white page, not as black.
 */
export function luminance(img: DecodedImage): Float64Array {
  const out = new Float64Array(img.width * img.height);
  const { rgba } = img;
  for (let i = 0; i < out.length; i++) {
    const a = (rgba[i * 4 + 3] ?? 255) / 255;
    const white = 255 * (1 - a);
    out[i] =
      0.299 * ((rgba[i * 4] ?? 0) * a + white) +
      0.587 * ((rgba[i * 4 + 1] ?? 0) * a + white) +
      0.114 * ((rgba[i * 4 + 2] ?? 0) * a + white);
  }
  return out;
}
