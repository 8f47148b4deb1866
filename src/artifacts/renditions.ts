/**
 * Delivery renditions of progression images, shared by `GET /images/:id` and publishing. A rendition
 * is named by its original's R2 key and its parameters (originals never change, so neither does a
 * rendition). Publishing makes every rendition a page uses and keeps it in R2 (`renditions/…`, so any
 * location serves it without transforming) and in the Cache API, so a page's first visitor gets its
 * images as fast as the second.
 */
import { z } from "@hono/zod-openapi";
import { getProgression } from "../db/progressions";
import type { AppEnv } from "../lib/env";
import { sha256Hex } from "../lib/hashing";
import { createLogger, describeError } from "../lib/logging";
import type { Progression } from "../types/domain";
import { mapBounded, retrying } from "./bounded";

export const FITS = ["scale-down", "contain", "cover", "crop", "pad", "squeeze"] as const;
export const FORMATS = ["auto", "webp", "avif", "png", "jpeg"] as const;
export type OutputFormat = Exclude<(typeof FORMATS)[number], "auto">;

export const RenditionQuerySchema = z.object({
  w: z.coerce.number().int().min(1).max(4096).optional(),
  h: z.coerce.number().int().min(1).max(4096).optional(),
  fit: z.enum(FITS).optional(),
  format: z.enum(FORMATS).default("auto"),
});
export type RenditionQuery = z.infer<typeof RenditionQuerySchema>;

/** A rendition with its format resolved. */
export interface RenditionParams {
  w?: number;
  h?: number;
  fit?: (typeof FITS)[number];
  format: OutputFormat;
}

/** `auto` picks the best format the client accepts; otherwise the original's own format. */
export function negotiateFormat(
  requested: (typeof FORMATS)[number],
  accept: string,
  originalType: string | null,
): OutputFormat {
  if (requested !== "auto") return requested;
  if (/image\/avif/i.test(accept)) return "avif";
  if (/image\/webp/i.test(accept)) return "webp";
  return originalType === "image/jpeg" ? "jpeg" : "png";
}

/** Everything that makes a rendition what it is. */
export const renditionVariant = (originalKey: string, p: RenditionParams): string =>
  `${originalKey}|w=${p.w ?? ""}|h=${p.h ?? ""}|fit=${p.fit ?? ""}|f=${p.format}`;

export const renditionEtag = async (variant: string): Promise<string> => `"${await sha256Hex(variant, 12)}"`;

/** The Cache API key: it names the resolved format, so Accept-dependent renditions never mix. */
export const renditionCacheKey = (origin: string, progressionId: string, variant: string): Request =>
  new Request(`${origin}/images/${progressionId}?v=${encodeURIComponent(variant)}`);

/**
 * Where publishing keeps a rendition in R2: under its original's key, so deleting an image (or a
 * whole project, `renditions/project/{id}/…`) finds its renditions by prefix.
 */
export const storedRenditionKey = async (variant: string): Promise<string> =>
  `${renditionPrefix(variant.slice(0, variant.indexOf("|")))}${await sha256Hex(variant, 16)}`;

/** The R2 prefix of every stored rendition of one original. */
export const renditionPrefix = (originalKey: string): string => `renditions/${originalKey}/`;

export function renditionHeaders(
  format: OutputFormat,
  etag: string,
  negotiated: boolean,
): Record<string, string> {
  return {
    "Content-Type": `image/${format}`,
    "Cache-Control": "public, max-age=31536000, immutable",
    ETag: etag,
    ...(negotiated ? { Vary: "Accept" } : {}),
  };
}

/** Transforms the R2 original through the Images binding; null when the original is gone. */
export async function transformRendition(
  env: AppEnv,
  originalKey: string,
  p: RenditionParams,
): Promise<Uint8Array | null> {
  const original = await env.BUCKET.get(originalKey);
  if (!original) return null;
  let transformer = env.IMAGES.input(original.body);
  if (p.w !== undefined || p.h !== undefined)
    transformer = transformer.transform({ width: p.w, height: p.h, fit: p.fit ?? "scale-down" });
  const result = await transformer.output({ format: `image/${p.format}` });
  return new Uint8Array(await new Response(result.image()).arrayBuffer());
}

