/** Removing what lives outside D1: R2 objects by prefix, hosted Images, cached public pages, agent memories. */
import { deleteHosted, hostedBase } from "../agents/tools/hosted-images";
import { purgePublicPages } from "../artifacts/public-cache";
import { renditionPrefix } from "../artifacts/renditions";
import type { AppEnv } from "../lib/env";

/** Deletes every R2 object under `prefix` (pages of 1,000, R2's delete limit); returns how many. */
export async function deletePrefix(bucket: R2Bucket, prefix: string): Promise<number> {
  let removed = 0;
  for (;;) {
    const page = await bucket.list({ prefix, limit: 1000 });
    if (page.objects.length === 0) return removed;
    await bucket.delete(page.objects.map((o) => o.key));
    removed += page.objects.length;
    if (!page.truncated) return removed;
  }
}

/** An original and every rendition made from it; returns how many objects went. */
export async function deleteImageObjects(bucket: R2Bucket, originalKey: string): Promise<number> {
  const existed = (await bucket.head(originalKey)) !== null;
  await bucket.delete(originalKey);
  return (existed ? 1 : 0) + (await deletePrefix(bucket, renditionPrefix(originalKey)));
}

/** The hosted image id behind a delivery URL of this deployment (`<base>/<id>/public`), or null. */
export function hostedIdOf(env: AppEnv, url: string): string | null {
  const base = hostedBase(env);
  if (!base || !url.startsWith(`${base}/`)) return null;
  return url.slice(base.length + 1).split("/")[0] || null;
}

/** Deletes a hosted image (when hosted delivery is on); true when one was asked to go. */
export async function deleteHostedImage(env: AppEnv, url: string): Promise<boolean> {
  const id = hostedIdOf(env, url);
  if (!id || !env.IMAGES.hosted) return false;
  await deleteHosted(env, id);
  return true;
}

/**
 * An artifact's objects: its rendered content (`artifacts/{id}/…`), its cached public pages, and the
 * artifact agent's conversations about it (AGENTIC_MEMORIES `artifact:{id}:…`). Returns the count.
 */
export async function deleteArtifactObjects(
  env: AppEnv,
  artifact: { id: string; publicSlug: string },
  origin: string,
): Promise<number> {
  await purgePublicPages(origin, artifact.publicSlug);
  let removed = await deletePrefix(env.BUCKET, `artifacts/${artifact.id}/`);
  for (;;) {
    const page = await env.AGENTIC_MEMORIES.list({ prefix: `artifact:${artifact.id}:` });
    await Promise.all(page.keys.map((k) => env.AGENTIC_MEMORIES.delete(k.name)));
    removed += page.keys.length;
    if (page.list_complete) return removed;
  }
}
