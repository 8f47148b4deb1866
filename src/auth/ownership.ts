/**
 * Ownership, enforced in one place: every route that takes an id reaches its row through one of
 * these. Each asks D1 for the row *and* the caller's owner in one query, so another owner's id
 * answers 404 exactly like an id that does not exist (no existence oracle). Lists filter by
 * owner in their own query (db/projects.ts listProjects; everything else is listed under a project
 * reached through ownedProject).
 */
import type { Context } from "hono";
import { getArtifact } from "../db/artifacts";
import { getJob } from "../db/jobs";
import { getProgression } from "../db/progressions";
import { getProject } from "../db/projects";
import { notFound } from "../lib/errors";
import type { HonoEnv } from "../lib/hono";
import type { Artifact, Job, Progression, Project } from "../types/domain";
import { getUpload, type Upload } from "../uploads/store";
import { principalOf } from "./middleware";

type Ctx = Context<HonoEnv>;

/** The caller's owner id. */
export const ownerOf = (c: Ctx): string => principalOf(c).ownerId;

export async function ownedProject(c: Ctx, id: string): Promise<Project> {
  const project = await getProject(c.env.DB, id, ownerOf(c));
  if (!project) throw notFound("project");
  return project;
}

export async function ownedJob(c: Ctx, id: string): Promise<Job> {
  const job = await getJob(c.env.DB, id, ownerOf(c));
  if (!job) throw notFound("job");
  return job;
}

export async function ownedProgression(c: Ctx, id: string): Promise<Progression> {
  const progression = await getProgression(c.env.DB, id, ownerOf(c));
  if (!progression) throw notFound("progression");
  return progression;
}

export async function ownedArtifact(c: Ctx, id: string): Promise<Artifact> {
  const artifact = await getArtifact(c.env.DB, id, ownerOf(c));
  if (!artifact) throw notFound("artifact");
  return artifact;
}

export async function ownedUpload(c: Ctx, id: string): Promise<Upload> {
  const upload = await getUpload(c.env.DB, id, ownerOf(c));
  if (!upload) throw notFound("upload");
  return upload;
}