/** A rendition publishing stored in R2, or null. */
export async function readStoredRendition(env: AppEnv, variant: string): Promise<Uint8Array | null> {
  const object = await env.BUCKET.get(await storedRenditionKey(variant));
  return object ? new Uint8Array(await object.arrayBuffer()) : null;
}

/** A rendition a page refers to: `${origin}/images/<id>?<query>`. */
export interface PageRendition {
  progressionId: string;
  query: RenditionQuery;
}

/** Every same-origin `/images/…` URL in a rendered page (attribute values are HTML-escaped). */
export function pageRenditions(html: string, origin: string): PageRendition[] {
  const prefix = `${origin}/images/`.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const seen = new Map<string, PageRendition>();
  for (const m of html.matchAll(new RegExp(`${prefix}([A-Za-z0-9_-]{1,64})(\\?[^"'\\s<>,]*)?`, "g"))) {
    const id = m[1] ?? "";
    const search = (m[2] ?? "").replaceAll("&amp;", "&");
    const parsed = RenditionQuerySchema.safeParse(Object.fromEntries(new URLSearchParams(search)));
    if (!parsed.success) continue; // the /images route answers 400 to it: nothing to make
    seen.set(`${id}${search}`, { progressionId: id, query: parsed.data });
  }
  return [...seen.values()];
}

/** The formats a browser may be sent for `auto`: AVIF and WebP cover every current one. */
const AUTO_FORMATS: OutputFormat[] = ["avif", "webp"];
const WARM_CONCURRENCY = 3;

/**
 * Makes sure one rendition is both stored in R2 (what every location can serve) and cached here,
 * transforming only when neither has it. True when it is ready to be served.
 */
async function warmOne(
  env: AppEnv,
  origin: string,
  p: Progression,
  params: RenditionParams,
): Promise<boolean> {
  const variant = renditionVariant(p.originalImageR2Key, params);
  const cacheKey = renditionCacheKey(origin, p.id, variant);
  const key = await storedRenditionKey(variant);
  const [stored, cached] = await Promise.all([env.BUCKET.head(key), caches.default.match(cacheKey)]);
  if (stored && cached) return true;
  let bytes: Uint8Array | null;
  if (cached) bytes = new Uint8Array(await cached.arrayBuffer());
  else if (stored) bytes = await readStoredRendition(env, variant);
  else bytes = await retrying(() => transformRendition(env, p.originalImageR2Key, params));
  if (!bytes) return false;
  if (!stored) await env.BUCKET.put(key, bytes, { httpMetadata: { contentType: `image/${params.format}` } });
  if (!cached) {
    const headers = renditionHeaders(params.format, await renditionEtag(variant), false);
    await caches.default.put(cacheKey, new Response(bytes, { headers }));
  }
  return true;
}

/**
 * Makes every rendition `html` uses before the page goes public. A failure is logged and leaves that
 * image to be made on first request (the page is still correct, only that image is slower).
 */
export async function warmPageRenditions(
  env: AppEnv,
  origin: string,
  html: string,
): Promise<{ ready: number; failed: number }> {
  const wanted = pageRenditions(html, origin);
  const progressions = new Map<string, Promise<Progression | null>>();
  const jobs = wanted.flatMap(({ progressionId, query }) => {
    if (!progressions.has(progressionId))
      progressions.set(progressionId, getProgression(env.DB, progressionId));
    const formats = query.format === "auto" ? AUTO_FORMATS : [query.format];
    return formats.map((format) => ({ progressionId, params: { ...query, format } }));
  });
  const logger = createLogger({ component: "renditions" });
  const outcomes = await mapBounded(jobs, WARM_CONCURRENCY, async ({ progressionId, params }) => {
    try {
      const p = await progressions.get(progressionId);
      return p ? await warmOne(env, origin, p, params) : false;
    } catch (err) {
      logger.warn("rendition.warm_failed", { progressionId, ...params, ...describeError(err) });
      return false;
    }
  });
  const ready = outcomes.filter(Boolean).length;
  const failed = outcomes.length - ready;
  return { ready, failed };
}
