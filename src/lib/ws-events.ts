/**
 * The live-stream wire format (CONTRACT.md "Live stream"): one zod schema per event type, the
 * envelope the actor sends, and the publish input agents and routes hand to the actor.
 */
import { z } from "zod";
import { Judgments, ProviderIds } from "./vocabulary";

export const SessionIdSchema = z
  .string()
  .min(8)
  .max(128)
  .regex(/^[A-Za-z0-9_-]+$/, "must be 8..128 characters of [A-Za-z0-9_-]");

const jobId = z.string().min(1).max(64);
const variantIndex = z.number().int().min(0).max(63);
/** Fields every task-level event carries. */
const attempt = z.number().int().min(1).max(2).optional();
const task = { jobId, provider: ProviderIds, variantIndex, attempt };
const words = z.array(z.string().max(500)).max(50);

const JobOrTask = z.union([
  z.strictObject(task),
  z.strictObject({ jobId }), // job-level (e.g. the job accepted or started)
]);

const ProgressData = z.strictObject({ ...task, progress: z.number().gt(0).max(1) });

const JudgeData = z
  .strictObject({
    ...task,
    progressionId: z.string().min(1).optional(),
    judgment: Judgments,
    notes: words.default([]),
    tags: words.default([]),
    retrySuggestion: z.string().min(1).max(2000).optional(),
  })
  .refine((d) => d.judgment === "pass" || d.retrySuggestion !== undefined, {
    message: "a failing judgment carries a retrySuggestion",
    path: ["retrySuggestion"],
  });

const FailData = z.strictObject({
  jobId,
  provider: ProviderIds.optional(),
  variantIndex: variantIndex.optional(),
  attempt,
  error: z.string().min(1).max(2000),
});

const Summary = z.strictObject({
  total: z.number().int().min(0),
  passed: z.number().int().min(0),
  failed: z.number().int().min(0),
  skipped: z.number().int().min(0),
  cancelled: z.number().int().min(0).optional(),
});

const CompleteData = z.union([
  z.strictObject({
    ...task,
    progressionId: z.string().min(1).optional(),
    generatedImageUrl: z.url().optional(),
    judgment: Judgments.optional(),
    skipped: z.literal("duplicate").optional(),
    /** For a skipped duplicate: the progression it matched and the hash distances that decided it. */
    duplicateOf: z.string().min(1).optional(),
    distances: z.record(z.string().max(40), z.number().min(0)).optional(),
    // What the provider call was (src/jobs/report.ts): reproduce it with the seed, compare by cost.
    model: z.string().min(1).max(200).optional(),
    seed: z.number().int().min(0).max(4_294_967_295).nullable().optional(),
    width: z.number().int().positive().optional(),
    height: z.number().int().positive().optional(),
    latencyMs: z.number().int().min(0).optional(),
    usage: z.record(z.string().max(100), z.unknown()).optional(),
    costUsd: z.number().min(0).nullable().optional(),
    warnings: z
      .array(
        z.strictObject({
          provider: z.string().max(40),
          parameter: z.string().max(40),
          message: z.string().max(500),
        }),
      )
      .max(20)
      .optional(),
    /** A kept result next to its start image: the distances, and whether it is nearly identical. */
    similarToStart: z
      .strictObject({
        distances: z.record(z.string().max(40), z.number().min(0)),
        nearlyIdentical: z.boolean(),
      })
      .optional(),
  }),
  z.strictObject({ jobId, summary: Summary }),
]);

/**
 * An event's id: the actor streams an id once, so a publisher that repeats itself (a retried step,
 * recovery after a crash) never makes a subscriber see the same thing twice.
 */
export const EventIdSchema = z.string().min(1).max(300);
const id = EventIdSchema.optional();

/** What a publisher sends: its id, the type and its data. The actor adds sessionId, seq and ts. */
export const PublishEventSchema = z.discriminatedUnion("type", [
  z.strictObject({ id, type: z.literal("queued"), data: JobOrTask }),
  z.strictObject({ id, type: z.literal("running"), data: JobOrTask }),
  z.strictObject({ id, type: z.literal("progress"), data: ProgressData }),
  z.strictObject({ id, type: z.literal("judge"), data: JudgeData }),
  z.strictObject({ id, type: z.literal("fail"), data: FailData }),
  z.strictObject({ id, type: z.literal("complete"), data: CompleteData }),
]);
export type PublishEvent = z.input<typeof PublishEventSchema>;
export type ParsedEvent = z.output<typeof PublishEventSchema>;
export type EventType = ParsedEvent["type"];

/** The message a stream client receives. */
export interface WsEnvelope {
  sessionId: string;
  type: EventType;
  ts: number;
  seq: number;
  /** The publisher's event id, when it gave one. */
  id?: string;
  data: ParsedEvent["data"];
}

/** Parses a sequence number from `?since=` (absent → null; anything but a non-negative integer → error). */
export const SinceSchema = z.coerce.number().int().min(0).optional();
