/** Health check schema. */
import { z } from "@hono/zod-openapi";

export const BindingStatusSchema = z.enum(["ok", "error", "missing"]);

export const HealthSchema = z
  .object({
    ok: z.boolean(),
    bindings: z.record(z.string(), BindingStatusSchema),
  })
  .openapi("Health");
