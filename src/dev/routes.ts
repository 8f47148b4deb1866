/**
 * Development-only tools, mounted only when ENVIRONMENT=development (`npm run dev`; see src/index.ts):
 * publish events to a session so a frontend or a benchmark can drive a stream without running jobs,
 * the benchmark floor, synthetic views, and evicting a session actor (the reliability suite).
 * Everywhere else these routes do not exist: they answer 404 like any unknown route.
 */
import { z } from "@hono/zod-openapi";
import { localAdapter } from "../adapters/local/local.adapter";
import { analyzeImage, rgbaRendition } from "../agents/tools/images";
import { ownerOf } from "../auth/ownership";
import { envelopeFrame } from "../durable-objects/event-log";
import { sessionActor } from "../lib/actor";
import { imagesGate } from "../lib/concurrency";
import { ApiError } from "../lib/errors";
import { newId } from "../lib/ids";
import { commonErrors, createRouter, defineRoute, jsonBody, jsonResponse, writeErrors } from "../lib/openapi";
import { PublishEventSchema, SessionIdSchema } from "../lib/ws-events";
import type { ViewMessage } from "../queues/view-message";

const PublishBatchSchema = z
  .object({
    events: z.array(PublishEventSchema).min(1).max(1000),
    log: z
      .boolean()
      .default(true)
      .openapi({ description: "false: broadcast without storing or numbering (the bare-hub baseline)" }),
  })
  .openapi("DevPublishBatch");

const publishRoute = defineRoute({
  method: "post",
  operationId: "devPublishEvents",
  path: "/sessions/{sessionId}/events",
  tags: ["Development"],
  summary: "Publish events to a session (ENVIRONMENT=development only)",
  scope: "write",
  request: {
    params: z.object({ sessionId: SessionIdSchema.openapi({ param: { name: "sessionId", in: "path" } }) }),
    body: jsonBody(PublishBatchSchema),
  },
  responses: {
    202: jsonResponse(
      z.object({ published: z.number().int(), lastSeq: z.number().int().nullable() }),
      "Published",
    ),
    ...commonErrors,
    ...writeErrors,
  },
});

const FloorSchema = z
  .object({
    sessionId: SessionIdSchema,
    variants: z.number().int().min(1).max(32).default(8),
    actorPostsPerVariant: z.number().int().min(0).max(50).default(5),
  })
  .openapi("DevFloor");

const floorRoute = defineRoute({
  method: "post",
  operationId: "devBenchmarkFloor",
  path: "/floor",
  tags: ["Development"],
  summary:
    "Benchmark floor: a job's effects done directly — per variant, concurrently: an SVG rasterized by the Images binding, an R2 put, a 32×32 rendition, 2 D1 writes, 5 actor posts",
  scope: "write",
  request: { body: jsonBody(FloorSchema) },
  responses: {
    200: jsonResponse(z.object({ ms: z.number() }), "How long the effects took"),
    ...commonErrors,
    ...writeErrors,
  },
});

const EnqueueViewsSchema = z
  .object({ artifactId: z.string().min(1).max(64), count: z.number().int().min(1).max(20_000) })
  .openapi("DevEnqueueViews");

const enqueueViewsRoute = defineRoute({
  method: "post",
  operationId: "devEnqueueViews",
  path: "/views",
  tags: ["Development"],
  summary: "Enqueue synthetic view messages for an artifact (the view-log benchmark)",
  scope: "write",
  request: { body: jsonBody(EnqueueViewsSchema) },
  responses: {
    202: jsonResponse(z.object({ enqueued: z.number().int() }), "Enqueued"),
    ...commonErrors,
    ...writeErrors,
  },
});

const evictRoute = defineRoute({
  method: "post",
  operationId: "devEvictSession",
  path: "/sessions/{sessionId}/evict",
  tags: ["Development"],
  summary: "Evict a session actor as the platform would: sockets dropped, storage kept",
  scope: "write",
  request: {
    params: z.object({ sessionId: SessionIdSchema.openapi({ param: { name: "sessionId", in: "path" } }) }),
    body: jsonBody(z.object({}).openapi("DevEvict")),
  },
  responses: {
    202: jsonResponse(z.object({ evicted: z.literal(true) }), "Evicted"),
    ...commonErrors,
    ...writeErrors,
  },
});

const imageCostRoute = defineRoute({
  method: "post",
  operationId: "devImageCost",
  path: "/image-cost",
  tags: ["Development"],
  summary:
    "Benchmark: the analysis (perceptual hashes) of one image vs one IMAGES.info() call on it, in this isolate",
  scope: "write",
  request: {
    body: jsonBody(
      z.object({ rounds: z.number().int().min(1).max(200).default(20) }).openapi("DevImageCost"),
    ),
  },
  responses: {
    200: jsonResponse(
      z.object({ analyzeMs: z.number(), renditionMs: z.number(), infoMs: z.number(), rounds: z.number() }),
      "Medians",
    ),
    ...commonErrors,
    ...writeErrors,
  },
});

