/**
 * Public artifact pages (no key): the rendered content streamed from R2 with its content type,
 * short caching with ETag/304, a strict CSP for HTML, and one view message per page served.
 */
import { Hono } from "hono";
import { getArtifactBySlug } from "../db/artifacts";
import { ApiError } from "../lib/errors";
import type { HonoEnv } from "../lib/hono";
import { newId } from "../lib/ids";
import type { ViewMessage } from "../queues/view-message";

const SLUG = /^[A-Za-z0-9_-]{10,64}$/;

function cfString(cf: unknown, key: "country" | "city"): string | null {
  if (typeof cf !== "object" || cf === null) return null;
  const value = (cf as Record<string, unknown>)[key];
  return typeof value === "string" ? value : null;
}

export const publicRoutes = new Hono<HonoEnv>().get("/:kind{lookbook|artifact}/:slug", async (c) => {
  const slug = c.req.param("slug");
  const unknown = new ApiError("not_found", "No published artifact at this address");
  if (!SLUG.test(slug)) throw unknown;
  const artifact = await getArtifactBySlug(c.env.DB, slug);
  if (artifact?.status !== "published" || !artifact.contentR2Key) throw unknown;

  const object = await c.env.BUCKET.get(artifact.contentR2Key, { onlyIf: c.req.raw.headers });
  if (!object) throw unknown;
  const headers = new Headers({
    "Content-Type": object.httpMetadata?.contentType ?? artifact.contentType ?? "application/octet-stream",
    "Cache-Control": "public, max-age=300",
    ETag: object.httpEtag,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
  });
  const csp = object.customMetadata?.csp;
  if (csp) headers.set("Content-Security-Policy", csp);
  // R2 evaluated If-None-Match: an object without a body means "not modified".
  if (!("body" in object)) return new Response(null, { status: 304, headers });

  const view: ViewMessage = {
    kind: "artifact-view",
    id: newId(),
    artifactId: artifact.id,
    ts: Date.now(),
    ip: c.req.header("cf-connecting-ip") ?? null,
    country: cfString(c.req.raw.cf, "country"),
    city: cfString(c.req.raw.cf, "city"),
    userAgent: c.req.header("user-agent")?.slice(0, 512) ?? null,
  };
  const logger = c.get("logger");
  c.executionCtx.waitUntil(
    c.env.PICASSO_QUEUE.send(view).catch((err: unknown) => {
      logger.error("view.enqueue_failed", {
        artifactId: artifact.id,
        error: err instanceof Error ? err.message : String(err),
      });
    }),
  );
  return new Response(object.body, { status: 200, headers });
});
