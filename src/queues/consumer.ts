/**
 * The PICASSO_QUEUE consumer: routes each message of a batch by its `kind` — view messages to the
 * view log, webhook deliveries to the webhook sender; health probes and malformed bodies are
 * acknowledged (they can never succeed later).
 */
import type { AppEnv } from "../lib/env";
import { createLogger } from "../lib/logging";
import { deliverWebhooks } from "../webhooks/deliver";
import { type WebhookMessage, WebhookMessageSchema } from "./messages";
import { consumeViews } from "./view-log.consumer";
import { HEALTH_PROBE_KIND } from "./view-message";

const log = createLogger({ module: "queues" });

const kindOf = (body: unknown): string | null =>
  typeof body === "object" && body !== null && typeof (body as { kind?: unknown }).kind === "string"
    ? (body as { kind: string }).kind
    : null;

export async function consumeQueue(batch: MessageBatch<unknown>, env: AppEnv): Promise<void> {
  const views: Message<unknown>[] = [];
  const webhooks: Message<WebhookMessage>[] = [];
  for (const message of batch.messages) {
    const kind = kindOf(message.body);
    if (kind === HEALTH_PROBE_KIND) message.ack();
    else if (kind === "webhook-delivery") {
      const parsed = WebhookMessageSchema.safeParse(message.body);
      if (parsed.success) webhooks.push(message as Message<WebhookMessage>);
      else {
        log.warn("queue.malformed", { messageId: message.id, kind });
        message.ack();
      }
    } else views.push(message); // the view log validates (and acknowledges malformed) itself
  }
  await Promise.all([
    views.length > 0 ? consumeViews(views, env) : null,
    webhooks.length > 0 ? deliverWebhooks(env, webhooks) : null,
  ]);
}
