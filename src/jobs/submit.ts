/**
 * Accepting a job: capabilities and validation against stored data, the per-IP rate limit,
 * start-image ingest, the Idempotency-Key, the job and task rows (one D1 batch), the `queued` events
 * (the session actor also starts watching the job, see recover.ts), and the workflow instance.
 * Nothing half-written stays behind: if the batch or the workflow fails, the rows and the ingested
 * start image are removed again.
 */

import { deleteOriginal } from "../agents/tools/r2";
import { getIdempotency, insertIdempotencyStatement } from "../db/idempotency";
import { deleteJob, insertJobStatements } from "../db/jobs";
import { getPreferences } from "../db/preferences";
import { getProject } from "../db/projects";
import { publishEventBatch, takeRateToken } from "../lib/actor";
import type { AppEnv } from "../lib/env";
import { ApiError, notFound } from "../lib/errors";
import { sha256Hex } from "../lib/hashing";
import { newId } from "../lib/ids";
import { parseStoredJson } from "../lib/json";
import type { Logger } from "../lib/logging";
import { checkIngestUrl } from "../lib/url-guard";
import { type CreateJob, type JobAccepted, JobAcceptedSchema, type JobRequest } from "../schemas/jobs";
import type { Job } from "../types/domain";
import { DEFAULT_WEBHOOK_EVENTS, type StoredWebhook } from "../webhooks/events";
import { webhookSecrets } from "../webhooks/sign";
import { requireCapabilities } from "./capabilities";
import { taskFailEvent } from "./finish";
import { checkKindAndParameters, requestParams, resolveInputs } from "./inputs";
import { eventId, taskLabel } from "./keys";
import { planTasks } from "./plan";
import { requireParameters } from "./spec";

export interface Submission {
  projectId: string;
  /** The caller's owner: the project must be theirs (another owner's reads as unknown). */
  ownerId: string;
  body: CreateJob;
  idempotencyKey: string | null;
  /** The request body exactly as received: the Idempotency-Key's hash covers it, not the resolved request. */
  rawBody: string;
  clientIp: string;
  origin: string;
}

export interface SubmissionResult {
  accepted: JobAccepted;
  replayed: boolean;
}

/** The stored 202 for a key, or 409 when the key was used with another body. */
async function replay(
  env: AppEnv,
  projectId: string,
  key: string,
  hash: string,
): Promise<SubmissionResult | null> {
  const record = await getIdempotency(env.DB, projectId, key);
  if (!record) return null;
  if (record.bodyHash !== hash || !record.responseJson) {
    throw new ApiError("conflict", "Idempotency-Key was already used with a different request body");
  }
  const accepted = parseStoredJson(
    record.responseJson,
    JobAcceptedSchema,
    null,
    "idempotency_keys.response_json",
  );
  if (!accepted) throw new ApiError("internal", "The stored response for this Idempotency-Key is unreadable");
  return { accepted, replayed: true };
}

/**
 * Fills what the request left out from the caller's preferences (USER_PREFERENCES), then built-in
 * defaults; providers have no built-in default, so without either it is a 400 as before.
 */
export async function resolveJobRequest(
  env: AppEnv,
  request: JobRequest,
  ownerId: string,
): Promise<CreateJob> {
  const needsPrefs =
    request.providers === undefined || request.variants === undefined || request.autoRetry === undefined;
  const prefs = needsPrefs ? await getPreferences(env.USER_PREFERENCES, ownerId) : {};
  const providers = request.providers ?? prefs.providers;
  if (!providers) {
    throw new ApiError(
      "invalid_request",
      "providers: Required (give providers or set them in /api/preferences)",
      {
        details: [{ code: "invalid_type", path: ["providers"], message: "Required" }],
      },
    );
  }
  return {
    ...request,
    providers,
    variants: request.variants ?? prefs.variants ?? 1,
    autoRetry: request.autoRetry ?? prefs.autoRetry ?? 0,
    kind: request.kind ?? "generate",
  };
}

/** A job's webhook: signed deliveries need a secret, and the URL passes the start-image guard. */
function requireWebhook(env: AppEnv, webhook: NonNullable<CreateJob["webhook"]>): StoredWebhook {
  if (webhookSecrets(env.WEBHOOK_SECRET).length === 0) {
    throw new ApiError(
      "invalid_request",
      "webhook: this deployment has no WEBHOOK_SECRET (whsec_…), so deliveries could not be signed",
      { details: [{ code: "custom", path: ["webhook"], message: "WEBHOOK_SECRET is not configured" }] },
    );
  }
  const guard = checkIngestUrl(webhook.url, { development: env.ENVIRONMENT === "development" });
  if (!guard.ok) {
    throw new ApiError("invalid_request", `webhook.url: ${guard.reason}`, {
      details: [{ code: "custom", path: ["webhook", "url"], message: guard.reason }],
    });
  }
  return { url: guard.url.href, events: webhook.events ?? DEFAULT_WEBHOOK_EVENTS };
}

