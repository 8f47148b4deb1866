/** Artifacts: types, create, read, associate, customize (the artifact agent), render, views, votes. */
import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { customizeTurn } from "../agents/artifact.agent";
import { votesOf } from "../artifacts/interactions";
import { listGenerators } from "../artifacts/registry";
import { associateProject, createArtifact, rerenderArtifact, toApiArtifact } from "../artifacts/service";
import { ownedArtifact, ownedProject, ownerOf } from "../auth/ownership";
import { viewStats } from "../db/views";
import type { HonoEnv } from "../lib/hono";
import { commonErrors, createRouter, defineRoute, jsonBody, jsonResponse, writeErrors } from "../lib/openapi";
import {
  ArtifactSchema,
  ArtifactTypeSchema,
  AssociateSchema,
  CreateArtifactSchema,
  CreateLookbookSchema,
  CustomizeReplySchema,
  CustomizeSchema,
  ViewStatsSchema,
  VoteTallySchema,
} from "../schemas/artifacts";
import { IdParamSchema } from "../schemas/common";

const tags = ["Artifacts"];
const write = { scope: "write" } as const;
const origin = (c: Context<HonoEnv>) => new URL(c.req.url).origin;

const typesRoute = defineRoute({
  method: "get",
  operationId: "listArtifactTypes",
  scope: "read",
  path: "/artifacts/types",
  tags,
  summary: "The artifact generators of this deployment",
  responses: {
    200: jsonResponse(z.object({ types: z.array(ArtifactTypeSchema) }), "The generators"),
    ...commonErrors,
  },
});

const createRoute = defineRoute({
  method: "post",
  operationId: "createArtifact",
  path: "/artifacts",
  tags,
  summary: "Create (and, when complete, publish) an artifact",
  ...write,
  request: { body: jsonBody(CreateArtifactSchema) },
  responses: { 201: jsonResponse(ArtifactSchema, "The artifact"), ...commonErrors, ...writeErrors },
});

const lookbookRoute = defineRoute({
  method: "post",
  operationId: "publishLookbook",
  path: "/projects/{id}/artifacts/lookbook",
  tags,
  summary: "Create a lookbook of one project",
  ...write,
  request: { params: IdParamSchema, body: jsonBody(CreateLookbookSchema) },
  responses: {
    201: jsonResponse(ArtifactSchema.extend({ public_slug: z.string() }), "The lookbook"),
    ...commonErrors,
    ...writeErrors,
  },
});

const getRoute = defineRoute({
  method: "get",
  operationId: "getArtifact",
  scope: "read",
  path: "/artifacts/{id}",
  tags,
  summary: "Read an artifact",
  request: { params: IdParamSchema },
  responses: { 200: jsonResponse(ArtifactSchema, "The artifact"), ...commonErrors },
});

const associateRoute = defineRoute({
  method: "post",
  operationId: "associateArtifact",
  path: "/artifacts/{id}/associate",
  tags,
  summary: "Add a project to an artifact (re-rendered with its images)",
  ...write,
  request: { params: IdParamSchema, body: jsonBody(AssociateSchema) },
  responses: { 200: jsonResponse(ArtifactSchema, "The artifact"), ...commonErrors, ...writeErrors },
});

const customizeRoute = defineRoute({
  method: "post",
  operationId: "customizeArtifact",
  path: "/artifacts/{id}/customize",
  tags,
  summary: "One turn with the artifact agent: fill the template's placeholders",
  ...write,
  request: { params: IdParamSchema, body: jsonBody(CustomizeSchema) },
  responses: {
    200: jsonResponse(CustomizeReplySchema, "The agent's reply"),
    ...commonErrors,
    ...writeErrors,
  },
});

const renderRoute = defineRoute({
  method: "post",
  operationId: "renderArtifact",
  path: "/artifacts/{id}/render",
  tags,
  summary: "Re-render from current data",
  ...write,
  request: { params: IdParamSchema, body: jsonBody(z.object({}).openapi("Empty")) },
  responses: { 200: jsonResponse(ArtifactSchema, "The artifact"), ...commonErrors, ...writeErrors },
});

const viewsRoute = defineRoute({
  method: "get",
  operationId: "getArtifactViews",
  scope: "read",
  path: "/artifacts/{id}/views",
  tags,
  summary: "Public view counts",
  request: { params: IdParamSchema },
  responses: { 200: jsonResponse(ViewStatsSchema, "Totals, by country, most recent"), ...commonErrors },
});

const votesRoute = defineRoute({
  method: "get",
  operationId: "getArtifactVotes",
  scope: "read",
  path: "/artifacts/{id}/votes",
  tags,
  summary: "A voting deck's votes: the total and the count per image",
  request: { params: IdParamSchema },
  responses: { 200: jsonResponse(VoteTallySchema, "Total and votes by progression id"), ...commonErrors },
});

export const artifactsRoutes = createRouter()
  .openapi(typesRoute, (c) =>
    c.json(
      {
        types: listGenerators().map(({ id, name, output, description }) => ({
          id,
          name,
          output,
          description,
        })),
      },
      200,
    ),
  )
  .openapi(createRoute, async (c) => {
    const body = c.req.valid("json");
    const artifact = await createArtifact(
      c.env,
      { ...body, type: body.type ?? "lookbook", ownerId: ownerOf(c) },
      origin(c),
    );
    return c.json(toApiArtifact(artifact, origin(c)), 201);
  })
  .openapi(lookbookRoute, async (c) => {
    const { id } = c.req.valid("param");
    const { title, options } = c.req.valid("json");
    await ownedProject(c, id);
    const artifact = await createArtifact(
      c.env,
      { type: "lookbook", title: title ?? "Lookbook", projectIds: [id], options, ownerId: ownerOf(c) },
      origin(c),
    );
    return c.json({ ...toApiArtifact(artifact, origin(c)), public_slug: artifact.publicSlug }, 201);
  })
  .openapi(getRoute, async (c) =>
    c.json(toApiArtifact(await ownedArtifact(c, c.req.valid("param").id), origin(c)), 200),
  )
  .openapi(associateRoute, async (c) => {
    const artifact = await associateProject(
      c.env,
      await ownedArtifact(c, c.req.valid("param").id),
      await ownedProject(c, c.req.valid("json").projectId),
      origin(c),
    );
    return c.json(toApiArtifact(artifact, origin(c)), 200);
  })
  .openapi(customizeRoute, async (c) => {
    const { sessionId, input } = c.req.valid("json");
    const turn = await customizeTurn(
      c.env,
      await ownedArtifact(c, c.req.valid("param").id),
      sessionId,
      input,
      origin(c),
    );
    return c.json({ ...turn, artifact: toApiArtifact(turn.artifact, origin(c)) }, 200);
  })
  .openapi(renderRoute, async (c) => {
    const artifact = await rerenderArtifact(
      c.env,
      await ownedArtifact(c, c.req.valid("param").id),
      origin(c),
    );
    return c.json(toApiArtifact(artifact, origin(c)), 200);
  })
  .openapi(viewsRoute, async (c) => {
    const artifact = await ownedArtifact(c, c.req.valid("param").id);
    return c.json(await viewStats(c.env.DB, artifact.id), 200);
  })
  .openapi(votesRoute, async (c) => {
    const artifact = await ownedArtifact(c, c.req.valid("param").id);
    return c.json(await votesOf(c.env, artifact), 200);
  });
