/** Job submission and status schemas (CONTRACT.md "Jobs"). */
import { z } from "@hono/zod-openapi";
import { AspectRatios, MAX_SEED } from "../adapters/params";
import { ImageOpKinds, JobStatuses, Judgments } from "../lib/vocabulary";
import { SessionIdSchema } from "../lib/ws-events";
import { WebhookEvents } from "../webhooks/events";
import { boundedInt, IdSchema, ProviderIdSchema } from "./common";

/** The job body's fields (the MCP tool builds its arguments from these); CreateJobSchema adds the cross-field rule. */
export const CreateJobFieldsSchema = z
  .object({
    prompt: z.string().trim().min(1).max(4000).openapi({ example: "a lighthouse at dusk, teal and gold" }),
    providers: z
      .array(ProviderIdSchema)
      .min(1)
      .max(4)
      .refine((ps) => new Set(ps).size === ps.length, { message: "providers must not repeat" })
      .optional()
      .openapi({ example: ["local"], description: "Required unless set in /api/preferences" }),
    variants: boundedInt("variants", 1, 8)
      .optional()
      .openapi({ description: "Default: preferences, else 1" }),
    autoRetry: boundedInt("autoRetry", 0, 2)
      .optional()
      .openapi({ description: "Judge-driven retries per task (default: preferences, else 0)" }),
    sessionId: SessionIdSchema.openapi({ example: "my-session-01" }),
    startImageUrl: z
      .url({ protocol: /^https?$/ })
      .max(2048)
      .optional()
      .openapi({
        description:
          "A public https URL of a PNG, JPEG, WebP or GIF (≤ 20 MiB, ≤ 8192 px per side, ≤ 3 redirects), fetched before the 202 and stored as the job's start image: 400 when refused or unreachable, 413 when too large, 415 when not such an image",
      }),
    parentProgressionId: IdSchema.optional().openapi({
      description: "A progression of this project to continue from (its image is the start image)",
    }),
    startImageUploadId: IdSchema.optional().openapi({
      description: "An upload of yours (POST /api/uploads) as the start image",
    }),
    // No zod default: a generated client (openapi-typescript) would make a defaulted field required.
    kind: ImageOpKinds.optional().openapi({
      description: "What to do (generate when omitted); every kind but generate needs a start image",
    }),
    aspectRatio: AspectRatios.optional().openapi({
      description:
        "The result's shape: each provider maps it to its nearest native size (said in the task's warnings); for outpaint without margins, the canvas grows to this ratio",
    }),
    seed: z
      .number(`seed must be a number`)
      .int("seed must be a whole number from 0 to 4294967295")
      .min(0, "seed must be at least 0")
      .max(MAX_SEED, "seed must be at most 4294967295")
      .optional()
      .openapi({
        description:
          "Variant i uses seed + i; one is drawn when omitted, and every task reports the seed used",
      }),
    negativePrompt: z
      .string()
      .trim()
      .min(1)
      .max(1000)
      .optional()
      .openapi({ description: "What to keep out of the image" }),
    strength: z.number().min(0).max(1).optional().openapi({
      description: "edit and variation: how far the result may move from the start image (0..1)",
    }),
    models: z
      .strictObject({
        openai: z.string().min(1).max(100).optional(),
        gemini: z.string().min(1).max(100).optional(),
        workers: z.string().min(1).max(100).optional(),
        local: z.string().min(1).max(100).optional(),
      })
      .optional()
      .openapi({ description: "A model per provider, from the list GET /api/providers publishes" }),
    maskUploadId: IdSchema.optional().openapi({
      description:
        "inpaint: an upload of yours, a PNG the size of the start image (scaled if not): white = repaint, black = keep",
    }),
    outpaint: z
      .strictObject({
        left: boundedInt("outpaint.left", 0, 4096).optional(),
        right: boundedInt("outpaint.right", 0, 4096).optional(),
        top: boundedInt("outpaint.top", 0, 4096).optional(),
        bottom: boundedInt("outpaint.bottom", 0, 4096).optional(),
      })
      .refine(
        (m) => (m.left ?? 0) + (m.right ?? 0) + (m.top ?? 0) + (m.bottom ?? 0) > 0,
        "outpaint: at least one margin must be over 0",
      )
      .optional()
      .openapi({
        description: "outpaint: pixels added on each side (omitted sides: 0); or give aspectRatio instead",
      }),
    upscale: z
      .strictObject({ factor: z.union([z.literal(2), z.literal(4)]) })
      .optional()
      .openapi({ description: "upscale: the result is factor × the start image (2 when omitted)" }),
    webhook: z
      .object({
        url: z.url().max(2048).openapi({ example: "https://example.com/hooks/picasso" }),
        events: z
          .array(WebhookEvents)
          .min(1)
          .max(5)
          .refine((es) => new Set(es).size === es.length, { message: "events must not repeat" })
          .optional()
          .openapi({ description: "Default: job.completed, job.failed, job.cancelled" }),
      })
      .optional()
      .openapi({
        description:
          "Signed completion webhooks (Standard Webhooks, WEBHOOK_SECRET), delivered through the queue with retries; https to public hosts only",
      }),
  })
  // Unknown fields are a 400 that names them, never silently dropped (a client must not believe it set a seed).
  .strict();

