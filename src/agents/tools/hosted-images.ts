/**
 * Hosted Images delivery, where the account has it: with IMAGES_DELIVERY_URL set (e.g.
 * `https://imagedelivery.net/<account-hash>`; the account hash is no binding), a new progression's
 * original is also uploaded to `IMAGES.hosted` under the progression's id, and its delivery URL is
 * `<IMAGES_DELIVERY_URL>/<id>/public`. Without it, delivery is the `/images/:id` rendition route.
 */
import type { AppEnv } from "../../lib/env";
import { errorText } from "../../lib/transient";

/** The hosted delivery base, without a trailing slash, or null when hosted delivery is off. */
export function hostedBase(env: AppEnv): string | null {
  const raw = env.IMAGES_DELIVERY_URL?.trim();
  return raw ? raw.replace(/\/+$/, "") : null;
}

export const hostedUrl = (base: string, id: string): string => `${base}/${id}/public`;

export type HostedDelivery = { mode: "hosted"; url: string } | { mode: "rendition"; error?: string };

/**
 * Uploads `bytes` as hosted image `id` (once: a replay finds it there) and returns its URL; a failure
 * is reported, never thrown, so the caller falls back to the rendition route.
 */
export async function uploadHosted(
  env: AppEnv,
  id: string,
  bytes: Uint8Array,
  metadata: Record<string, string>,
): Promise<HostedDelivery> {
  const base = hostedBase(env);
  if (!base) return { mode: "rendition" };
  try {
    const hosted = env.IMAGES.hosted;
    if (!hosted) return { mode: "rendition", error: "this Images binding has no hosted images" };
    if (!(await hosted.image(id).details())) {
      const copy = new Uint8Array(bytes.byteLength);
      copy.set(bytes);
      await hosted.upload(copy.buffer, { id, metadata });
    }
    return { mode: "hosted", url: hostedUrl(base, id) };
  } catch (err) {
    return { mode: "rendition", error: `hosted upload failed: ${errorText(err).slice(0, 300)}` };
  }
}

/** Removes hosted image `id` if there is one (a progression that was not kept). */
export async function deleteHosted(env: AppEnv, id: string): Promise<void> {
  if (!hostedBase(env) || !env.IMAGES.hosted) return;
  await env.IMAGES.hosted
    .image(id)
    .delete()
    .catch(() => false);
}
