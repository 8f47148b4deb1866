/** Progression schemas (CONTRACT.md "Progressions"). */
import { z } from "@hono/zod-openapi";
import { Judgments } from "../lib/vocabulary";
import { boundedInt, ProviderIdSchema } from "./common";

export const ProgressionSchema = z
  .object({
    id: z.string(),
    projectId: z.string(),
    parentProgressionId: z.string().nullable(),
    jobId: z.string().nullable(),
    startImageUrl: z.string().nullable(),
    prompt: z.string(),
    refinedPrompt: z.string().nullable(),
    provider: ProviderIdSchema,
    variantIndex: z.number().int().nullable(),
    originalImageR2Key: z.string(),
    generatedImageUrl: z.string(),
    phash: z.string().nullable(),
    judgment: Judgments.nullable(),
    aiNotes: z.array(z.string()),
    aiTags: z.array(z.string()),
    providerMeta: z.record(z.string(), z.unknown()),
    judgeMeta: z.record(z.string(), z.unknown()),
    createdAt: z.number().int(),
  })
  .openapi("Progression");

/** `tags` is a JSON array (`["portrait","warm"]`) or a comma list; a progression must have every tag. */
const TagsQuery = z
  .string()
  .max(1000)
  .transform((raw, ctx) => {
    const text = raw.trim();
    if (text.startsWith("[")) {
      try {
        const parsed = z.array(z.string().min(1).max(100)).max(20).safeParse(JSON.parse(text));
        if (parsed.success) return parsed.data;
      } catch {
        // reported below
      }
      ctx.addIssue({ code: "custom", message: "must be a JSON array of strings or a comma list" });
      return z.NEVER;
    }
    return text
      .split(",")
      .map((t) => t.trim())
      .filter((t) => t.length > 0);
  });

export const ProgressionQuerySchema = z.object({
  query: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .openapi({ description: "Case-insensitive substring of prompt or notes" }),
  tags: TagsQuery.optional().openapi({ type: "string", example: '["portrait","warm"]' }),
  judgment: Judgments.optional(),
  provider: ProviderIdSchema.optional(),
  limit: boundedInt("limit", 1, 100, { coerce: true }).default(20),
  cursor: z.string().min(1).max(512).optional(),
});
export type ProgressionQuery = z.infer<typeof ProgressionQuerySchema>;

export const ProgressionListSchema = z
  .object({ progressions: z.array(ProgressionSchema), nextCursor: z.string().nullable() })
  .openapi("ProgressionList");
