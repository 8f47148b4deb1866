/** Request and response schemas of /api/keys and /api/stream-tokens. */
import { z } from "@hono/zod-openapi";
import { SessionIdSchema } from "../lib/ws-events";
import { IdSchema } from "../schemas/common";
import { KeyScopes } from "./scopes";
import { MAX_STREAM_TOKEN_SECONDS } from "./stream-tokens";

export const KeyScopeSchema = KeyScopes.openapi("KeyScope", {
  description:
    "read: GET routes and streams; write: create, change, delete, run jobs, publish; admin: manage the owner's keys",
});

export const CreateKeySchema = z
  .object({
    name: z.string().trim().min(1).max(100).openapi({ example: "ci read-only" }),
    scopes: z
      .array(KeyScopeSchema)
      .min(1)
      .max(3)
      .refine((s) => new Set(s).size === s.length, "scopes: no repeats")
      .openapi({ example: ["read"] }),
    expiresAt: z.number().int().positive().optional().openapi({
      description: "Epoch ms; from then on the key is refused. Omit for a key that does not expire.",
    }),
    owner: z
      .union([z.literal("new"), IdSchema])
      .optional()
      .openapi({
        description:
          'Root keys only: "new" creates an isolated owner whose first key this is; an owner id makes a key for that owner. Omitted: the caller\'s owner.',
      }),
    ownerName: z
      .string()
      .trim()
      .min(1)
      .max(100)
      .optional()
      .openapi({ description: 'The new owner\'s name (with owner: "new")' }),
  })
  .strict()
  .openapi("CreateKey");

export const ApiKeySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    scopes: z.array(KeyScopeSchema),
    ownerId: z.string(),
    createdAt: z.number().int(),
    lastUsedAt: z.number().int().nullable(),
    expiresAt: z.number().int().nullable(),
    revokedAt: z.number().int().nullable(),
  })
  .openapi("ApiKey");

export const CreatedKeySchema = ApiKeySchema.extend({
  key: z
    .string()
    .openapi({ description: "The secret (pk_…): shown only in this response, stored only as a hash" }),
}).openapi("CreatedApiKey");

export const KeyListSchema = z.object({ keys: z.array(ApiKeySchema) }).openapi("ApiKeyList");

export const CreateStreamTokenSchema = z
  .object({
    sessionId: SessionIdSchema,
    ttlSeconds: z
      .number()
      .int()
      .min(10)
      .max(MAX_STREAM_TOKEN_SECONDS)
      .optional()
      .openapi({ description: `Lifetime in seconds (default 600, at most ${MAX_STREAM_TOKEN_SECONDS})` }),
  })
  .strict()
  .openapi("CreateStreamToken");

export const StreamTokenSchema = z
  .object({
    token: z.string().openapi({ description: "Pass as ?token= on GET /api/stream/{sessionId}" }),
    sessionId: z.string(),
    expiresAt: z.number().int(),
    streamUrl: z.string(),
  })
  .openapi("StreamToken");

export const CallerSchema = z
  .object({
    keyId: z.string().openapi({ description: "The key's id (root keys: root-<hash prefix>), never the key" }),
    ownerId: z.string(),
    scopes: z.array(KeyScopeSchema),
    root: z
      .boolean()
      .openapi({ description: "A root key (API_KEYS): may create owners and change the knowledge base" }),
  })
  .openapi("Caller");
