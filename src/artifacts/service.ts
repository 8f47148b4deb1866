/**
 * Artifact lifecycle: create (render first, then one D1 batch, so nothing half-created remains),
 * associate a project, re-render, and the API shape.
 */
import {
  existingProjectIds,
  getArtifact,
  insertArtifactStatements,
  linkProjectStatement,
  setConfigurationStatement,
  updateRenderStatement,
} from "../db/artifacts";
import type { AppEnv } from "../lib/env";
import { ApiError, notFound } from "../lib/errors";
import { newId, newSlug } from "../lib/ids";
import type { ArtifactOptions } from "../schemas/artifacts";
import type { Artifact } from "../types/domain";
import { purgePublicPages } from "./public-cache";
import {
  generatorOf,
  missingOf,
  optionsEntry,
  ownsTemplateKey,
  PLACEHOLDER_KEY,
  publicUrl,
  renderContent,
} from "./render";

export interface CreateArtifactInput {
  type: string;
  title: string;
  projectIds: string[];
  templateR2Key?: string;
  options?: ArtifactOptions;
  ownerId: string;
}

/** The contract's Artifact (plus `missingPlaceholders`); configuration shows placeholder values only. */
export function toApiArtifact(a: Artifact, origin: string) {
  return {
    id: a.id,
    type: a.type,
    title: a.title,
    output: a.output,
    status: a.status,
    publicSlug: a.publicSlug,
    publicUrl: publicUrl(origin, a),
    projectIds: a.projectIds,
    templateR2Key: a.templateR2Key,
    contentR2Key: a.contentR2Key,
    configuration: Object.fromEntries(
      Object.entries(a.configuration).filter(([k]) => PLACEHOLDER_KEY.test(k)),
    ),
    missingPlaceholders: missingOf(a),
    createdAt: a.createdAt,
    updatedAt: a.updatedAt,
  };
}

/** Every id must be a live project of `ownerId` (another owner's reads as unknown: 404). */
async function requireProjects(env: AppEnv, ownerId: string, ids: string[]): Promise<void> {
  const found = await existingProjectIds(env.DB, ids, ownerId);
  const unknown = ids.filter((id) => !found.has(id));
  if (unknown.length > 0) throw notFound(`project ${unknown.join(", ")}`);
}

export async function createArtifact(
  env: AppEnv,
  input: CreateArtifactInput,
  origin: string,
): Promise<Artifact> {
  const generator = generatorOf(input);
  await requireProjects(env, input.ownerId, input.projectIds);
  if (input.templateR2Key !== undefined && !ownsTemplateKey(input.ownerId, input.templateR2Key))
    throw notFound("template");
  const now = Date.now();
  const draft: Artifact = {
    id: newId(),
    ownerId: input.ownerId,
    type: generator.id,
    title: input.title,
    output: generator.output,
    status: "draft",
    publicSlug: newSlug(),
    templateR2Key: input.templateR2Key ?? null,
    contentR2Key: null,
    contentType: null,
    projectIds: input.projectIds,
    configuration: optionsEntry(input.options),
    createdAt: now,
    updatedAt: now,
  };
  const outcome = await renderContent(env, draft, origin);
  const artifact: Artifact = {
    ...draft,
    status: outcome.status,
    contentR2Key: outcome.contentR2Key,
    contentType: outcome.contentType,
    configuration: { ...draft.configuration, ...outcome.configuration },
  };
  try {
    await env.DB.batch(insertArtifactStatements(env.DB, artifact));
  } catch (err) {
    if (artifact.contentR2Key) await env.BUCKET.delete(artifact.contentR2Key);
    throw err;
  }
  return artifact;
}

/** Re-renders from current data and records the outcome. */
export async function rerenderArtifact(env: AppEnv, artifact: Artifact, origin: string): Promise<Artifact> {
  const outcome = await renderContent(env, artifact, origin);
  const now = Date.now();
  await env.DB.batch([
    updateRenderStatement(env.DB, artifact.id, outcome, now),
    ...Object.entries(outcome.configuration).map(([k, v]) =>
      setConfigurationStatement(env.DB, artifact.id, k, v),
    ),
  ]);
  await purgePublicPages(origin, artifact.publicSlug);
  const updated = await getArtifact(env.DB, artifact.id);
  if (!updated) throw notFound("artifact");
  return updated;
}

/** Adds a project to an artifact; the caller has checked that both are its owner's (src/auth/ownership.ts). */
export async function associateProject(
  env: AppEnv,
  artifact: Artifact,
  project: { id: string },
  origin: string,
): Promise<Artifact> {
  const artifactId = artifact.id;
  const projectId = project.id;
  if (artifact.projectIds.includes(projectId)) return artifact;
  if (artifact.projectIds.length >= 20)
    throw new ApiError("invalid_request", "projectId: an artifact has at most 20 projects");
  await linkProjectStatement(env.DB, artifactId, projectId).run();
  // Its images belong in the page now.
  return rerenderArtifact(env, { ...artifact, projectIds: [...artifact.projectIds, projectId] }, origin);
}
