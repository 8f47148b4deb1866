/**
 * GET /images/:progressionId — the delivery rendition of a progression's image: the R2 original
 * transformed by the Images binding, cached in the Cache API, immutable (a progression's image
 * never changes). Renditions a published page uses were made at publish time and kept in R2, so
 * a cache miss serves them without transforming. Originals are never served as they are.
 */
import { z } from "@hono/zod-openapi";
import {
  negotiateFormat,
  RenditionQuerySchema,
  readStoredRendition,
  renditionCacheKey,
  renditionEtag,
  renditionHeaders,
  renditionVariant,
  transformRendition,
} from "../artifacts/renditions";
import { getProgression } from "../db/progressions";
import { notFound } from "../lib/errors";
import { commonErrors, createRouter, defineRoute } from "../lib/openapi";
import { IdParamSchema } from "../schemas/common";

const renditionRoute = defineRoute({
  method: "get",
  operationId: "getImage",
  scope: "public",
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

export const imagesRoutes = createRouter().openapi(renditionRoute, async (c) => {
  const { id } = c.req.valid("param");
  const { w, h, fit, format } = c.req.valid("query");
  const progression = await getProgression(c.env.DB, id);
  if (!progression) throw notFound("image");

  const resolved = negotiateFormat(format, c.req.header("accept") ?? "", progression.contentType);
  const params = { w, h, fit, format: resolved };
  const variant = renditionVariant(progression.originalImageR2Key, params);
  const headers = renditionHeaders(resolved, await renditionEtag(variant), format === "auto");
  if (c.req.header("if-none-match") === headers.ETag) return c.body(null, 304, headers);

  const cacheKey = renditionCacheKey(new URL(c.req.url).origin, id, variant);
  const cache = caches.default;
  const cached = await cache.match(cacheKey);
  if (cached) return new Response(cached.body, { status: 200, headers });

  const bytes =
    (await readStoredRendition(c.env, variant)) ??
    (await transformRendition(c.env, progression.originalImageR2Key, params));
  if (!bytes) throw notFound("image original");
  c.executionCtx.waitUntil(cache.put(cacheKey, new Response(bytes, { headers })));
  return new Response(bytes, { status: 200, headers });
});
