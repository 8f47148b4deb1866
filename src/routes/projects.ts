/** /api/projects: create, list (keyset pages), read, patch. */
import { ownedProject, ownerOf } from "../auth/ownership";
import { insertProject, listProjects, updateProject } from "../db/projects";
import { decodeCursor } from "../lib/cursor";
import { notFound } from "../lib/errors";
import { newId } from "../lib/ids";
import { commonErrors, createRouter, defineRoute, jsonBody, jsonResponse, writeErrors } from "../lib/openapi";
import { IdParamSchema, PageQuerySchema } from "../schemas/common";
import {
  CreateProjectSchema,
  PatchProjectSchema,
  ProjectListSchema,
  ProjectSchema,
} from "../schemas/projects";

const tags = ["Projects"];

const listRoute = defineRoute({
  method: "get",
  operationId: "listProjects",
  scope: "read",
  path: "/",
  tags,
  summary: "List projects, newest updatedAt first",
  request: { query: PageQuerySchema },
  responses: { 200: jsonResponse(ProjectListSchema, "A page of projects"), ...commonErrors },
});

const createProjectRoute = defineRoute({
  method: "post",
  operationId: "createProject",
  path: "/",
  tags,
  summary: "Create a project",
  scope: "write",
  request: { body: jsonBody(CreateProjectSchema) },
  responses: { 201: jsonResponse(ProjectSchema, "The new project"), ...commonErrors, ...writeErrors },
});

const getRoute = defineRoute({
  method: "get",
  operationId: "getProject",
  scope: "read",
  path: "/{id}",
  tags,
  summary: "Read a project",
  request: { params: IdParamSchema },
  responses: { 200: jsonResponse(ProjectSchema, "The project"), ...commonErrors },
});

const patchRoute = defineRoute({
  method: "patch",
  operationId: "updateProject",
  path: "/{id}",
  tags,
  summary: "Update a project's name or description",
  scope: "write",
  request: { params: IdParamSchema, body: jsonBody(PatchProjectSchema) },
  responses: { 200: jsonResponse(ProjectSchema, "The updated project"), ...commonErrors, ...writeErrors },
});

export const projectsRoutes = createRouter()
  .openapi(listRoute, async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const page = await listProjects(c.env.DB, ownerOf(c), limit, decodeCursor(cursor));
    return c.json({ projects: page.items, nextCursor: page.nextCursor }, 200);
  })
  .openapi(createProjectRoute, async (c) => {
    const body = c.req.valid("json");
    const now = Date.now();
    const project = {
      id: newId(),
      name: body.name,
      description: body.description ?? null,
      createdAt: now,
      updatedAt: now,
    };
    await insertProject(c.env.DB, ownerOf(c), project);
    return c.json(project, 201);
  })
  .openapi(getRoute, async (c) => {
    return c.json(await ownedProject(c, c.req.valid("param").id), 200);
  })
  .openapi(patchRoute, async (c) => {
    const id = c.req.valid("param").id;
    const project = await updateProject(c.env.DB, ownerOf(c), id, c.req.valid("json"), Date.now());
    if (!project) throw notFound("project");
    return c.json(project, 200);
  });
