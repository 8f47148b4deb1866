/** Schemas shared by every resource: the error envelope, ids, pagination. */
import { z } from "@hono/zod-openapi";
import { ERROR_CODES } from "../lib/errors";
import { ProviderIds } from "../lib/vocabulary";

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.enum(ERROR_CODES),
      message: z.string(),
      details: z.array(z.unknown()),
      requestId: z.string(),
    }),
  })
  .openapi("Error");

/** A nanoid (21 url-safe characters). Looser on input so an odd id is a 404, not a 400. */
export const IdSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, "must be url-safe");

export const IdParamSchema = z.object({
  id: IdSchema.openapi({ param: { name: "id", in: "path" }, example: "V1StGXR8_Z5jdHi6B-myT" }),
});

/**
 * A whole number in min..max whose every failure names the real range ("variants must be at most
 * 8"), never zod's implicit safe-integer bound. `coerce` for query strings.
 */
export function boundedInt(name: string, min: number, max: number, { coerce = false } = {}) {
  const base = coerce ? z.coerce.number(`${name} must be a number`) : z.number(`${name} must be a number`);
  return base
    .int(`${name} must be a whole number from ${min} to ${max}`)
    .min(min, `${name} must be at least ${min}`)
    .max(max, `${name} must be at most ${max}`);
}

/** `?limit=1..100&cursor=` for list routes. */
export const PageQuerySchema = z.object({
  limit: boundedInt("limit", 1, 100, { coerce: true }).default(20).openapi({ example: 20 }),
  cursor: z.string().min(1).max(512).optional().openapi({ description: "nextCursor of the previous page" }),
});

export const ProviderIdSchema = ProviderIds.openapi("ProviderId");
export type { ProviderId } from "../lib/vocabulary";
