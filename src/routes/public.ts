/**
 * Public artifact pages (no key): the rendered content from R2 (through the Cache API) with its
 * content type, short caching with ETag/304, a strict CSP for HTML, and a view counted once per
 * visitor, artifact and UTC day (src/views/count-view.ts), in waitUntil so the response never waits
 * for it. A page served from the Cache API costs about what a static file does: no D1 or R2 read,
 * no request line, and a repeat visitor's view no Cache API lookup either. Visitors comment on
 * review boards and vote on voting decks here too (rate-limited per address, IPv6 per /64; small
 * JSON bodies).
 */

import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { addComment, vote } from "../artifacts/interactions";
import { publicCacheKey } from "../artifacts/public-cache";
import { getPublishedPage } from "../db/artifacts";
import { ApiError } from "../lib/errors";
import type { HonoEnv } from "../lib/hono";
import { newId } from "../lib/ids";
import { commonErrors, createRouter, defineRoute, jsonBody, jsonResponse } from "../lib/openapi";
import { limitBody } from "../middleware/body";
import { skipRequestLog } from "../middleware/request-context";
import type { ViewMessage } from "../queues/view-message";
import {
  CommentSchema,
  CreateCommentSchema,
  CreateVoteSchema,
  SlugParamSchema,
  VoteResultSchema,
} from "../schemas/artifacts";
import { ErrorSchema } from "../schemas/common";
import { countView } from "../views/count-view";

const SLUG = /^[A-Za-z0-9_-]{10,64}$/;
/** Carries the artifact id inside the cached copy; never sent to clients. */
const ARTIFACT_HEADER = "x-picasso-artifact-id";

function cfString(cf: unknown, key: "country" | "city"): string | null {
  if (typeof cf !== "object" || cf === null) return null;
  const value = (cf as Record<string, unknown>)[key];
  return typeof value === "string" ? value : null;
}

/** The page as stored: R2 content with its headers, or null for an unknown or draft slug. */
async function loadPage(c: Context<HonoEnv>, slug: string): Promise<Response | null> {
  const page = await getPublishedPage(c.env.DB, slug);
  if (!page) return null;
  const object = await c.env.BUCKET.get(page.contentR2Key);
  if (!object) return null;
  const headers = new Headers({
    "Content-Type": object.httpMetadata?.contentType ?? page.contentType ?? "application/octet-stream",
    "Cache-Control": "public, max-age=300",
    ETag: object.httpEtag,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    [ARTIFACT_HEADER]: page.id,
  });
  const csp = object.customMetadata?.csp;
  if (csp) headers.set("Content-Security-Policy", csp);
  return new Response(object.body, { headers });
}

function viewMessage(c: Context<HonoEnv>, artifactId: string): ViewMessage {
  return {
    kind: "artifact-view",
    id: newId(),
    artifactId,
    ts: Date.now(),
    ip: c.req.header("cf-connecting-ip") ?? null,
    country: cfString(c.req.raw.cf, "country"),
    city: cfString(c.req.raw.cf, "city"),
    userAgent: c.req.header("user-agent")?.slice(0, 512) ?? null,
  };
}

/** A comment is at most 2,000 characters: a body this large is not one. */
export const MAX_INTERACTION_BYTES = 16 * 1024;
const tags = ["Public"];
const errors = {
  ...commonErrors,
  413: jsonResponse(ErrorSchema, "Body too large"),
  415: jsonResponse(ErrorSchema, "Not JSON"),
  429: jsonResponse(ErrorSchema, "Too many requests from this address (Retry-After)"),
} as const;

const commentRoute = defineRoute({
  method: "post",
  operationId: "createPublicComment",
  scope: "public",
  path: "/artifact/{slug}/comments",
  tags,
  summary: "Comment on a review board (optionally pinned at x, y of one of its images)",
  middleware: limitBody(MAX_INTERACTION_BYTES, "Comment"),
  request: { params: SlugParamSchema, body: jsonBody(CreateCommentSchema) },
  responses: { 201: jsonResponse(CommentSchema, "The stored comment"), ...errors },
});

