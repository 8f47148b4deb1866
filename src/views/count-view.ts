/**
 * Counting a public page view, after the response (in waitUntil): the visitor's hash for today,
 * then a marker in the Cache API per (artifact, visitor, day). Only a visitor without a marker sends
 * a queue message; the marker is put once the message is sent and lives until the end of the UTC
 * day, so reloads cost no message and no D1 write. The Cache API is per data center and may evict,
 * so the marker only saves work: the unique (artifact_id, visitor, day) index in D1 is the guarantee.
 */
import type { AppEnv } from "../lib/env";
import { describeError, type Logger } from "../lib/logging";
import type { ViewMessage } from "../queues/view-message";
import { dailySalt, secondsToEndOfDay, utcDay, visitorHash } from "./visitor";

/** A synthetic address, never served: only this worker reads or writes it. */
export const viewMarkerKey = (artifactId: string, visitor: string, day: string): Request =>
  new Request(`https://views.internal/${encodeURIComponent(artifactId)}/${visitor}/${day}`);

/** Sends `view` (stamped with its visitor) unless this visitor was already counted today. */
export async function countView(env: AppEnv, view: ViewMessage, logger: Logger): Promise<void> {
  try {
    const salt = await dailySalt(env.DB, view.ts);
    const visitor = await visitorHash(salt, view.artifactId, view.ip, view.userAgent);
    const marker = viewMarkerKey(view.artifactId, visitor, utcDay(view.ts));
    if (await caches.default.match(marker)) return;
    await env.PICASSO_QUEUE.send({ ...view, visitor } satisfies ViewMessage);
    await caches.default.put(
      marker,
      new Response("1", { headers: { "Cache-Control": `public, max-age=${secondsToEndOfDay(view.ts)}` } }),
    );
  } catch (err) {
    logger.error("view.enqueue_failed", { artifactId: view.artifactId, ...describeError(err) });
  }
}
