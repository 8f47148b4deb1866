/**
 * The view-log consumer: validates each message, writes the batch's views in one D1 batch
 * (`ON CONFLICT DO NOTHING`: keyed by the message's view id, so a redelivery never writes a second
 * row, and unique per artifact, visitor and UTC day, so a visitor's repeat view that day writes
 * nothing either), acknowledges each message only after its row is written, and retries with
 * backoff on failure (re-sending messages on their last attempt, so a long D1 outage loses nothing).
 */
import { insertViewStatement } from "../db/views";
import type { AppEnv } from "../lib/env";
import { createLogger, describeError } from "../lib/logging";
import { wakeMaintenance } from "../maintenance/actor";
import { IDLE_INTERVAL_MS } from "../maintenance/run";
import { utcDay } from "../views/visitor";
import { ViewMessageSchema } from "./view-message";

/** Whether this isolate has already made sure the retention chore is scheduled. */
let retentionScheduled = false;

const log = createLogger({ module: "queues/view-log" });

/** From this delivery attempt on, a failed message is re-sent rather than retried (see retryOrRequeue). */
export const REQUEUE_FROM_ATTEMPT = 3;

/** Seconds before retry attempt n (1, 2, 4 … capped at 5 minutes). */
export const retryDelaySeconds = (attempts: number): number => Math.min(300, 2 ** Math.max(0, attempts - 1));

/**
 * Benchmark fault injection: with VIEW_LOG_FAIL_RATE (0..1) set, that share of deliveries fails
 * before writing, like a D1 outage would. Random per delivery, so a retried batch can succeed.
 */
function injectedFailure(env: AppEnv): boolean {
  const rate = Number(env.VIEW_LOG_FAIL_RATE ?? 0);
  return rate > 0 && Math.random() < rate;
}

export async function consumeViews(messages: readonly Message<unknown>[], env: AppEnv): Promise<void> {
  const valid: { message: Message<unknown>; statement: D1PreparedStatement }[] = [];
  for (const message of messages) {
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
        visitor: v.visitor ?? null,
        day: utcDay(v.ts),
      }),
    });
  }
  if (valid.length === 0) return;
  try {
    if (injectedFailure(env)) throw new Error("injected D1 failure (VIEW_LOG_FAIL_RATE)");
    const results = await env.DB.batch(valid.map((v) => v.statement));
    for (const { message } of valid) message.ack();
    const written = results.reduce((sum, r) => sum + (r.meta.changes ?? 0), 0);
    log.info("views.written", { count: valid.length, written, repeats: valid.length - written });
    // Views exist, so the retention chore must be scheduled. Once woken, the maintenance actor
    // re-arms its own alarm for ever, so one wake per isolate is enough (not one RPC per batch).
    if (written > 0 && !retentionScheduled) {
      retentionScheduled = true;
      await wakeMaintenance(env, IDLE_INTERVAL_MS).catch((err: unknown) => {
        retentionScheduled = false;
        log.warn("maintenance.wake_failed", describeError(err));
      });
    }
  } catch (err) {
    log.error("views.write_failed", { count: valid.length, ...describeError(err) });
    await retryOrRequeue(
      env,
      valid.map((v) => v.message),
    );
  }
}

/**
 * The queue drops a message after its last attempt (3 locally, max_retries + 1 deployed) and
 * wrangler.toml has no dead-letter queue. So a message on its last attempts is sent again as a new
 * message (same view id: the insert stays idempotent) and acknowledged; earlier ones are retried.
 */
async function retryOrRequeue(env: AppEnv, messages: Message<unknown>[]): Promise<void> {
  const lastChance = messages.filter((m) => m.attempts >= REQUEUE_FROM_ATTEMPT);
  for (const m of messages)
    if (m.attempts < REQUEUE_FROM_ATTEMPT) m.retry({ delaySeconds: retryDelaySeconds(m.attempts) });
  if (lastChance.length === 0) return;
  try {
    await env.PICASSO_QUEUE.sendBatch(
      lastChance.map((m) => ({ body: m.body, delaySeconds: retryDelaySeconds(m.attempts) })),
    );
    for (const m of lastChance) m.ack();
    log.warn("views.requeued", { count: lastChance.length });
  } catch (err) {
    log.error("views.requeue_failed", { count: lastChance.length, ...describeError(err) });
    for (const m of lastChance) m.retry({ delaySeconds: retryDelaySeconds(m.attempts) });
  }
}
