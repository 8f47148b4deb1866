/** The webhook vocabulary: event types, the job body's `webhook` field, and its defaults. */
import { z } from "zod";

export const WebhookEvents = z.enum([
  "job.completed",
  "job.failed",
  "job.cancelled",
  "task.completed",
  "task.failed",
]);
export type WebhookEvent = z.infer<typeof WebhookEvents>;

/** What a job subscribes to when it names no events: how the job ended. */
export const DEFAULT_WEBHOOK_EVENTS: WebhookEvent[] = ["job.completed", "job.failed", "job.cancelled"];

/** A job's webhook as stored (events resolved). */
export const StoredWebhookSchema = z.object({ url: z.string(), events: z.array(WebhookEvents) });
export type StoredWebhook = z.infer<typeof StoredWebhookSchema>;

/** The job-level event for a final job status. */
export const jobEventOf = (status: string): WebhookEvent | null =>
  status === "complete"
    ? "job.completed"
    : status === "failed"
      ? "job.failed"
      : status === "cancelled"
        ? "job.cancelled"
        : null;