const voteRoute = defineRoute({
  method: "post",
  operationId: "createPublicVote",
  scope: "public",
  path: "/artifact/{slug}/votes",
  tags,
  summary: "Vote for an image of a voting deck (one vote per visitor IP per deck; IPv6 per /64)",
  middleware: limitBody(MAX_INTERACTION_BYTES, "Vote"),
  request: { params: SlugParamSchema, body: jsonBody(CreateVoteSchema) },
  responses: {
    201: jsonResponse(VoteResultSchema, "The vote was counted"),
    200: jsonResponse(VoteResultSchema, "This visitor had already voted in this deck: nothing changed"),
    ...errors,
  },
});

const clientIp = (c: Context<HonoEnv>): string => c.req.header("cf-connecting-ip") ?? "unknown";
const requestOrigin = (c: Context<HonoEnv>): string => new URL(c.req.url).origin;

export const publicRoutes = createRouter();

publicRoutes.openapi(commentRoute, async (c) => {
  const { slug } = c.req.valid("param");
  const comment = await addComment(c.env, requestOrigin(c), slug, clientIp(c), c.req.valid("json"));
  return c.json(comment, 201);
});

publicRoutes.openapi(voteRoute, async (c) => {
  const { slug } = c.req.valid("param");
  const { progressionId } = c.req.valid("json");
  const outcome = await vote(c.env, requestOrigin(c), slug, clientIp(c), progressionId);
  return c.json(outcome, outcome.counted ? 201 : 200);
});

// Described by hand: one handler serves both prefixes (the kind is part of the path pattern).
for (const kind of ["lookbook", "artifact"] as const) {
  publicRoutes.openAPIRegistry.registerPath({
    method: "get",
    path: `/${kind}/{slug}`,
    tags,
    operationId: kind === "lookbook" ? "getPublicLookbook" : "getPublicArtifact",
    summary: `A published ${kind === "lookbook" ? "lookbook" : "artifact of any type"}, as rendered (no key)`,
    description:
      "The stored content with its own content type, Cache-Control: public, max-age=300, an ETag (If-None-Match → 304) and, for HTML, a Content-Security-Policy. A page served counts one view per visitor (address and user agent) per UTC day.",
    security: [],
    request: { params: SlugParamSchema },
    responses: {
      200: {
        description: "The rendered artifact",
        content: {
          "text/html": { schema: z.string() },
          "application/json": { schema: z.unknown() },
          "text/csv": { schema: z.string() },
          "application/pdf": { schema: z.string().openapi({ format: "binary" }) },
          "image/gif": { schema: z.string().openapi({ format: "binary" }) },
        },
      },
      304: { description: "Not modified (If-None-Match)" },
      404: jsonResponse(ErrorSchema, "Unknown or draft slug"),
    },
  });
}

publicRoutes.get("/:kind{lookbook|artifact}/:slug", async (c) => {
  const slug = c.req.param("slug");
  const kind = c.req.param("kind") === "lookbook" ? "lookbook" : "artifact";
  const unknown = new ApiError("not_found", "No published artifact at this address");
  if (!SLUG.test(slug)) throw unknown;

  const key = publicCacheKey(new URL(c.req.url).origin, kind, slug);
  let page = await caches.default.match(key);
  if (page) {
    // A hit costs what a static file does: no D1 or R2 read, nothing else awaited, no request line.
    skipRequestLog(c);
  } else {
    const loaded = await loadPage(c, slug);
    if (!loaded) throw unknown;
    c.executionCtx.waitUntil(caches.default.put(key, loaded.clone()));
    page = loaded;
  }
  const artifactId = page.headers.get(ARTIFACT_HEADER);
  const headers = new Headers(page.headers);
  headers.delete(ARTIFACT_HEADER);
  const etag = headers.get("etag");
  if (etag && c.req.header("if-none-match") === etag) return new Response(null, { status: 304, headers });

  if (artifactId) countView(c.env, c.executionCtx, viewMessage(c, artifactId), c.get("logger"));
  return new Response(page.body, { status: 200, headers });
});
