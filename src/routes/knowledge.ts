/** /api/knowledge: provider prompt tips used by prompt refinement. */
import { listTips, putTip } from "../db/knowledge";
import { commonErrors, createRouter, defineRoute, jsonBody, jsonResponse, writeErrors } from "../lib/openapi";
import {
  KnowledgeKeyParamSchema,
  KnowledgeQuerySchema,
  PutTipSchema,
  TipListSchema,
  TipSchema,
} from "../schemas/knowledge";

const tags = ["Knowledge"];

const listRoute = defineRoute({
  method: "get",
  operationId: "listKnowledgeTips",
  scope: "read",
  path: "/",
  tags,
  summary: "List prompt tips, optionally for one provider",
  request: { query: KnowledgeQuerySchema },
  responses: { 200: jsonResponse(TipListSchema, "The tips"), ...commonErrors },
});

const putRoute = defineRoute({
  method: "put",
  operationId: "putKnowledgeTip",
  path: "/{key}",
  tags,
  summary: "Create or replace a tip (root keys only: the knowledge base is shared by every owner)",
  scope: "root",
  request: { params: KnowledgeKeyParamSchema, body: jsonBody(PutTipSchema) },
  responses: {
    200: jsonResponse(TipSchema, "The stored tip"),
    ...commonErrors,
    ...writeErrors,
  },
});

export const knowledgeRoutes = createRouter()
  .openapi(listRoute, async (c) => {
    const tips = await listTips(c.env.DB, c.req.valid("query").provider);
    return c.json({ tips }, 200);
  })
  .openapi(putRoute, async (c) => {
    const { key } = c.req.valid("param");
    const { value } = c.req.valid("json");
    await putTip(c.env.DB, key, value);
    return c.json({ key, ...value }, 200);
  });
