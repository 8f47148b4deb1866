/**
 * Images on public pages: `<img>` tags whose `srcset` offers renditions no wider than the original
 * (a 512-px original gets 320w and 512w, never 960w), in one explicit format so publishing can make
 * exactly the renditions a page will ask for, plus the share image for Open Graph tags.
 */
import { z } from "zod";
import type { AppEnv } from "../lib/env";
import { escapeHtml } from "../lib/html";
import { createLogger, describeError } from "../lib/logging";
import type { Progression } from "../types/domain";

/** Candidate widths for responsive images; each is offered only below the original's width. */
export const PAGE_WIDTHS = [320, 640, 960, 1280] as const;
/** Every current browser decodes WebP, and it encodes fast enough to make at publish time. */
export const PAGE_FORMAT = "webp";
/** Link previews (Open Graph, Twitter) get JPEG: every crawler reads it. */
const SHARE_FORMAT = "jpeg";
const SHARE_WIDTH = 1200;
/** The /images route accepts widths up to this. */
const MAX_WIDTH = 4096;

export interface ImageSize {
  width: number;
  height: number;
}

const SizeSchema = z.object({
  width: z.number().int().positive(),
  height: z.number().int().positive(),
});

/** A rendition URL of a progression's image at `width`. */
export const renditionUrl = (
  origin: string,
  id: string,
  width: number,
  format: string = PAGE_FORMAT,
): string => `${origin}/images/${id}?w=${width}&format=${format}`;

/**
 * The original size of each image: what the provider reported (`providerMeta.width/height`) or,
 * failing that, what the Images binding reads from the R2 original. An unreadable original is left
 * out (its page image falls back to the smallest width).
 */
export async function imageSizes(env: AppEnv, progressions: Progression[]): Promise<Map<string, ImageSize>> {
  const sizes = new Map<string, ImageSize>();
  const byKey = new Map<string, Promise<ImageSize | null>>();
  const logger = createLogger({ component: "page-images" });
  const measure = async (key: string): Promise<ImageSize | null> => {
    try {
      const object = await env.BUCKET.get(key);
      if (!object) return null;
      const info = await env.IMAGES.info(object.body);
      return "width" in info ? { width: info.width, height: info.height } : null;
    } catch (err) {
      logger.warn("image.size_unknown", { key, ...describeError(err) });
      return null;
    }
  };
  await Promise.all(
    progressions.map(async (p) => {
      const reported = SizeSchema.safeParse(p.providerMeta);
      if (reported.success) {
        sizes.set(p.id, reported.data);
        return;
      }
      // Rollbacks share their original: measure each R2 object once.
      let pending = byKey.get(p.originalImageR2Key);
      if (!pending) {
        pending = measure(p.originalImageR2Key);
        byKey.set(p.originalImageR2Key, pending);
      }
      const size = await pending;
      if (size) sizes.set(p.id, size);
    }),
  );
  return sizes;
}

/** The widths offered for an original `width` px wide: the candidates below it, then the original. */
export function offeredWidths(width: number | undefined): number[] {
  if (width === undefined) return [PAGE_WIDTHS[0]];
  const top = Math.min(width, MAX_WIDTH);
  return [...PAGE_WIDTHS.filter((w) => w < top), top];
}

export interface ImgOptions {
  alt: string;
  /** The `sizes` attribute: how wide the image is laid out. */
  sizes: string;
  /** The width to use as `src` for browsers without srcset (capped at the original). */
  fallbackWidth?: number;
  eager?: boolean;
  className?: string;
  /** `data-*` attributes (names of [a-z-]; values escaped), for the page's own script. */
  data?: Record<string, string>;
}

/** An `<img>` of a progression's image with srcset, intrinsic size and escaped alt text. */
export function imgTag(origin: string, p: Progression, size: ImageSize | undefined, o: ImgOptions): string {
  const widths = offeredWidths(size?.width);
  const fallback = widths.filter((w) => w <= (o.fallbackWidth ?? 640)).at(-1) ?? widths[0] ?? PAGE_WIDTHS[0];
  const srcset = widths.map((w) => `${escapeHtml(renditionUrl(origin, p.id, w))} ${w}w`).join(", ");
  const dims = size ? ` width="${size.width}" height="${size.height}"` : "";
  const cls = o.className ? ` class="${escapeHtml(o.className)}"` : "";
  const loading = o.eager ? ` loading="eager" fetchpriority="high"` : ` loading="lazy"`;
  const data = Object.entries(o.data ?? {})
    .filter(([name]) => /^[a-z][a-z-]*$/.test(name))
    .map(([name, value]) => ` data-${name}="${escapeHtml(value)}"`)
    .join("");
  return `<img${cls}${data} src="${escapeHtml(renditionUrl(origin, p.id, fallback))}" srcset="${srcset}" sizes="${escapeHtml(o.sizes)}" alt="${escapeHtml(o.alt)}"${dims}${loading} decoding="async">`;
}

/** The link-preview image URL: up to 1200 px wide, never wider than the original. */
export function shareImageUrl(origin: string, p: Progression, size: ImageSize | undefined): string {
  return renditionUrl(origin, p.id, Math.min(SHARE_WIDTH, size?.width ?? PAGE_WIDTHS[0]), SHARE_FORMAT);
}
