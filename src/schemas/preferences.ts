/** Per-user defaults for job submission (USER_PREFERENCES, keyed by a fingerprint of the API key). */
import { z } from "@hono/zod-openapi";
import { boundedInt, ProviderIdSchema } from "./common";

export const PreferencesSchema = z
  .object({
    providers: z
      .array(ProviderIdSchema)
      .min(1)
      .max(4)
      .refine((ps) => new Set(ps).size === ps.length, { message: "providers must not repeat" })
      .optional(),
    variants: boundedInt("variants", 1, 8).optional(),
    autoRetry: boundedInt("autoRetry", 0, 2).optional(),
  })
  .strict()
  .openapi("Preferences");
export type Preferences = z.infer<typeof PreferencesSchema>;
