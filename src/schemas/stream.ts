/**
 * The live stream's wire format for the OpenAPI document: one envelope schema per event type,
 * built from the same zod schemas the actor validates with (src/lib/ws-events.ts).
 */
import { z } from "@hono/zod-openapi";
import { PublishEventSchema } from "../lib/ws-events";

const base = {
  sessionId: z.string().openapi({ description: "The session the event belongs to" }),
  ts: z.number().int().openapi({ description: "When the actor stored it (ms since the epoch)" }),
  seq: z
    .number()
    .int()
    .min(1)
    .openapi({ description: "Increases by one per session, no gaps; reconnect with ?since=<seq>" }),
  id: z.string().optional().openapi({ description: "The publisher's event id (streamed once)" }),
};

const titled = (type: string) => `StreamEvent${type.charAt(0).toUpperCase()}${type.slice(1)}`;

/** One envelope per event type, named StreamEventQueued, StreamEventRunning, …: [name, schema]. */
export const StreamEventSchemas = PublishEventSchema.options.map((option) => {
  const name = titled(option.shape.type.value);
  const schema = z
    .object({ ...base, type: option.shape.type, data: option.shape.data })
    .openapi(name, { description: `The \`${option.shape.type.value}\` event as a WebSocket message` });
  return [name, schema] as const;
});

/** Any message of GET /api/stream/{sessionId} (besides the text `pong`). */
export const StreamEnvelopeSchema = z
  .union(StreamEventSchemas.map(([, schema]) => schema))
  .openapi("StreamEnvelope", {
    description:
      "One JSON envelope per WebSocket message. Per task: queued → running → progress (ending at 1) → judge → complete, or fail; then one job-level complete with summary.",
  });
