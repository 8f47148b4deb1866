/** Artifact, template and view schemas (CONTRACT.md "Artifacts"). */
import { z } from "@hono/zod-openapi";
import { IdSchema } from "./common";

export const ArtifactOutputSchema = z.enum(["html", "pdf", "json", "video", "csv", "image"]);
export type ArtifactOutput = z.infer<typeof ArtifactOutputSchema>;

export const ArtifactSchema = z
  .object({
    id: z.string(),
    type: z.string(),
    title: z.string(),
    output: ArtifactOutputSchema,
    status: z.enum(["draft", "published"]),
    publicSlug: z.string(),
    publicUrl: z.string(),
    projectIds: z.array(z.string()),
    templateR2Key: z.string().nullable(),
    contentR2Key: z.string().nullable(),
    configuration: z.record(z.string(), z.string()),
    missingPlaceholders: z
      .array(z.string())
      .openapi({ description: "Template placeholders still to be filled" }),
    createdAt: z.number().int(),
    updatedAt: z.number().int(),
  })
  .openapi("Artifact");

/** Generator options. Unknown keys are refused so typos do not pass silently. */
export const ArtifactOptionsSchema = z
  .strictObject({
    includeFailed: z.boolean().optional().openapi({ description: "Also show images the judge failed" }),
    maxImages: z.number().int().min(1).max(200).optional(),
    description: z.string().max(2000).optional(),
  })
  .openapi("ArtifactOptions");
export type ArtifactOptions = z.infer<typeof ArtifactOptionsSchema>;

const title = z.string().trim().min(1).max(200);
const templateKey = z
  .string()
  .regex(/^templates\/[A-Za-z0-9_-]{1,64}\.html$/, "must be a key returned by PUT /api/templates/:name");

export const CreateArtifactSchema = z
  .object({
    type: z.string().min(1).max(64).default("lookbook"),
    title,
    projectIds: z
      .array(IdSchema)
      .min(1)
      .max(20)
      .refine((ids) => new Set(ids).size === ids.length, { message: "projectIds must not repeat" }),
    templateR2Key: templateKey.optional(),
    options: ArtifactOptionsSchema.optional(),
  })
  .openapi("CreateArtifact");

export const CreateLookbookSchema = z
  .object({ title: title.optional(), options: ArtifactOptionsSchema.optional() })
  .openapi("CreateLookbook");

export const AssociateSchema = z.object({ projectId: IdSchema }).openapi("AssociateProject");

export const CustomizeSchema = z
  .object({
    sessionId: z
      .string()
      .min(8)
      .max(128)
      .regex(/^[A-Za-z0-9_-]+$/),
    input: z.string().trim().min(1).max(4000),
  })
  .openapi("CustomizeTurn");

export const PlaceholderStateSchema = z.object({
  name: z.string(),
  filled: z.boolean(),
  value: z.string().optional(),
});

export const CustomizeReplySchema = z
  .object({
    reply: z.string(),
    placeholders: z.array(PlaceholderStateSchema),
    done: z.boolean(),
    artifact: ArtifactSchema,
  })
  .openapi("CustomizeReply");

export const ArtifactTypeSchema = z
  .object({ id: z.string(), name: z.string(), output: ArtifactOutputSchema, description: z.string() })
  .openapi("ArtifactType");

export const ViewSchema = z
  .object({
    id: z.string(),
    timestamp: z.number().int(),
    ipAddress: z.string().nullable(),
    country: z.string().nullable(),
    city: z.string().nullable(),
    userAgent: z.string().nullable(),
  })
  .openapi("ArtifactView");

export const ViewStatsSchema = z
  .object({
    total: z.number().int(),
    byCountry: z.record(z.string(), z.number().int()),
    recent: z.array(ViewSchema),
  })
  .openapi("ArtifactViews");

export const TemplateNameParamSchema = z.object({
  name: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, "must be 1..64 characters of [A-Za-z0-9_-]")
    .openapi({ param: { name: "name", in: "path" }, example: "autumn" }),
});

export const TemplateStoredSchema = z
  .object({ templateR2Key: z.string(), placeholders: z.array(z.string()) })
  .openapi("TemplateStored");