export const CreateJobSchema = CreateJobFieldsSchema.refine(
  (b) =>
    [b.startImageUrl, b.startImageUploadId, b.parentProgressionId].filter((v) => v !== undefined).length <= 1,
  {
    message: "give at most one of startImageUrl, startImageUploadId, parentProgressionId",
    path: ["startImageUrl"],
  },
).openapi("CreateJob");
export type JobRequest = z.infer<typeof CreateJobSchema>;
/** A job request with its defaults resolved (from the request, then preferences, then built-ins). */
export type CreateJob = Omit<JobRequest, "providers" | "variants" | "autoRetry" | "kind"> & {
  providers: NonNullable<JobRequest["providers"]>;
  variants: number;
  autoRetry: number;
  kind: NonNullable<JobRequest["kind"]>;
};

export const JobStatusSchema = JobStatuses.openapi("JobStatus");
export type { JobStatus } from "../lib/vocabulary";

export const TaskRefSchema = z.object({ provider: ProviderIdSchema, variantIndex: z.number().int() });

export const JobAcceptedSchema = z
  .object({
    jobId: z.string(),
    projectId: z.string(),
    sessionId: z.string(),
    status: z.literal("queued"),
    streamUrl: z.string(),
    statusUrl: z.string(),
    tasks: z.array(TaskRefSchema),
  })
  .openapi("JobAccepted");
export type JobAccepted = z.infer<typeof JobAcceptedSchema>;

export const TaskStatusSchema = z
  .object({
    provider: ProviderIdSchema,
    variantIndex: z.number().int(),
    attempt: z.number().int().optional().openapi({ description: "1 or 2 for judge-driven retries" }),
    status: JobStatusSchema,
    progressionId: z.string().optional(),
    generatedImageUrl: z.string().optional(),
    judgment: Judgments.optional(),
    error: z.string().optional(),
    skipped: z.literal("duplicate").optional(),
    duplicateOf: z.string().optional(),
    distances: z.record(z.string(), z.number()).optional().openapi({
      description:
        "For a skipped duplicate: phash (bits of 64), gradient (bits of 128), cells (share changed)",
    }),
    model: z.string().optional().openapi({ description: "The model that made it" }),
    seed: z.number().int().nullable().optional().openapi({
      description: "The seed used (job seed + variantIndex); null when the provider takes none",
    }),
    width: z.number().int().optional(),
    height: z.number().int().optional(),
    latencyMs: z.number().int().optional(),
    usage: z
      .record(z.string(), z.unknown())
      .optional()
      .openapi({ description: "The provider's own usage report" }),
    costUsd: z.number().nullable().optional().openapi({
      description: "Estimated from the price table (src/jobs/cost.ts, PRICES_JSON); local costs 0",
    }),
    warnings: z
      .array(z.object({ provider: z.string(), parameter: z.string(), message: z.string() }))
      .optional()
      .openapi({ description: "Parameters this provider honoured only approximately, and how" }),
    similarToStart: z
      .object({ distances: z.record(z.string(), z.number()), nearlyIdentical: z.boolean() })
      .optional()
      .openapi({
        description:
          "For a result with a start image: how close it is (kept, never skipped as its duplicate)",
      }),
  })
  .openapi("JobTask");

export const JobTotalsSchema = z
  .object({
    images: z.number().int(),
    costUsd: z.number().openapi({ description: "Sum of the tasks' estimates" }),
    latencyMs: z.number().int().openapi({ description: "Sum of the provider calls' latencies" }),
  })
  .openapi("JobTotals");

export const JobSchema = z
  .object({
    jobId: z.string(),
    projectId: z.string(),
    sessionId: z.string(),
    status: JobStatusSchema,
    prompt: z.string(),
    kind: ImageOpKinds,
    tasks: z.array(TaskStatusSchema),
    params: z.record(z.string(), z.unknown()).openapi({
      description:
        "The generation parameters as stored: seed (drawn when none was given), aspectRatio, negativePrompt, strength, models, outpaint, upscale",
    }),
    totals: JobTotalsSchema,
    metadata: z.record(z.string(), z.unknown()),
    createdAt: z.number().int(),
    finishedAt: z.number().int().nullable(),
  })
  .openapi("Job");

export const JobIdParamSchema = z.object({
  jobId: IdSchema.openapi({ param: { name: "jobId", in: "path" } }),
});

export const CancelResultSchema = z
  .object({ jobId: z.string(), status: JobStatusSchema })
  .openapi("JobCancelled");

export const WebhookDeliverySchema = z
  .object({
    id: z.string().openapi({ description: "The message's webhook-id (the same on every retry)" }),
    type: WebhookEvents,
    url: z.string(),
    status: z.enum(["pending", "delivered", "failed"]),
    attempts: z.number().int(),
    lastStatusCode: z.number().int().nullable(),
    lastError: z.string().nullable(),
    deliveredAt: z.number().int().nullable(),
  })
  .openapi("WebhookDelivery");

export const WebhookDeliveriesSchema = z
  .object({ deliveries: z.array(WebhookDeliverySchema) })
  .openapi("WebhookDeliveries");
