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

/**
 * Benchmark fault injection: with VIEW_LOG_FAIL_RATE (0..1) set, that share of batches fails before
 * writing, like a D1 outage would. Decided per delivery attempt, so a retried batch can succeed.
 */
function injectedFailure(env: AppEnv, batch: MessageBatch<unknown>): boolean {
  const rate = Number(env.VIEW_LOG_FAIL_RATE ?? 0);
  if (!(rate > 0)) return false;
  const first = batch.messages[0];
  const seed = `${first?.id ?? ""}:${first?.attempts ?? 0}`;
  let h = 2166136261;
  for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 16777619);
  return (h >>> 0) / 2 ** 32 < rate;
}

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
    if (injectedFailure(env, batch)) throw new Error("injected D1 failure (VIEW_LOG_FAIL_RATE)");
    await env.DB.batch(valid.map((v) => v.statement));
    for (const { message } of valid) message.ack();
    log.info("views.written", { count: valid.length });
  } catch (err) {
    log.error("views.write_failed", { count: valid.length, ...describeError(err) });
    for (const { message } of valid) message.retry({ delaySeconds: retryDelaySeconds(message.attempts) });
  }
}
