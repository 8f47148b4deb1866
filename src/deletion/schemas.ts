/** Response schemas of the deletion routes. */
import { z } from "@hono/zod-openapi";

export const DeletionSchema = z
  .object({
    id: z
      .string()
      .openapi({ description: "The deletion's id (the project's id: deleting twice is one deletion)" }),
    projectId: z.string(),
    status: z.enum(["pending", "running", "complete"]).openapi({
      description:
        "pending: accepted; running: passes under way (or waiting for the project's jobs to wind down); complete: nothing left in D1 or R2",
    }),
    passes: z.number().int(),
    removed: z.object({ rows: z.number().int(), objects: z.number().int() }),
    lastError: z.string().nullable(),
    statusUrl: z.string(),
    createdAt: z.number().int(),
    updatedAt: z.number().int(),
    finishedAt: z.number().int().nullable(),
  })
  .openapi("Deletion");

export const DeletedSchema = z
  .object({
    id: z.string(),
    deleted: z.literal(true),
    removed: z.object({ rows: z.number().int(), objects: z.number().int() }),
  })
  .openapi("Deleted");

export const CommentParamSchema = z.object({
  id: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: "id", in: "path" } }),
  commentId: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: "commentId", in: "path" } }),
});
