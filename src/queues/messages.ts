/**
 * Everything that travels on PICASSO_QUEUE, as one discriminated union: public page views, webhook
 * deliveries, and the health probe. The queue handler routes each message by its `kind`.
 */
import { z } from "zod";
import { HealthProbeSchema, ViewMessageSchema } from "./view-message";

export const WebhookMessageSchema = z.object({
  kind: z.literal("webhook-delivery"),
  deliveryId: z.string().min(1).max(64),
});
export type WebhookMessage = z.infer<typeof WebhookMessageSchema>;

export const QueueMessageSchema = z.discriminatedUnion("kind", [
  ViewMessageSchema,
  WebhookMessageSchema,
  HealthProbeSchema,
]);
export type QueueMessage = z.infer<typeof QueueMessageSchema>;
