/**
 * Deleting an artifact: unpublished at once (its public URL answers 404, cached copies purged), then
 * its rendered content, the agent's memories of it and its rows (configurations, links, comments,
 * votes, views) are removed.
 */
import type { AppEnv } from "../lib/env";
import type { Artifact } from "../types/domain";
import { deleteArtifactObjects } from "./objects";
import { artifactRowStatements, changedRows } from "./store";

export async function deleteArtifact(
  env: AppEnv,
  artifact: Artifact,
  origin: string,
): Promise<{ rows: number; objects: number }> {
  // Rows first: from this statement on the slug is unknown, so no new copy can be cached.
  const rows = changedRows(await env.DB.batch(artifactRowStatements(env.DB, artifact.id)));
  const objects = await deleteArtifactObjects(env, artifact, origin);
  return { rows, objects };
}
