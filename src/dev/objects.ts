/**
 * Development only (mounted with the other /api/dev tools): how many R2 objects lie under a prefix,
 * so the reliability suite can count what a deletion left behind from outside the Worker.
 */
import { z } from "@hono/zod-openapi";
import { commonErrors, createRouter, defineRoute, jsonResponse } from "../lib/openapi";

const countRoute = defineRoute({
  method: "get",
  operationId: "devCountObjects",
  path: "/objects",
  tags: ["Development"],
  summary: "Count the R2 objects under a prefix (ENVIRONMENT=development only)",
  scope: "read",
  request: { query: z.object({ prefix: z.string().min(1).max(512) }) },
  responses: {
    200: jsonResponse(z.object({ prefix: z.string(), count: z.number().int() }), "The count"),
    ...commonErrors,
  },
});

export const devObjectRoutes = createRouter().openapi(countRoute, async (c) => {
  const { prefix } = c.req.valid("query");
  let count = 0;
  let cursor: string | undefined;
  do {
    const page = await c.env.BUCKET.list({ prefix, cursor, limit: 1000 });
    count += page.objects.length;
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return c.json({ prefix, count }, 200);
});
