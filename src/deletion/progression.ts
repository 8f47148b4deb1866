/**
 * Deleting one image (a progression): its original and renditions, its hosted copy and its
 * fingerprint (so near-duplicate checks no longer match it) go; its children are re-linked to its
 * parent, so their lineage stays readable. A rollback shares its source's original (and hosted
 * image): those objects go only with the last progression that uses them. Published pages of the
 * project are rendered again without it.
 */
import { rerenderArtifact } from "../artifacts/service";
import { getArtifact } from "../db/artifacts";
import type { AppEnv } from "../lib/env";
import type { Progression } from "../types/domain";
import { deleteHostedImage, deleteImageObjects } from "./objects";
import { changedRows, progressionRowStatements, projectArtifacts, sharedImageUses } from "./store";

export async function deleteProgression(
  env: AppEnv,
  p: Progression,
  origin: string,
  later: (work: Promise<unknown>) => void,
): Promise<{ rows: number; objects: number }> {
  const uses = await sharedImageUses(env.DB, p.originalImageR2Key, p.generatedImageUrl, p.id);
  const rows = changedRows(await env.DB.batch(progressionRowStatements(env.DB, p)));
  let objects = 0;
  if (uses.original === 0) objects += await deleteImageObjects(env.BUCKET, p.originalImageR2Key);
  if (uses.url === 0 && (await deleteHostedImage(env, p.generatedImageUrl))) objects++;
  // Pages that showed it are rendered again, after the response.
  later(
    (async () => {
      for (const linked of await projectArtifacts(env.DB, p.projectId)) {
        const artifact = await getArtifact(env.DB, linked.id);
        if (artifact?.status === "published")
          await rerenderArtifact(env, artifact, origin).catch(() => undefined);
      }
    })(),
  );
  return { rows, objects };
}
