/**
 * The webhook consumer: posts each queued message, signed per Standard Webhooks, to its URL. A 2xx
 * is delivered (never sent again); 410 stops; anything else — and a timeout (10 s) — is retried with
 * exponential backoff and jitter (5 s × 4^n, capped at 12 h) up to WEBHOOK_MAX_ATTEMPTS (default 8:
 * the last about a day later). Each retry is a new queue message with a delay, so the local queue's
 * 3-attempt limit never drops one; the D1 row is written before the message is acknowledged, and a
 * lease keeps two copies from posting at once.
 */
import { claimDelivery, getDelivery, recordAttempt } from "../db/webhooks";
import type { AppEnv } from "../lib/env";
import { createLogger, describeError } from "../lib/logging";
import { intVar } from "../lib/vars";
import type { WebhookMessage } from "../queues/messages";
import { signedHeaders, webhookSecrets } from "./sign";

const log = createLogger({ module: "webhooks" });

export const WEBHOOK_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_ATTEMPTS = 8;
const LEASE_MS = WEBHOOK_TIMEOUT_MS + 5_000;
const MAX_DELAY_SECONDS = 12 * 3600;

/** Seconds before the retry that follows attempt `n` (1-based): 5 s × 4^(n-1) ± 20 %, at most 12 h. */
export function retryDelaySeconds(attempt: number, random = Math.random()): number {
  const base = Math.min(MAX_DELAY_SECONDS, 5 * 4 ** Math.max(0, attempt - 1));
  return Math.max(1, Math.min(MAX_DELAY_SECONDS, Math.round(base * (0.8 + 0.4 * random))));
}

type Outcome = {
  status: "delivered" | "failed" | "pending";
  statusCode: number | null;
  error: string | null;
};

async function post(env: AppEnv, url: string, id: string, payload: string): Promise<Outcome> {
  const secrets = webhookSecrets(env.WEBHOOK_SECRET);
  if (secrets.length === 0)
    return { status: "failed", statusCode: null, error: "WEBHOOK_SECRET is not configured" };
  // The URL passed the guard when the job was accepted; redirects are not followed (no SSRF by hop).
  try {
    const res = await fetch(url, {
      method: "POST",
      headers: signedHeaders(secrets, id, new Date(), payload),
      body: payload,
      redirect: "manual",
      signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
    });
    await res.body?.cancel();
    if (res.status >= 200 && res.status < 300)
      return { status: "delivered", statusCode: res.status, error: null };
    if (res.status === 410)
      return { status: "failed", statusCode: 410, error: "the receiver answered 410 Gone: stopped" };
    return { status: "pending", statusCode: res.status, error: `the receiver answered ${res.status}` };
  } catch (err) {
    const timedOut = err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
    return {
      status: "pending",
      statusCode: null,
      error: timedOut
        ? `no answer within ${WEBHOOK_TIMEOUT_MS / 1000} s`
        : "the receiver could not be reached",
    };
  }
}

/** Handles webhook messages; each is acknowledged only after its outcome is written. */
export async function deliverWebhooks(env: AppEnv, messages: Message<WebhookMessage>[]): Promise<void> {
  const maxAttempts = Math.max(1, intVar(env.WEBHOOK_MAX_ATTEMPTS, DEFAULT_MAX_ATTEMPTS));
  for (const message of messages) {
    const id = message.body.deliveryId;
    try {
      const delivery = await getDelivery(env.DB, id);
      if (delivery?.status !== "pending" || !(await claimDelivery(env.DB, id, Date.now(), LEASE_MS))) {
        message.ack(); // finished, unknown, or being sent by another copy right now
        continue;
      }
      const outcome = await post(env, delivery.url, id, delivery.payload);
      const attempts = delivery.attempts + 1;
      const final =
        outcome.status === "pending" && attempts >= maxAttempts
          ? { ...outcome, status: "failed" as const }
          : outcome;
      await recordAttempt(env.DB, id, final, Date.now());
      if (final.status === "pending") {
        const delaySeconds = retryDelaySeconds(attempts);
        await env.PICASSO_QUEUE.send({ kind: "webhook-delivery", deliveryId: id } satisfies WebhookMessage, {
          delaySeconds,
        });
      }
      log.info("webhook.attempt", {
        deliveryId: id,
        jobId: delivery.jobId,
        attempts,
        status: final.status,
        statusCode: final.statusCode,
      });
      message.ack();
    } catch (err) {
      // Not acknowledged: the queue delivers it again; the lease expires and the row is still pending.
      log.error("webhook.delivery_failed", { deliveryId: id, ...describeError(err) });
      message.retry({ delaySeconds: 5 });
    }
  }
}
