/** Artifact tools: list_artifact_types (GET /api/artifacts/types), create_artifact (POST /api/artifacts). */
import { z } from "zod";
import { ArtifactSchema, ArtifactTypeSchema, CreateArtifactSchema } from "../../schemas/artifacts";
import { fromOutcome } from "../results";
import { defineTool } from "../tool";

export const listArtifactTypes = defineTool({
  name: "list_artifact_types",
  title: "List artifact types",
  description:
    "The artifact generators of this deployment (lookbook, slideshow, review board, …): { types: [{ id, name, output, description }] }. Use an id as create_artifact's type.",
  input: z.object({}),
  readOnly: true,
  run: async (_args, api) =>
    fromOutcome(
      await api.json({ method: "GET", path: "/api/artifacts/types" }),
      z.object({ types: z.array(ArtifactTypeSchema) }),
      ({ types }) =>
        `${types.length} artifact types: ${types.map((t) => `${t.id} (${t.output})`).join(", ")}.`,
    ),
});

const shape = CreateArtifactSchema.shape;

const CreateInput = CreateArtifactSchema.extend({
  type: shape.type.describe("An id from list_artifact_types (default lookbook)"),
  title: shape.title.describe("The artifact's title, 1..200 characters"),
  projectIds: shape.projectIds.describe("The projects whose images it shows (1..20, no repeats)"),
  templateR2Key: shape.templateR2Key.describe("A template stored with PUT /api/templates/:name (optional)"),
  options: shape.options.describe("includeFailed (also show failed images), maxImages, description"),
});

export const createArtifact = defineTool({
  name: "create_artifact",
  title: "Create an artifact",
  description:
    "Render an artifact (e.g. a lookbook web page) from projects' images and publish it. Returns the Artifact, whose publicUrl anyone can open once its status is published.",
  input: CreateInput,
  run: async (args, api) =>
    fromOutcome(
      await api.json({ method: "POST", path: "/api/artifacts", body: args }),
      ArtifactSchema,
      (artifact) =>
        artifact.status === "published"
          ? `Artifact ${artifact.id} (${artifact.type}) is published at ${artifact.publicUrl}.`
          : `Artifact ${artifact.id} (${artifact.type}) is a draft: its template's ${artifact.missingPlaceholders.join(", ")} are not filled yet (POST /api/artifacts/${artifact.id}/customize); it will be published at ${artifact.publicUrl}.`,
    ),
});
