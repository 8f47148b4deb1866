/**
 * Standard Webhooks signing (https://www.standardwebhooks.com/) with the reference library:
 * `webhook-id`, `webhook-timestamp` (unix seconds) and `webhook-signature`, a space-separated list of
 * `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, one per configured secret, so secrets can rotate.
 */
import { Webhook } from "standardwebhooks";

/** The `whsec_…` secrets in WEBHOOK_SECRET (comma- or space-separated); empty when none is set. */
export function webhookSecrets(raw: string | undefined): string[] {
  return (raw ?? "")
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter((s) => s.startsWith("whsec_") && s.length > "whsec_".length);
}

export function signedHeaders(secrets: string[], id: string, at: Date, body: string): Record<string, string> {
  return {
    "content-type": "application/json",
    "user-agent": "picasso-backend-webhooks/1",
    "webhook-id": id,
    "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
    "webhook-signature": secrets.map((secret) => new Webhook(secret).sign(id, at, body)).join(" "),
  };
}