const medianOf = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

export const devRoutes = createRouter()
  .openapi(imageCostRoute, async (c) => {
    const { rounds } = c.req.valid("json");
    const op = { kind: "generate" as const, prompt: "image cost: a harbour at dusk", variantIndex: 0 };
    const { bytes } = await localAdapter.run(op, c.env);
    const analyze: number[] = [];
    const rendition: number[] = [];
    const info: number[] = [];
    // Interleaved, so both see the same machine load.
    for (let i = 0; i < rounds; i++) {
      let t = performance.now();
      await c.env.IMAGES.info(new Blob([bytes]).stream());
      info.push(performance.now() - t);
      t = performance.now();
      await analyzeImage(c.env.IMAGES, bytes);
      analyze.push(performance.now() - t);
      // The same binding work the analysis does (one ~128 px rendition), without any hashing.
      t = performance.now();
      await rgbaRendition(c.env.IMAGES, bytes, 64, 64);
      rendition.push(performance.now() - t);
    }
    return c.json(
      { analyzeMs: medianOf(analyze), renditionMs: medianOf(rendition), infoMs: medianOf(info), rounds },
      200,
    );
  })
  .openapi(evictRoute, async (c) => {
    // ctx.abort() inside the actor rejects this call by design: the eviction is the expected outcome.
    await sessionActor(c.env, { ownerId: ownerOf(c), sessionId: c.req.valid("param").sessionId })
      .evict()
      .catch(() => undefined);
    return c.json({ evicted: true as const }, 202);
  })
  .openapi(enqueueViewsRoute, async (c) => {
    const { artifactId, count } = c.req.valid("json");
    const now = Date.now();
    for (let from = 0; from < count; from += 100) {
      const messages = Array.from({ length: Math.min(100, count - from) }, (_, i) => ({
        body: {
          kind: "artifact-view",
          id: newId(),
          artifactId,
          ts: now + from + i,
          ip: "127.0.0.1",
          country: ["FR", "DE", "US", "JP"][(from + i) % 4] ?? null,
          city: null,
          userAgent: "bench",
          // A distinct visitor per message: each is one row, as the benchmark counts them.
          visitor: `bench-${from + i}-${newId()}`,
        } satisfies ViewMessage,
      }));
      await c.env.PICASSO_QUEUE.sendBatch(messages);
    }
    return c.json({ enqueued: count }, 202);
  })
  .openapi(floorRoute, async (c) => {
    const { sessionId, variants, actorPostsPerVariant } = c.req.valid("json");
    const actor = sessionActor(c.env, { ownerId: ownerOf(c), sessionId });
    const started = performance.now();
    // Variants run concurrently like a job's tasks; within one, the effects run one after another.
    await Promise.all(
      Array.from({ length: variants }, async (_, lane) => {
        const op = { kind: "generate" as const, prompt: `floor ${sessionId} ${lane}`, variantIndex: lane };
        const image = await localAdapter.run(op, c.env);
        await c.env.BUCKET.put(`bench/floor/${sessionId}/${lane}`, image.bytes);
        await imagesGate.run(() => rgbaRendition(c.env.IMAGES, image.bytes, 32, 32));
        for (let i = 0; i < 2; i++) {
          await c.env.DB.prepare("INSERT OR REPLACE INTO knowledge_base (key, value) VALUES (?, '{}')")
            .bind(`bench.floor.${lane}.${i}`)
            .run();
        }
        for (let i = 0; i < actorPostsPerVariant; i++) {
          await actor.publish(sessionId, {
            type: "progress",
            data: { jobId: "floor", provider: "local", variantIndex: lane, progress: 1 },
          });
        }
      }),
    );
    const ms = performance.now() - started;
    await c.env.DB.prepare("DELETE FROM knowledge_base WHERE key LIKE 'bench.floor.%'").run();
    return c.json({ ms }, 200);
  })
  .openapi(publishRoute, async (c) => {
    const { sessionId } = c.req.valid("param");
    const { events, log } = c.req.valid("json");
    const actor = sessionActor(c.env, { ownerId: ownerOf(c), sessionId });
    if (!log) {
      const now = Date.now();
      const frames = events.map((e, i) =>
        envelopeFrame(sessionId, e.type, now, i + 1, JSON.stringify(e.data)),
      );
      await actor.broadcastUnlogged(frames);
      return c.json({ published: events.length, lastSeq: null }, 202);
    }
    const result = await actor.publishAll(sessionId, events);
    if (!result.ok) throw new ApiError("invalid_request", result.message, { details: result.details });
    return c.json({ published: events.length, lastSeq: result.seq }, 202);
  });
