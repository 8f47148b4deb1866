/** PUT /api/templates/:name — store an artifact template (raw HTML) and report its placeholders. */
import { z } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { createMiddleware } from "hono/factory";
import { templateKeyOf } from "../artifacts/render";
import { analyzeTemplate, extractPlaceholders } from "../artifacts/template";
import { ownerOf } from "../auth/ownership";
import { ApiError } from "../lib/errors";
import type { HonoEnv } from "../lib/hono";
import { commonErrors, createRouter, defineRoute, jsonResponse, writeErrors } from "../lib/openapi";
import { limitBody } from "../middleware/body";
import { TemplateNameParamSchema, TemplateStoredSchema } from "../schemas/artifacts";

export const MAX_TEMPLATE_BYTES = 512 * 1024;

const requireHtml = createMiddleware<HonoEnv>(async (c, next) => {
  const type = c.req.header("content-type") ?? "";
  if (!/^text\/html\s*(;|$)/i.test(type))
    throw new ApiError("unsupported_media_type", "Content-Type must be text/html");
  return next();
});

const putRoute = defineRoute({
  method: "put",
  operationId: "putTemplate",
  path: "/{name}",
  tags: ["Artifacts"],
  summary: "Store a template; placeholders are {{NAME}} with names of [A-Z0-9_]",
  scope: "write",
  // After the scope check (defineRoute puts it first), before the handler reads the body.
  middleware: [limitBody(MAX_TEMPLATE_BYTES, "Template"), requireHtml] as MiddlewareHandler<HonoEnv>[],
  request: {
    params: TemplateNameParamSchema,
    body: {
      required: true,
      content: { "text/html": { schema: z.string().openapi({ description: "The template's HTML" }) } },
    },
  },
  responses: {
    200: jsonResponse(TemplateStoredSchema, "Replaced"),
    201: jsonResponse(TemplateStoredSchema, "Created"),
    ...commonErrors,
    ...writeErrors,
  },
});

export const templatesRoutes = createRouter().openapi(putRoute, async (c) => {
  const { name } = c.req.valid("param");
  const html = await c.req.text();
  if (html.trim() === "") throw new ApiError("invalid_request", "template: the body is empty");
  const analysis = analyzeTemplate(html);
  if (!analysis.ok) throw new ApiError("invalid_request", `template: ${analysis.reason}`);
  const key = templateKeyOf(ownerOf(c), name);
  const existed = (await c.env.BUCKET.head(key)) !== null;
  await c.env.BUCKET.put(key, html, { httpMetadata: { contentType: "text/html; charset=utf-8" } });
  const stored = { templateR2Key: key, placeholders: extractPlaceholders(html) };
  return existed ? c.json(stored, 200) : c.json(stored, 201);
});
