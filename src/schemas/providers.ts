/** GET /api/providers: which image providers this deployment can run, and what each can do. */
import { z } from "@hono/zod-openapi";
import { PARAMETERS } from "../adapters/params";
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
    parameters: z.record(z.enum(PARAMETERS), z.enum(["native", "approximate", "unsupported"])).openapi({
      description:
        "Per generation parameter: native (done as asked), approximate (done as near as it can, said in the task's warnings), unsupported (a job that needs it is a 400 naming provider and parameter)",
    }),
    models: z
      .array(z.string())
      .openapi({ description: "Models a job may choose (models.<provider>); the first is the default" }),
    sizes: z.union([z.array(z.string()), z.literal("any")]).openapi({
      description: "Output sizes it makes natively (WxH), or any when it takes width and height",
    }),
  })
  .openapi("Provider");

export const ProviderListSchema = z.object({ providers: z.array(ProviderSchema) }).openapi("ProviderList");
