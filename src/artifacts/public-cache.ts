/**
 * Public pages are cached in the Cache API for as long as clients may cache them (5 minutes), so a
 * busy slug costs neither a D1 lookup nor an R2 read. A re-render purges both public addresses.
 */

/** The cache key of a public page: origin, kind and slug, never the query string. */
export const publicCacheKey = (origin: string, kind: "lookbook" | "artifact", slug: string): Request =>
  new Request(`${origin}/public/${kind}/${slug}`);

/** Drops the cached copies of an artifact's public pages (call after it is re-rendered). */
export async function purgePublicPages(origin: string, slug: string): Promise<void> {
  await Promise.all(
    (["lookbook", "artifact"] as const).map((kind) =>
      caches.default.delete(publicCacheKey(origin, kind, slug)),
    ),
  );
}