const isUniqueViolation = (err: unknown) =>
  err instanceof Error && /UNIQUE constraint failed|SQLITE_CONSTRAINT/.test(err.message);

export async function submitJob(env: AppEnv, sub: Submission, log: Logger): Promise<SubmissionResult> {
  const { projectId, body } = sub;
  const project = await getProject(env.DB, projectId, sub.ownerId);
  if (!project) throw notFound("project");

  // What the caller sent, byte for byte: a replay matches whatever preferences say by now.
  const hash = sub.idempotencyKey ? await sha256Hex(sub.rawBody) : "";
  if (sub.idempotencyKey) {
    const replayed = await replay(env, projectId, sub.idempotencyKey, hash);
    if (replayed) return replayed;
  }
  requireCapabilities(body.providers, body.kind);
  checkKindAndParameters(body);
  // The seed is fixed here (drawn when none was given) so every task can report it.
  const requested = requestParams(body);
  requireParameters(body.providers, body.kind, requested, body.seed !== undefined);
  const webhook = body.webhook ? requireWebhook(env, body.webhook) : null;

  const token = await takeRateToken(env, sub.clientIp);
  if (!token.allowed) {
    throw new ApiError("rate_limited", `Too many job submissions: retry in ${token.retryAfterSeconds} s`, {
      headers: { "Retry-After": String(token.retryAfterSeconds) },
    });
  }

  const jobId = newId();
  // Fetched, copied and checked before anything is written to D1; removed again if the job is not kept.
  const inputs = await resolveInputs(env, sub, jobId, requested, log);
  const startImageR2Key = inputs.startImageR2Key;
  const discardStartImage = async () => {
    await Promise.all(inputs.written.map((key) => deleteOriginal(env.BUCKET, key)));
  };

  const now = Date.now();
  const tasks = await planTasks(jobId, body.providers, body.variants, now);
  const job: Job = {
    id: jobId,
    projectId,
    ownerId: sub.ownerId,
    sessionId: body.sessionId,
    status: "queued",
    kind: body.kind,
    prompt: body.prompt,
    providers: body.providers,
    variants: body.variants,
    autoRetry: body.autoRetry,
    startImageUrl: body.startImageUrl ?? null,
    startImageR2Key,
    parentProgressionId: body.parentProgressionId ?? null,
    params: inputs.params,
    metadata: {},
    createdAt: now,
    updatedAt: now,
    finishedAt: null,
    heartbeatAt: null,
    origin: sub.origin,
    webhook,
  };
  const accepted: JobAccepted = {
    jobId,
    projectId,
    sessionId: body.sessionId,
    status: "queued",
    streamUrl: `/api/stream/${body.sessionId}`,
    statusUrl: `/api/jobs/${jobId}`,
    tasks: tasks.map((t) => ({ provider: t.provider, variantIndex: t.variantIndex })),
  };

  const statements = insertJobStatements(env.DB, job, tasks);
  if (sub.idempotencyKey) {
    // In the same transaction as the job: of concurrent requests with one key, exactly one commits.
    statements.unshift(
      insertIdempotencyStatement(
        env.DB,
        projectId,
        sub.idempotencyKey,
        hash,
        jobId,
        JSON.stringify(accepted),
        now,
      ),
    );
  }
  try {
    await env.DB.batch(statements);
  } catch (err) {
    await discardStartImage();
    if (sub.idempotencyKey && isUniqueViolation(err)) {
      const replayed = await replay(env, projectId, sub.idempotencyKey, hash);
      if (replayed) return replayed;
    }
    throw err;
  }

  // Queued events go out before the workflow exists, so no task event can precede them.
  const queued = tasks.map((t) => ({
    id: eventId(jobId, `publish-queued ${taskLabel(t)}`, 0),
    type: "queued" as const,
    data: { jobId, provider: t.provider, variantIndex: t.variantIndex },
  }));
  const published = await publishEventBatch(env, job, queued, { watchJob: jobId });
  if (!published.ok) log.error("job.queued_publish_failed", { jobId, error: published.message });

  try {
    await env.PICASSO_WORKFLOW.create({ id: jobId, params: { jobId, origin: sub.origin } });
  } catch (err) {
    log.error("job.workflow_create_failed", {
      jobId,
      error: err instanceof Error ? err.message : String(err),
    });
    await deleteJob(env.DB, jobId);
    await discardStartImage();
    await publishEventBatch(
      env,
      job,
      tasks.map((t) => taskFailEvent(jobId, t, "the job could not be started")),
    );
    throw new ApiError("internal", "The job could not be started; nothing was kept. Try again.");
  }
  log.info("job.accepted", { jobId, projectId, sessionId: body.sessionId, tasks: tasks.length });
  return { accepted, replayed: false };
}
