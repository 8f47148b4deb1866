/** Artifact, template and view schemas (CONTRACT.md "Artifacts"). */
import { z } from "@hono/zod-openapi";
import { boundedInt, IdSchema } from "./common";

export const ArtifactOutputSchema = z.enum(["html", "pdf", "json", "video", "csv", "image", "text"]);
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
    maxImages: boundedInt("maxImages", 1, 200).optional(),
    description: z.string().max(2000).optional(),
  })
  .openapi("ArtifactOptions");
export type ArtifactOptions = z.infer<typeof ArtifactOptionsSchema>;

const title = z.string().trim().min(1).max(200);
const templateKey = z
  .string()
  .regex(
    /^templates\/(owners\/[A-Za-z0-9_-]{1,64}\/)?[A-Za-z0-9_-]{1,64}\.html$/,
    "must be a key returned by PUT /api/templates/:name",
  );

export const CreateArtifactSchema = z
  .object({
    // No zod default: a generated client (openapi-typescript) would make a defaulted field required.
    type: z
      .string()
      .min(1)
      .max(64)
      .optional()
      .openapi({ description: "A registry id (GET /api/artifacts/types); lookbook when omitted" }),
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

/** A coordinate on an image, as a fraction of its width or height. */
const unit = z.number().min(0).max(1);

export const CreateCommentSchema = z
  .strictObject({
    text: z.string().trim().min(1).max(2000),
    author: z.string().trim().max(80).optional(),
    x: unit.optional().openapi({ description: "Pin position from the left edge, 0..1 of the image width" }),
    y: unit.optional().openapi({ description: "Pin position from the top edge, 0..1 of the image height" }),
    progressionId: IdSchema.optional().openapi({ description: "The image of the board the comment is on" }),
  })
  .refine((c) => (c.x === undefined) === (c.y === undefined), {
    message: "x and y go together",
    path: ["x"],
  })
  .refine((c) => c.x === undefined || c.progressionId !== undefined, {
    message: "a pinned comment (x, y) needs the progressionId of its image",
    path: ["progressionId"],
  })
  .openapi("CreateComment");

export const CommentSchema = z
  .object({
    id: z.string(),
    artifactId: z.string(),
    progressionId: z.string().nullable(),
    author: z.string().nullable(),
    text: z.string(),
    x: z.number().nullable(),
    y: z.number().nullable(),
    createdAt: z.number().int(),
  })
  .openapi("ArtifactComment");

export const CreateVoteSchema = z.strictObject({ progressionId: IdSchema }).openapi("CreateVote");

export const VoteTallySchema = z
  .object({
    total: z.number().int(),
    byProgression: z.record(z.string(), z.number().int()),
  })
  .openapi("VoteTally");

export const VoteResultSchema = z
  .object({
    progressionId: z.string().openapi({ description: "The image this visitor's vote counts for" }),
    counted: z.boolean().openapi({ description: "false when this visitor had already voted in the deck" }),
    votes: VoteTallySchema,
  })
  .openapi("VoteResult");

/** A public slug; anything that is not one is simply not found (404), as on the public pages. */
export const SlugParamSchema = z.object({
  slug: z
    .string()
    .min(1)
    .max(128)
    .openapi({ param: { name: "slug", in: "path" }, example: "V1StGXR8_Z5jdHi6B-myT" }),
});
