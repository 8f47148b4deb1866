/** Job submission and status schemas (CONTRACT.md "Jobs"). */
import { z } from "@hono/zod-openapi";
import { ImageOpKinds, JobStatuses, Judgments } from "../lib/vocabulary";
import { SessionIdSchema } from "../lib/ws-events";
import { WebhookEvents } from "../webhooks/events";
import { boundedInt, IdSchema, ProviderIdSchema } from "./common";

export const CreateJobSchema = z
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
      description: "A progression of this project to continue from",
    }),
    kind: ImageOpKinds.default("generate"),
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
  .openapi("CreateJob");
export type JobRequest = z.infer<typeof CreateJobSchema>;
/** A job request with its defaults resolved (from the request, then preferences, then built-ins). */
export type CreateJob = Omit<JobRequest, "providers" | "variants" | "autoRetry"> & {
  providers: NonNullable<JobRequest["providers"]>;
  variants: number;
  autoRetry: number;
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
  })
  .openapi("JobTask");

export const JobSchema = z
  .object({
    jobId: z.string(),
    projectId: z.string(),
    sessionId: z.string(),
    status: JobStatusSchema,
    prompt: z.string(),
    kind: ImageOpKinds,
    tasks: z.array(TaskStatusSchema),
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
