/**
 * Queuing webhook messages when a job or a task ends. The message (its body included) is written
 * to D1 first under an id derived from the job and the event — the `webhook-id`, the same on every
 * retry — then announced on PICASSO_QUEUE; the consumer (deliver.ts) posts it. Never blocks a job:
 * a failure here is logged, not thrown.
 */
import { getJobStatus } from "../db/job-view";
import { getProgression, toApiProgression } from "../db/progressions";
import { insertDelivery, jobWebhook } from "../db/webhooks";
import type { AppEnv } from "../lib/env";
import { derivedId } from "../lib/ids";
import { createLogger, describeError } from "../lib/logging";
import type { WebhookMessage } from "../queues/messages";
import { jobEventOf, type StoredWebhook, type WebhookEvent } from "./events";

const log = createLogger({ module: "webhooks" });

async function enqueue(
  env: AppEnv,
  jobId: string,
  webhook: StoredWebhook,
  type: WebhookEvent,
  data: unknown,
  key: string,
): Promise<void> {
  const id = `msg_${await derivedId("webhook", jobId, key)}`;
  const payload = JSON.stringify({ type, timestamp: new Date().toISOString(), data });
  await insertDelivery(env.DB, { id, jobId, type, url: webhook.url, payload }, Date.now());
  // Announced even when the row already existed (a replayed step): the consumer sends a message
  // at most once after a 2xx, so an extra announcement is harmless and a lost one is not possible.
  await env.PICASSO_QUEUE.send({ kind: "webhook-delivery", deliveryId: id } satisfies WebhookMessage);
}

/** The job-level event (`job.completed|failed|cancelled`) with the `GET /api/jobs/:id` body. */
export async function notifyJobEnded(env: AppEnv, jobId: string): Promise<void> {
  try {
    const webhook = await jobWebhook(env.DB, jobId);
    if (!webhook) return;
    const view = await getJobStatus(env.DB, jobId);
    const type = view ? jobEventOf(view.status) : null;
    if (!view || !type || !webhook.events.includes(type)) return;
    await enqueue(env, jobId, webhook, type, view, type);
  } catch (err) {
    log.error("webhook.enqueue_failed", { jobId, ...describeError(err) });
  }
}

/** `task.completed` / `task.failed` with the task (as in the job body) and its progression. */
export async function notifyTaskEnded(
  env: AppEnv,
  jobId: string,
  task: { provider: string; variantIndex: number; attempt: number },
): Promise<void> {
  try {
    const webhook = await jobWebhook(env.DB, jobId);
    if (!webhook?.events.some((e) => e.startsWith("task."))) return;
    const view = await getJobStatus(env.DB, jobId);
    const entry = view?.tasks.find(
      (t) =>
        t.provider === task.provider &&
        t.variantIndex === task.variantIndex &&
        (t.attempt ?? 0) === task.attempt,
    );
    const type: WebhookEvent | null =
      entry?.status === "complete" ? "task.completed" : entry?.status === "failed" ? "task.failed" : null;
    if (!entry || !type || !webhook.events.includes(type)) return;
    const progression = entry.progressionId ? await getProgression(env.DB, entry.progressionId) : null;
    const data = { jobId, ...entry, progression: progression ? toApiProgression(progression) : null };
    await enqueue(
      env,
      jobId,
      webhook,
      type,
      data,
      `${type}:${task.provider}#${task.variantIndex}.${task.attempt}`,
    );
  } catch (err) {
    log.error("webhook.enqueue_failed", { jobId, ...describeError(err) });
  }
}
