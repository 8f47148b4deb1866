/**
 * Deletion routes (scope `write`, owner-checked like every route that takes an id):
 * DELETE /api/projects/:id (202, then GET /api/deletions/:id), DELETE /api/artifacts/:id,
 * DELETE /api/progressions/:id, DELETE /api/artifacts/:id/comments/:commentId.
 */
import type { Context } from "hono";
import { ownedArtifact, ownedProgression, ownerOf } from "../auth/ownership";
import { notFound } from "../lib/errors";
import type { HonoEnv } from "../lib/hono";
import { commonErrors, createRouter, defineRoute, jsonResponse } from "../lib/openapi";
import { wakeMaintenance } from "../maintenance/actor";
import { IdParamSchema } from "../schemas/common";
import { deleteArtifact } from "./artifact";
import { deleteProgression } from "./progression";
import { requestProjectDeletion } from "./project";
import { CommentParamSchema, DeletedSchema, DeletionSchema } from "./schemas";
import { type Deletion, deleteCommentRow, getDeletion } from "./store";

const tags = ["Deletion"];
const origin = (c: Context<HonoEnv>) => new URL(c.req.url).origin;

const view = (d: Deletion) => ({
  id: d.id,
  projectId: d.projectId,
  status: d.status,
  passes: d.passes,
  removed: { rows: d.removedRows, objects: d.removedObjects },
  lastError: d.lastError,
  statusUrl: `/api/deletions/${d.id}`,
  createdAt: d.createdAt,
  updatedAt: d.updatedAt,
  finishedAt: d.finishedAt,
});

const deleteProjectRoute = defineRoute({
  method: "delete",
  operationId: "deleteProject",
  path: "/projects/{id}",
  tags,
  summary: "Delete a project and everything under it (accepted; finishes in the background)",
  description:
    "At once: the project and everything reached through it answer 404, its own public pages are unpublished and purged, its running jobs are cancelled. Then its rows and objects (D1, R2, hosted Images, agent memories) are removed in passes that survive a restart; follow statusUrl. Repeating the request answers the same deletion.",
  scope: "write",
  request: { params: IdParamSchema },
  responses: { 202: jsonResponse(DeletionSchema, "Accepted"), ...commonErrors },
});

const getDeletionRoute = defineRoute({
  method: "get",
  operationId: "getDeletion",
  path: "/deletions/{id}",
  tags,
  summary: "A project deletion's progress",
  scope: "read",
  request: { params: IdParamSchema },
  responses: { 200: jsonResponse(DeletionSchema, "The deletion"), ...commonErrors },
});

const deleteArtifactRoute = defineRoute({
  method: "delete",
  operationId: "deleteArtifact",
  path: "/artifacts/{id}",
  tags,
  summary:
    "Delete an artifact: unpublished at once (public URL 404, cache purged), its objects and rows removed",
  scope: "write",
  request: { params: IdParamSchema },
  responses: { 200: jsonResponse(DeletedSchema, "Deleted"), ...commonErrors },
});

const deleteProgressionRoute = defineRoute({
  method: "delete",
  operationId: "deleteProgression",
  path: "/progressions/{id}",
  tags,
  summary:
    "Delete one image: original, renditions, hosted copy, fingerprint; children re-linked to its parent",
  scope: "write",
  request: { params: IdParamSchema },
  responses: { 200: jsonResponse(DeletedSchema, "Deleted"), ...commonErrors },
});

const deleteCommentRoute = defineRoute({
  method: "delete",
  operationId: "deleteArtifactComment",
  path: "/artifacts/{id}/comments/{commentId}",
  tags,
  summary: "Delete a visitor's comment on one of the caller's boards",
  scope: "write",
  request: { params: CommentParamSchema },
  responses: { 200: jsonResponse(DeletedSchema, "Deleted"), ...commonErrors },
});

export const deletionRoutes = createRouter()
  .openapi(deleteProjectRoute, async (c) => {
    const deletion = await requestProjectDeletion(
      c.env,
      ownerOf(c),
      c.req.valid("param").id,
      origin(c),
      c.get("logger"),
    );
    if (!deletion) throw notFound("project");
    if (deletion.status !== "complete") await wakeMaintenance(c.env);
    return c.json(view(deletion), 202);
  })
  .openapi(getDeletionRoute, async (c) => {
    const deletion = await getDeletion(c.env.DB, c.req.valid("param").id, ownerOf(c));
    if (!deletion) throw notFound("deletion");
    // Reading an unfinished deletion makes sure its passes are scheduled (they also survive restarts).
    if (deletion.status !== "complete")
      c.executionCtx.waitUntil(wakeMaintenance(c.env).catch(() => undefined));
    return c.json(view(deletion), 200);
  })
  .openapi(deleteArtifactRoute, async (c) => {
    const artifact = await ownedArtifact(c, c.req.valid("param").id);
    const removed = await deleteArtifact(c.env, artifact, origin(c));
    c.get("logger").info("artifact.deleted", { artifactId: artifact.id, ...removed });
    return c.json({ id: artifact.id, deleted: true as const, removed }, 200);
  })
  .openapi(deleteProgressionRoute, async (c) => {
    const progression = await ownedProgression(c, c.req.valid("param").id);
    const removed = await deleteProgression(c.env, progression, origin(c), (work) =>
      c.executionCtx.waitUntil(work),
    );
    c.get("logger").info("progression.deleted", { progressionId: progression.id, ...removed });
    return c.json({ id: progression.id, deleted: true as const, removed }, 200);
  })
  .openapi(deleteCommentRoute, async (c) => {
    const { id, commentId } = c.req.valid("param");
    const artifact = await ownedArtifact(c, id);
    if (!(await deleteCommentRow(c.env.DB, artifact.id, commentId))) throw notFound("comment");
    return c.json({ id: commentId, deleted: true as const, removed: { rows: 1, objects: 0 } }, 200);
  });
