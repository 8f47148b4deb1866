/** Project request and response schemas (CONTRACT.md "Projects"). */
import { z } from "@hono/zod-openapi";

export const ProjectSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    createdAt: z.number().int(),
    updatedAt: z.number().int(),
  })
  .openapi("Project");

const name = z.string().trim().min(1).max(200).openapi({ example: "Autumn campaign" });
const description = z.string().max(2000).openapi({ example: "Warm portraits for the autumn lookbook" });

export const CreateProjectSchema = z
  .object({ name, description: description.optional() })
  .openapi("CreateProject");

export const PatchProjectSchema = z
  .object({ name: name.optional(), description: description.nullable().optional() })
  .refine((v) => v.name !== undefined || v.description !== undefined, {
    message: "at least one of name, description is required",
  })
  .openapi("PatchProject");

export const ProjectListSchema = z
  .object({ projects: z.array(ProjectSchema), nextCursor: z.string().nullable() })
  .openapi("ProjectList");
