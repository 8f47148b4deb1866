/** Jobs: submit (POST /api/projects/:id/jobs), status (GET /api/jobs/:jobId), cancel. */

import { z } from "@hono/zod-openapi";
import { ownedJob, ownerOf } from "../auth/ownership";
import { jobView } from "../db/job-view";
import { getJob } from "../db/jobs";
import { listDeliveries } from "../db/webhooks";
import { cancelJobAndNotify } from "../jobs/cancel";
import { reconcileJob } from "../jobs/recover";
import { resolveJobRequest, submitJob } from "../jobs/submit";
import { commonErrors, createRouter, defineRoute, jsonBody, jsonResponse, writeErrors } from "../lib/openapi";
import { isTerminal } from "../lib/vocabulary";
import { ErrorSchema, IdParamSchema } from "../schemas/common";
import {
  CancelResultSchema,
  CreateJobSchema,
  JobAcceptedSchema,
  JobIdParamSchema,
  JobSchema,
  WebhookDeliveriesSchema,
} from "../schemas/jobs";
import { WebhookEvents } from "../webhooks/events";

const tags = ["Jobs"];

const submitRoute = defineRoute({
  method: "post",
  operationId: "createJob",
  path: "/projects/{id}/jobs",
  tags,
  summary: "Submit a job: one prompt fanned out to providers × variants",
  scope: "write",
  request: {
    params: IdParamSchema,
    headers: z.object({
      "idempotency-key": z
        .string()
        .min(1)
        .max(255)
        .optional()
        .openapi({ description: "Same key + same body: the same 202, no new work" }),
    }),
    body: jsonBody(CreateJobSchema),
  },
  responses: {
    202: jsonResponse(JobAcceptedSchema, "Accepted; follow streamUrl and statusUrl"),
    409: jsonResponse(ErrorSchema, "Idempotency-Key reused with a different body"),
    429: jsonResponse(ErrorSchema, "Too many submissions from this IP (Retry-After)"),
    ...commonErrors,
    ...writeErrors,
  },
});

const statusRoute = defineRoute({
  method: "get",
  operationId: "getJob",
  scope: "read",
  path: "/jobs/{jobId}",
  tags,
  summary: "A job's status and its tasks",
  request: { params: JobIdParamSchema },
  responses: { 200: jsonResponse(JobSchema, "The job"), ...commonErrors },
});

const webhooksRoute = defineRoute({
  method: "get",
  operationId: "listJobWebhooks",
  scope: "read",
  path: "/jobs/{jobId}/webhooks",
  tags,
  summary: "The job's webhook deliveries: each message, its status and attempts",
  request: { params: JobIdParamSchema },
  responses: { 200: jsonResponse(WebhookDeliveriesSchema, "The deliveries, oldest first"), ...commonErrors },
});

const cancelRoute = defineRoute({
  method: "post",
  operationId: "cancelJob",
  path: "/jobs/{jobId}/cancel",
  tags,
  summary: "Cancel a job: unfinished tasks end cancelled, finished work is kept",
  scope: "write",
  request: { params: JobIdParamSchema, body: jsonBody(z.object({}).openapi("Empty")) },
  responses: {
    202: jsonResponse(CancelResultSchema, "The job's status after the request"),
    ...commonErrors,
    ...writeErrors,
  },
});

export const jobsRoutes = createRouter()
  .openapi(submitRoute, async (c) => {
    const { accepted, replayed } = await submitJob(
      c.env,
      {
        projectId: c.req.valid("param").id,
        ownerId: ownerOf(c),
        body: await resolveJobRequest(c.env, c.req.valid("json"), ownerOf(c)),
        idempotencyKey: c.req.valid("header")["idempotency-key"] ?? null,
        // The validator read the body as text and cached it: this is the body exactly as sent.
        rawBody: await c.req.text(),
        clientIp: c.req.header("cf-connecting-ip") ?? "unknown",
        origin: new URL(c.req.url).origin,
      },
      c.get("logger"),
    );
    if (replayed) c.header("Idempotent-Replayed", "true");
    return c.json(accepted, 202);
  })
  .openapi(statusRoute, async (c) => {
    const { jobId } = c.req.valid("param");
    let job = await ownedJob(c, jobId);
    // Reading a job whose workflow has gone quiet also reconciles it (src/jobs/recover.ts).
    if (!isTerminal(job.status) && (await reconcileJob(c.env, job)) === "ended") {
      job = (await getJob(c.env.DB, jobId)) ?? job;
    }
    return c.json(await jobView(c.env.DB, job), 200);
  })
  .openapi(webhooksRoute, async (c) => {
    const { jobId } = c.req.valid("param");
    await ownedJob(c, jobId);
    const deliveries = await listDeliveries(c.env.DB, jobId);
    return c.json(
      {
        deliveries: deliveries.map((d) => ({
          id: d.id,
          type: WebhookEvents.parse(d.type),
          url: d.url,
          status: d.status,
          attempts: d.attempts,
          lastStatusCode: d.lastStatusCode,
          lastError: d.lastError,
          deliveredAt: d.deliveredAt,
        })),
      },
      200,
    );
  })
  .openapi(cancelRoute, async (c) => {
    const job = await ownedJob(c, c.req.valid("param").jobId);
    return c.json(await cancelJobAndNotify(c.env, job.id, c.get("logger")), 202);
  });
