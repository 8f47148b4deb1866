/**
 * GET /images/:progressionId — the delivery rendition of a progression's image: the R2 original
 * transformed by the Images binding, cached in the Cache API, immutable (a progression's image
 * never changes). Originals are never served as they are.
 */
import { z } from "@hono/zod-openapi";
import { getProgression } from "../db/progressions";
import { notFound } from "../lib/errors";
import { sha256Hex } from "../lib/hashing";
import { commonErrors, createRouter, defineRoute } from "../lib/openapi";
import { IdParamSchema } from "../schemas/common";

const FITS = ["scale-down", "contain", "cover", "crop", "pad", "squeeze"] as const;
const FORMATS = ["auto", "webp", "avif", "png", "jpeg"] as const;
type OutputFormat = Exclude<(typeof FORMATS)[number], "auto">;

const RenditionQuerySchema = z.object({
  w: z.coerce.number().int().min(1).max(4096).optional(),
  h: z.coerce.number().int().min(1).max(4096).optional(),
  fit: z.enum(FITS).optional(),
  format: z.enum(FORMATS).default("auto"),
});

const renditionRoute = defineRoute({
  method: "get",
  path: "/{id}",
  tags: ["Images"],
  summary: "A delivery rendition of a progression's image",
  request: { params: IdParamSchema, query: RenditionQuerySchema },
  responses: {
    200: {
      description: "The image",
      content: { "image/*": { schema: z.string().openapi({ format: "binary" }) } },
    },
    304: { description: "Not modified (If-None-Match)" },
    ...commonErrors,
  },
});

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

export const imagesRoutes = createRouter().openapi(renditionRoute, async (c) => {
  const { id } = c.req.valid("param");
  const { w, h, fit, format } = c.req.valid("query");
  const progression = await getProgression(c.env.DB, id);
  if (!progression) throw notFound("image");

  const resolved = negotiateFormat(format, c.req.header("accept") ?? "", progression.contentType);
  const variant = `${progression.originalImageR2Key}|w=${w ?? ""}|h=${h ?? ""}|fit=${fit ?? ""}|f=${resolved}`;
  const etag = `"${await sha256Hex(variant, 12)}"`;
  const headers = {
    "Content-Type": `image/${resolved}`,
    "Cache-Control": "public, max-age=31536000, immutable",
    ETag: etag,
    ...(format === "auto" ? { Vary: "Accept" } : {}),
  };
  if (c.req.header("if-none-match") === etag) return c.body(null, 304, headers);

  // The cache key names the resolved format, so Accept-dependent renditions never mix.
  const cacheKey = new Request(`${new URL(c.req.url).origin}/images/${id}?v=${encodeURIComponent(variant)}`);
  const cache = caches.default;
  const cached = await cache.match(cacheKey);
  if (cached) return new Response(cached.body, { status: 200, headers });

  const original = await c.env.BUCKET.get(progression.originalImageR2Key);
  if (!original) throw notFound("image original");
  let transformer = c.env.IMAGES.input(original.body);
  if (w !== undefined || h !== undefined)
    transformer = transformer.transform({ width: w, height: h, fit: fit ?? "scale-down" });
  const result = await transformer.output({ format: `image/${resolved}` });
  const bytes = await new Response(result.image()).arrayBuffer();
  c.executionCtx.waitUntil(cache.put(cacheKey, new Response(bytes, { headers })));
  return new Response(bytes, { status: 200, headers });
});
