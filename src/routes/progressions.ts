/** Progressions: list a project's lineage steps, read one, roll back to one. */

import { z } from "@hono/zod-openapi";
import { hostedBase } from "../agents/tools/hosted-images";
import { ownedProgression, ownedProject } from "../auth/ownership";
import { insertProgressionStatement, listProgressions, toApiProgression } from "../db/progressions";
import { touchProjectStatement } from "../db/projects";
import { decodeCursor } from "../lib/cursor";
import { newId } from "../lib/ids";
import { commonErrors, createRouter, defineRoute, jsonBody, jsonResponse, writeErrors } from "../lib/openapi";
import { IdParamSchema } from "../schemas/common";
import { ProgressionListSchema, ProgressionQuerySchema, ProgressionSchema } from "../schemas/progressions";

const tags = ["Progressions"];

const listRoute = defineRoute({
  method: "get",
  operationId: "listProgressions",
  scope: "read",
  path: "/projects/{id}/progressions",
  tags,
  summary: "A project's progressions, newest first, filtered",
  request: { params: IdParamSchema, query: ProgressionQuerySchema },
  responses: { 200: jsonResponse(ProgressionListSchema, "A page of progressions"), ...commonErrors },
});

const getRoute = defineRoute({
  method: "get",
  operationId: "getProgression",
  scope: "read",
  path: "/progressions/{id}",
  tags,
  summary: "Read one progression",
  request: { params: IdParamSchema },
  responses: { 200: jsonResponse(ProgressionSchema, "The progression"), ...commonErrors },
});

const rollbackRoute = defineRoute({
  method: "post",
  operationId: "rollbackProgression",
  path: "/progressions/{id}/rollback",
  tags,
  summary: "Make this step's image the new head: a new child step with the same image",
  scope: "write",
  request: { params: IdParamSchema, body: jsonBody(z.object({}).openapi("Empty")) },
  responses: { 201: jsonResponse(ProgressionSchema, "The new head"), ...commonErrors, ...writeErrors },
});

export const progressionsRoutes = createRouter()
  .openapi(listRoute, async (c) => {
    const { id } = c.req.valid("param");
    const query = c.req.valid("query");
    await ownedProject(c, id);
    const page = await listProgressions(c.env.DB, id, query, decodeCursor(query.cursor));
    return c.json({ progressions: page.items.map(toApiProgression), nextCursor: page.nextCursor }, 200);
  })
  .openapi(getRoute, async (c) => {
    return c.json(toApiProgression(await ownedProgression(c, c.req.valid("param").id)), 200);
  })
  .openapi(rollbackRoute, async (c) => {
    const source = await ownedProgression(c, c.req.valid("param").id);
    const id = newId();
    // The same R2 original, under a new delivery URL of its own; the lineage records where it came from.
    // A hosted image is the same picture: the rollback reuses it rather than uploading a copy.
    const base = hostedBase(c.env);
    const hosted = base !== null && source.generatedImageUrl.startsWith(`${base}/`);
    const head = {
      ...source,
      id,
      parentProgressionId: source.id,
      jobId: null,
      taskId: null,
      generatedImageUrl: hosted ? source.generatedImageUrl : `${new URL(c.req.url).origin}/images/${id}`,
      aiNotes: [...source.aiNotes, `rollback to ${source.id}`],
      createdAt: Date.now(),
    };
    await c.env.DB.batch([
      insertProgressionStatement(c.env.DB, head),
      touchProjectStatement(c.env.DB, head.projectId, head.createdAt),
    ]);
    return c.json(toApiProgression(head), 201);
  });
