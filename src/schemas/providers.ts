/** GET /api/providers: which image providers this deployment can run, and what each can do. */
import { z } from "@hono/zod-openapi";
import { ImageOpKinds, ProviderIds } from "../lib/vocabulary";

export const ProviderSchema = z
  .object({
    id: ProviderIds,
    ready: z.boolean().openapi({ description: "Whether its tasks can run here" }),
    reason: z.string().optional().openapi({
      description: "Why not (when ready is false): the message its tasks would fail with",
      example: "openai is not configured: set OPENAI_API_KEY",
    }),
    supports: z.array(ImageOpKinds).openapi({ description: "The op kinds it accepts" }),
  })
  .openapi("Provider");

export const ProviderListSchema = z.object({ providers: z.array(ProviderSchema) }).openapi("ProviderList");
