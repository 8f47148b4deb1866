/** Typed tools over the Images binding: image info, exact-size RGBA renditions, pHash + stats + fingerprint. */
import { decodeGate, imagesGate } from "../../lib/concurrency";
import { computeStats, type ImageStats } from "../../lib/image-stats";
import { computeFingerprint, type Fingerprint } from "../../lib/near-duplicate/fingerprint";
import { phashFromLuma32 } from "../../lib/phash";
import { type DecodedImage, decodePng, luminance } from "../../lib/png";

/** Width, height and MIME type of an image (an SVG's size is that of its rasterization). */
export interface ImageInfo {
  width: number;
  height: number;
  format: string;
}

/** What the judge and the dedupe step need from one image. */
export interface ImageAnalysis {
  /** 64-bit DCT pHash of the 32×32 rendition, 16 hex chars. */
  phash: string;
  /** Statistics of the 64×64 rendition. */
  stats: ImageStats;
  /** The near-duplicate fingerprint: seven views × (pHash, gradient hash, cell layout); see lib/near-duplicate. */
  fingerprint: Fingerprint;
  width: number;
  height: number;
}

/** The binding is asked for about this many pixels per output pixel along each axis, then box-filtered. */
const OVERSAMPLE = 2;
/** Longest side of the intermediate rendition, so extreme aspect ratios stay cheap to decode. */
const MAX_INTERMEDIATE_SIDE = 2048;

function streamOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new Blob([bytes]).stream();
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * The size in a PNG's IHDR chunk, or null when `bytes` is not a PNG with a sane header. Used where
 * a rendition follows anyway (which decodes, so checks, the image): one binding round trip less.
 * Validation (ingest) keeps asking the binding through `imageInfo`.
 */
function pngInfo(bytes: Uint8Array): ImageInfo | null {
  if (bytes.length < 24 || PNG_SIGNATURE.some((b, i) => bytes[i] !== b)) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(12) !== 0x49484452) return null; // "IHDR" must come first
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  return width > 0 && height > 0 ? { width, height, format: "image/png" } : null;
}

/** Width, height and format of `bytes`; throws the binding's error when they are not an image. */
export async function imageInfo(images: ImagesBinding, bytes: Uint8Array): Promise<ImageInfo> {
  const info = await images.info(streamOf(bytes));
  if ("width" in info) return { width: info.width, height: info.height, format: info.format };
  // The binding reports no size for SVG: measure the raster it would produce.
  const raster = await images.input(streamOf(bytes)).output({ format: "image/png" });
  const measured = await images.info(raster.image());
  if (!("width" in measured)) throw new Error("The Images binding returned no size for a rasterized SVG");
  return { width: measured.width, height: measured.height, format: info.format };
}

/** The factor of an aspect-preserving rendition at least OVERSAMPLE× the target (never enlarged). */
function renditionScale(source: ImageInfo, width: number, height: number): number {
  return Math.min(
    1,
    OVERSAMPLE * Math.max(width / source.width, height / source.height),
    MAX_INTERMEDIATE_SIDE / Math.max(source.width, source.height),
  );
}

/**
 * An aspect-preserving PNG rendition, at least OVERSAMPLE× the target on each axis where the source
 * allows (never enlarged). Only `width` is sent: the local binding ignores `fit` and letterboxes
 * every two-dimension resize ("contain" with black bars), so the squeeze happens in `boxResize`.
 */
async function aspectRendition(
  images: ImagesBinding,
  bytes: Uint8Array,
  source: ImageInfo,
  width: number,
  height: number,
): Promise<DecodedImage> {
  const scale = renditionScale(source, width, height);
  const result = await images
    .input(streamOf(bytes))
    .transform({ width: Math.max(1, Math.round(source.width * scale)), fit: "scale-down" })
    .output({ format: "image/png" });
  return decodePng(new Uint8Array(await result.response().arrayBuffer()));
}

/** For each output index on one axis: the source indices it covers, with weights summing to 1. */
function axisTaps(from: number, to: number): [index: number, weight: number][][] {
  const ratio = from / to;
  return Array.from({ length: to }, (_, d) => {
    const start = d * ratio;
    const end = start + ratio;
    const taps: [number, number][] = [];
    for (let s = Math.floor(start); s < Math.min(from, Math.ceil(end)); s++) {
      const overlap = Math.min(end, s + 1) - Math.max(start, s);
      if (overlap > 0) taps.push([s, overlap / ratio]);
    }
    return taps;
  });
}

/**
 * `boxResize` by a whole factor on both axes: each output pixel is the alpha-weighted mean of one
 * fx × fy block (the same result as the general path, without per-tap bookkeeping).
 */
