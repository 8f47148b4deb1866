/** Project tools: list_projects (GET /api/projects), create_project (POST /api/projects). */
import { z } from "zod";
import { PageQuerySchema } from "../../schemas/common";
import { CreateProjectSchema, ProjectListSchema, ProjectSchema } from "../../schemas/projects";
import { fromOutcome } from "../results";
import { defineTool } from "../tool";

const page = PageQuerySchema.shape;
const project = CreateProjectSchema.shape;

const ListInput = z.object({
  limit: page.limit.describe("Page size, 1..100 (default 20)"),
  cursor: page.cursor.describe("nextCursor of the previous page"),
});

const CreateInput = z.object({
  name: project.name.describe("The project's name, 1..200 characters"),
  description: project.description.describe("What the project is for, up to 2000 characters"),
});

export const listProjects = defineTool({
  name: "list_projects",
  title: "List projects",
  description:
    "List the image projects, most recently updated first. Returns { projects: [{ id, name, description, createdAt, updatedAt }], nextCursor }; pass nextCursor as cursor for the next page.",
  input: ListInput,
  readOnly: true,
  run: async (args, api) =>
    fromOutcome(
      await api.json({ method: "GET", path: "/api/projects", query: args }),
      ProjectListSchema,
      ({ projects, nextCursor }) => {
        const names = projects.map((p) => `"${p.name}" (${p.id})`).join(", ");
        const more = nextCursor ? `; more with cursor ${nextCursor}` : "";
        return `${projects.length} project${projects.length === 1 ? "" : "s"}${names ? `: ${names}` : ""}${more}.`;
      },
    ),
});

export const createProject = defineTool({
  name: "create_project",
  title: "Create a project",
  description:
    "Create an image project (a name of 1..200 characters, an optional description). Images are generated into a project; returns the new Project with its id.",
  input: CreateInput,
  run: async (args, api) =>
    fromOutcome(
      await api.json({ method: "POST", path: "/api/projects", body: args }),
      ProjectSchema,
      (project) => `Created project "${project.name}" (${project.id}).`,
    ),
});
