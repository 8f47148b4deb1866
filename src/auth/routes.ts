/**
 * /api/keys — an owner's keys (scope `admin`): create (the secret shown once), list, revoke.
 * A key can only give what it has (its own scopes, its own owner); root keys may give every scope
 * and alone may create an owner (`owner: "new"`) or make a key for another owner.
 */
import { nanoid } from "nanoid";
import { ApiError, notFound } from "../lib/errors";
import { newId } from "../lib/ids";
import { commonErrors, createRouter, defineRoute, jsonBody, jsonResponse, writeErrors } from "../lib/openapi";
import { IdParamSchema } from "../schemas/common";
import { insertKey, listKeys, ownerExists, revokeKey, type StoredKey } from "./keys.db";
import { principalOf } from "./middleware";
import { KEY_PREFIX, keyHash } from "./principal";
import { ApiKeySchema, CallerSchema, CreatedKeySchema, CreateKeySchema, KeyListSchema } from "./schemas";
import { allows } from "./scopes";

const tags = ["Keys"];

/** A key as the API shows it: never the secret, never its hash. */
const toApiKey = ({ keyHash: _hash, ...key }: StoredKey) => key;

const createRoute = defineRoute({
  method: "post",
  operationId: "createKey",
  path: "/",
  tags,
  summary: "Create a key (the secret is in this response only)",
  scope: "admin",
  request: { body: jsonBody(CreateKeySchema) },
  responses: {
    201: jsonResponse(CreatedKeySchema, "The new key, with its secret"),
    ...commonErrors,
    ...writeErrors,
  },
});

const listRoute = defineRoute({
  method: "get",
  operationId: "listKeys",
  path: "/",
  tags,
  summary: "The caller's owner's keys (never their secrets)",
  scope: "admin",
  responses: { 200: jsonResponse(KeyListSchema, "Newest first, revoked ones included"), ...commonErrors },
});

const selfRoute = defineRoute({
  method: "get",
  operationId: "getCurrentKey",
  path: "/self",
  tags,
  summary: "Who is calling: the key's id, owner and scopes (so a client can show only what the key may do)",
  scope: "read",
  responses: { 200: jsonResponse(CallerSchema, "The calling key"), ...commonErrors },
});

const revokeRoute = defineRoute({
  method: "delete",
  operationId: "revokeKey",
  path: "/{id}",
  tags,
  summary: "Revoke a key: it is refused from the next request on",
  scope: "admin",
  request: { params: IdParamSchema },
  responses: { 200: jsonResponse(ApiKeySchema, "The revoked key"), ...commonErrors },
});

export const keysRoutes = createRouter()
  .openapi(createRoute, async (c) => {
    const principal = principalOf(c);
    const body = c.req.valid("json");
    const now = Date.now();
    if (body.expiresAt !== undefined && body.expiresAt <= now)
      throw new ApiError("invalid_request", "expiresAt: must be in the future", {
        details: [{ code: "custom", path: ["expiresAt"], message: "must be in the future" }],
      });
    const newOwner = body.owner === "new";
    let ownerId = principal.ownerId;
    if (body.owner !== undefined && body.owner !== principal.ownerId) {
      if (!principal.root)
        throw new ApiError("forbidden", "Only a root key (API_KEYS) can create keys for another owner");
      if (newOwner) ownerId = newId();
      else if (await ownerExists(c.env.DB, body.owner)) ownerId = body.owner;
      else throw notFound("owner");
    }
    const beyond = body.scopes.filter(
      (s) => !allows(principal, s) || (s !== "read" && !principal.scopes.has(s)),
    );
    if (beyond.length > 0)
      throw new ApiError("forbidden", `A key cannot give scopes it does not have: ${beyond.join(", ")}`);
    // A key that expires cannot make one that lives longer (or for ever).
    const ceiling = principal.expiresAt ?? null;
    if (ceiling !== null && (body.expiresAt === undefined || body.expiresAt > ceiling))
      throw new ApiError(
        "forbidden",
        `This key expires at ${new Date(ceiling).toISOString()}: the keys it makes must expire by then (give expiresAt)`,
      );
    const secret = `${KEY_PREFIX}${nanoid(40)}`;
    const key: StoredKey = {
      id: newId(),
      ownerId,
      name: body.name,
      scopes: body.scopes,
      keyHash: await keyHash(secret),
      createdAt: now,
      lastUsedAt: null,
      expiresAt: body.expiresAt ?? null,
      revokedAt: null,
    };
    await insertKey(c.env.DB, key, newOwner ? (body.ownerName ?? body.name) : undefined);
    c.get("logger").info("key.created", { keyId: key.id, ownerId, scopes: key.scopes, by: principal.keyId });
    return c.json({ ...toApiKey(key), key: secret }, 201);
  })
  .openapi(listRoute, async (c) => {
    const keys = await listKeys(c.env.DB, principalOf(c).ownerId);
    return c.json({ keys: keys.map(toApiKey) }, 200);
  })
  .openapi(selfRoute, (c) => {
    const { keyId, ownerId, scopes, root } = principalOf(c);
    return c.json({ keyId, ownerId, scopes: [...scopes], root }, 200);
  })
  .openapi(revokeRoute, async (c) => {
    const principal = principalOf(c);
    const revoked = await revokeKey(c.env.DB, principal.ownerId, c.req.valid("param").id, Date.now());
    if (!revoked) throw notFound("key");
    c.get("logger").info("key.revoked", { keyId: revoked.id, by: principal.keyId });
    return c.json(toApiKey(revoked), 200);
  });
