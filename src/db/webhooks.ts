/** D1 access for webhook_deliveries (and a job's stored webhook). */
import { z } from "zod";
import { parseStoredJson } from "../lib/json";
import { type StoredWebhook, StoredWebhookSchema } from "../webhooks/events";

export type DeliveryStatus = "pending" | "delivered" | "failed";

export interface Delivery {
  id: string;
  jobId: string;
  type: string;
  url: string;
  payload: string;
  status: DeliveryStatus;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  deliveredAt: number | null;
}

interface DeliveryRow {
  id: string;
  job_id: string;
  type: string;
  url: string;
  payload: string;
  status: DeliveryStatus;
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  delivered_at: number | null;
}

const toDelivery = (r: DeliveryRow): Delivery => ({
  id: r.id,
  jobId: r.job_id,
  type: r.type,
  url: r.url,
  payload: r.payload,
  status: r.status,
  attempts: r.attempts,
  lastStatusCode: r.last_status_code,
  lastError: r.last_error,
  deliveredAt: r.delivered_at,
});

/** A job's webhook, or null when it has none. */
export async function jobWebhook(db: D1Database, jobId: string): Promise<StoredWebhook | null> {
  const row = await db
    .prepare("SELECT webhook_json FROM jobs WHERE id = ?")
    .bind(jobId)
    .first<{ webhook_json: string | null }>();
  if (!row?.webhook_json) return null;
  return parseStoredJson(row.webhook_json, StoredWebhookSchema.nullable(), null, "jobs.webhook_json");
}

/** Records a message to deliver; true when it is new (an id already recorded is left as it is). */
export async function insertDelivery(
  db: D1Database,
  d: { id: string; jobId: string; type: string; url: string; payload: string },
  now: number,
): Promise<boolean> {
  const result = await db
    .prepare(
      `INSERT INTO webhook_deliveries (id, job_id, type, url, payload, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING`,
    )
    .bind(d.id, d.jobId, d.type, d.url, d.payload, now, now)
    .run();
  return result.meta.changes > 0;
}

export async function getDelivery(db: D1Database, id: string): Promise<Delivery | null> {
  const row = await db.prepare("SELECT * FROM webhook_deliveries WHERE id = ?").bind(id).first<DeliveryRow>();
  return row ? toDelivery(row) : null;
}

/**
 * Takes a pending delivery for `leaseMs` so that only one consumer sends it at a time; false when it
 * is finished or another consumer holds it.
 */
export async function claimDelivery(
  db: D1Database,
  id: string,
  now: number,
  leaseMs: number,
): Promise<boolean> {
  const result = await db
    .prepare(
      `UPDATE webhook_deliveries SET lease_until = ?
       WHERE id = ? AND status = 'pending' AND (lease_until IS NULL OR lease_until < ?)`,
    )
    .bind(now + leaseMs, id, now)
    .run();
  return result.meta.changes > 0;
}

/** Records one attempt (and releases the lease); a delivered or failed message is never changed again. */
export async function recordAttempt(
  db: D1Database,
  id: string,
  outcome: { status: DeliveryStatus; statusCode: number | null; error: string | null },
  now: number,
): Promise<void> {
  await db
    .prepare(
      `UPDATE webhook_deliveries SET status = ?, attempts = attempts + 1, last_status_code = ?, last_error = ?,
         delivered_at = CASE WHEN ? = 'delivered' THEN ? ELSE delivered_at END, updated_at = ?, lease_until = NULL
       WHERE id = ? AND status = 'pending'`,
    )
    .bind(outcome.status, outcome.statusCode, outcome.error, outcome.status, now, now, id)
    .run();
}

export async function listDeliveries(db: D1Database, jobId: string): Promise<Delivery[]> {
  const { results } = await db
    .prepare("SELECT * FROM webhook_deliveries WHERE job_id = ? ORDER BY created_at, id")
    .bind(jobId)
    .all<DeliveryRow>();
  return results.map(toDelivery);
}

export const DeliveryIdSchema = z.string().min(1).max(64);
