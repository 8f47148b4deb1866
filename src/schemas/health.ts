/** Health check schema. */
import { z } from "@hono/zod-openapi";

export const BindingStatusSchema = z.enum(["ok", "error", "missing", "unavailable (remote-only)"]).openapi({
  description: "`unavailable (remote-only)`: the binding exists but cannot run here (AI under local dev)",
});
export type BindingStatus = z.infer<typeof BindingStatusSchema>;

export const HealthSchema = z
  .object({
    ok: z.boolean(),
    bindings: z
      .record(z.string(), BindingStatusSchema)
      .optional()
      .openapi({ description: "Each binding's status: only for a caller with a valid X-Api-Key" }),
  })
  .openapi("Health");