function blockResize(img: DecodedImage, width: number, height: number): DecodedImage {
  const fx = img.width / width;
  const fy = img.height / height;
  const src = img.rgba;
  const rgba = new Uint8Array(width * height * 4);
  const area = fx * fy;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0;
      for (let sy = y * fy; sy < (y + 1) * fy; sy++) {
        for (let i = (sy * img.width + x * fx) * 4, end = i + fx * 4; i < end; i += 4) {
          const alpha = src[i + 3] as number;
          r += alpha * (src[i] as number);
          g += alpha * (src[i + 1] as number);
          b += alpha * (src[i + 2] as number);
          a += alpha;
        }
      }
      const o = (y * width + x) * 4;
      rgba[o] = a > 0 ? Math.round(r / a) : 0;
      rgba[o + 1] = a > 0 ? Math.round(g / a) : 0;
      rgba[o + 2] = a > 0 ? Math.round(b / a) : 0;
      rgba[o + 3] = Math.round(a / area);
    }
  }
  return { width, height, rgba };
}

/** Area-average resize to exactly width × height ("squeeze": aspect not kept), alpha-weighted. */
function boxResize(img: DecodedImage, width: number, height: number): DecodedImage {
  if (img.width === width && img.height === height) return img;
  if (img.width % width === 0 && img.height % height === 0) return blockResize(img, width, height);
  const xTaps = axisTaps(img.width, width);
  const yTaps = axisTaps(img.height, height);
  const rgba = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0;
      for (const [sy, wy] of yTaps[y] ?? []) {
        for (const [sx, wx] of xTaps[x] ?? []) {
          const i = (sy * img.width + sx) * 4;
          const wa = wy * wx * (img.rgba[i + 3] ?? 0);
          r += wa * (img.rgba[i] ?? 0);
          g += wa * (img.rgba[i + 1] ?? 0);
          b += wa * (img.rgba[i + 2] ?? 0);
          a += wa;
        }
      }
      const o = (y * width + x) * 4;
      rgba[o] = a > 0 ? Math.round(r / a) : 0;
      rgba[o + 1] = a > 0 ? Math.round(g / a) : 0;
      rgba[o + 2] = a > 0 ? Math.round(b / a) : 0;
      rgba[o + 3] = Math.round(a);
    }
  }
  return { width, height, rgba };
}

/**
 * Exactly `width` × `height` RGBA pixels of `bytes` (any format the binding reads, SVG included),
 * squeezed to that size regardless of aspect ratio. Pass `source` (from `imageInfo`) to skip a lookup.
 */
export async function rgbaRendition(
  images: ImagesBinding,
  bytes: Uint8Array,
  width: number,
  height: number,
  source?: ImageInfo,
): Promise<DecodedImage> {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(`rgbaRendition needs positive integer dimensions, got ${width}x${height}`);
  }
  const info = source ?? pngInfo(bytes) ?? (await imageInfo(images, bytes));
  return boxResize(await aspectRendition(images, bytes, info, width, height), width, height);
}

/** A PNG up to this many pixels is analysed from its own pixels (4 MB of RGBA at most): no binding call. */
const DIRECT_DECODE_MAX_PIXELS = 1024 * 1024;

/**
 * The analysis's ~128 px rendition. A PNG of at most DIRECT_DECODE_MAX_PIXELS (what providers
 * return) is decoded here and area-averaged to the size the binding would have made, saving an
 * Images call (and its billed transformation) per image; anything else, or a PNG the decoder does
 * not read (interlaced), is rendered by the binding.
 */
async function analysisRendition(
  images: ImagesBinding,
  bytes: Uint8Array,
  info: ImageInfo,
  png: boolean,
): Promise<DecodedImage> {
  if (png && info.width * info.height <= DIRECT_DECODE_MAX_PIXELS) {
    const scale = renditionScale(info, 64, 64);
    const rendition = await decodeGate.run(async () => {
      const decoded = await decodePng(bytes).catch(() => null);
      return decoded
        ? boxResize(
            decoded,
            Math.max(1, Math.round(info.width * scale)),
            Math.max(1, Math.round(info.height * scale)),
          )
        : null;
    });
    if (rendition) return rendition;
  }
  return imagesGate.run(() => aspectRendition(images, bytes, info, 64, 64));
}

/**
 * pHash (from a 32×32 rendition), stats (from a 64×64 rendition), the near-duplicate fingerprint
 * (from the ~128 px rendition itself, uniform borders trimmed) and the original size of `bytes`.
 * Its binding calls pass `imagesGate` and its decodes `decodeGate` themselves: a caller holds no
 * slot while the Worker computes hashes.
 */
export async function analyzeImage(images: ImagesBinding, bytes: Uint8Array): Promise<ImageAnalysis> {
  const png = pngInfo(bytes);
  const info = png ?? (await imagesGate.run(() => imageInfo(images, bytes)));
  // One rendition serves every size: the Worker does the rest on decoded pixels.
  const base = await analysisRendition(images, bytes, info, png !== null);
  return {
    phash: phashFromLuma32(luminance(boxResize(base, 32, 32))),
    stats: computeStats(boxResize(base, 64, 64)),
    fingerprint: computeFingerprint(base),
    width: info.width,
    height: info.height,
  };
}
