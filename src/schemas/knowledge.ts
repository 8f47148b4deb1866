/** Knowledge base schemas (provider prompt tips). */
import { z } from "@hono/zod-openapi";
import { ProviderIdSchema } from "./common";

export const TipSchema = z
  .object({
    key: z.string(),
    provider: ProviderIdSchema,
    tip: z.string(),
    append: z.string().optional().openapi({ description: "Phrase the rule-based refiner adds to prompts" }),
  })
  .openapi("KnowledgeTip");

export const TipListSchema = z.object({ tips: z.array(TipSchema) }).openapi("KnowledgeTipList");

export const KnowledgeQuerySchema = z.object({ provider: ProviderIdSchema.optional() });

export const KnowledgeKeyParamSchema = z.object({
  key: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[A-Za-z0-9._:-]+$/, "must be letters, digits, '.', '_', ':' or '-'")
    .openapi({ param: { name: "key", in: "path" }, example: "openai.subject-first" }),
});

export const PutTipSchema = z
  .object({
    value: z.object({
      provider: ProviderIdSchema,
      tip: z.string().min(1).max(2000),
      append: z.string().min(1).max(200).optional(),
    }),
  })
  .openapi("PutKnowledgeTip");
