/**
 * The artifact agent's tools: plain typed functions (usable by a model's tool calls and testable
 * without one) over D1 and the renderer.
 */
import { rerenderArtifact } from "../../artifacts/service";
import { setConfigurationStatement } from "../../db/artifacts";
import { getProgression, listProgressions } from "../../db/progressions";
import { getProject } from "../../db/projects";
import type { AppEnv } from "../../lib/env";
import type { Artifact, Progression, Project } from "../../types/domain";

/** get_projects_for_artifact: the projects the artifact draws on. */
export async function getProjectsForArtifact(env: AppEnv, artifact: Artifact): Promise<Project[]> {
  const projects = await Promise.all(artifact.projectIds.map((id) => getProject(env.DB, id)));
  return projects.filter((p): p is Project => p !== null);
}

/** get_images_for_project: a project's newest images, passing ones first. */
export async function getImagesForProject(env: AppEnv, projectId: string, limit = 5): Promise<Progression[]> {
  const passing = await listProgressions(env.DB, projectId, { limit, judgment: "pass" }, null);
  if (passing.items.length >= limit) return passing.items;
  const any = await listProgressions(env.DB, projectId, { limit }, null);
  const seen = new Set(passing.items.map((p) => p.id));
  return [...passing.items, ...any.items.filter((p) => !seen.has(p.id))].slice(0, limit);
}

/** A progression of one of the artifact's projects, or null. */
export async function findArtifactImage(
  env: AppEnv,
  artifact: Artifact,
  progressionId: string,
): Promise<Progression | null> {
  const p = await getProgression(env.DB, progressionId);
  return p && artifact.projectIds.includes(p.projectId) ? p : null;
}

/** save_configuration: stores choices (placeholder values) in artifact_configurations, in one batch. */
export async function saveConfiguration(
  env: AppEnv,
  artifactId: string,
  values: Record<string, string>,
): Promise<void> {
  const entries = Object.entries(values);
  if (entries.length === 0) return;
  await env.DB.batch(entries.map(([k, v]) => setConfigurationStatement(env.DB, artifactId, k, v)));
}

/** render_artifact: re-renders (and publishes once nothing is missing). */
export async function renderArtifactTool(env: AppEnv, artifact: Artifact, origin: string): Promise<Artifact> {
  return rerenderArtifact(env, artifact, origin);
}
