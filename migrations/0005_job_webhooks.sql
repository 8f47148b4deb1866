-- Completion webhooks: a job's webhook (url + events) and one row per message to deliver. The row's
-- id is the message's webhook-id, derived from the job and the event, so it is the same on every
-- retry and an event is never queued twice.
ALTER TABLE jobs ADD COLUMN webhook_json TEXT;

CREATE TABLE webhook_deliveries (
  id TEXT PRIMARY KEY,
  job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  type TEXT NOT NULL,
  url TEXT NOT NULL,
  payload TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  last_status_code INTEGER,
  last_error TEXT,
  delivered_at INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX idx_webhook_deliveries_job ON webhook_deliveries(job_id, created_at);
-- A consumer holds a delivery while it sends it, so two copies of a message never post twice.
ALTER TABLE webhook_deliveries ADD COLUMN lease_until INTEGER;
