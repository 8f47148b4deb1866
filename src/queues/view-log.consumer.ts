/**
 * The view-log consumer: validates each message, writes the batch's views in one D1 batch
 * (`ON CONFLICT(id) DO NOTHING`, keyed by the message's view id, so a redelivery never writes a second
 * row), acknowledges each message only after its row is written, and retries with backoff on failure.
 */
import { insertViewStatement } from "../db/views";
import type { AppEnv } from "../lib/env";
import { createLogger, describeError } from "../lib/logging";
import { ViewMessageSchema } from "./view-message";

const log = createLogger({ module: "queues/view-log" });

/** Seconds before retry attempt n (1, 2, 4 … capped at 5 minutes). */
export const retryDelaySeconds = (attempts: number): number => Math.min(300, 2 ** Math.max(0, attempts - 1));

export async function consumeViews(batch: MessageBatch<unknown>, env: AppEnv): Promise<void> {
  const valid: { message: Message<unknown>; statement: D1PreparedStatement }[] = [];
  for (const message of batch.messages) {
    const parsed = ViewMessageSchema.safeParse(message.body);
    if (!parsed.success) {
      // Malformed bodies can never succeed: acknowledge them so they are not retried forever.
      log.warn("view.malformed", { messageId: message.id, error: parsed.error.message });
      message.ack();
      continue;
    }
    const v = parsed.data;
    valid.push({
      message,
      statement: insertViewStatement(env.DB, {
        id: v.id,
        artifactId: v.artifactId,
        timestamp: v.ts,
        ip: v.ip,
        country: v.country,
        city: v.city,
        userAgent: v.userAgent,
      }),
    });
  }
  if (valid.length === 0) return;
  try {
    await env.DB.batch(valid.map((v) => v.statement));
    for (const { message } of valid) message.ack();
    log.info("views.written", { count: valid.length });
  } catch (err) {
    log.error("views.write_failed", { count: valid.length, ...describeError(err) });
    for (const { message } of valid) message.retry({ delaySeconds: retryDelaySeconds(message.attempts) });
  }
}
