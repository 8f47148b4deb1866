/** Completion webhook payloads (Standard Webhooks), as the OpenAPI 3.1 `webhooks` describe them. */
import { z } from "@hono/zod-openapi";
import { WebhookEvents } from "../webhooks/events";
import { JobSchema, TaskStatusSchema } from "./jobs";
import { ProgressionSchema } from "./progressions";

const envelope = {
  timestamp: z.string().openapi({ format: "date-time", description: "When the message was made" }),
};

export const JobWebhookSchema = z
  .object({
    type: WebhookEvents.extract(["job.completed", "job.failed", "job.cancelled"]),
    ...envelope,
    data: JobSchema.openapi({ description: "Exactly the GET /api/jobs/{jobId} body" }),
  })
  .openapi("JobWebhook");

export const TaskWebhookSchema = z
  .object({
    type: WebhookEvents.extract(["task.completed", "task.failed"]),
    ...envelope,
    data: TaskStatusSchema.extend({
      jobId: z.string(),
      progression: ProgressionSchema.nullable(),
    }).openapi({ description: "The task as in the job body, with its progression" }),
  })
  .openapi("TaskWebhook");

/** The headers every delivery carries (Standard Webhooks). */
export const WebhookHeadersSchema = z.object({
  "webhook-id": z.string().openapi({ description: "Unique per message, the same on every retry" }),
  "webhook-timestamp": z.string().openapi({ description: "Unix seconds" }),
  "webhook-signature": z.string().openapi({
    description: 'v1,<base64 HMAC-SHA256 of "id.timestamp.body">, one per secret, space-separated',
  }),
});
