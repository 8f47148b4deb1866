/**
 * Job tools: generate_images (POST /api/projects/:id/jobs), get_job (GET /api/jobs/:jobId),
 * cancel_job (POST /api/jobs/:jobId/cancel).
 */
import { z } from "zod";
import { derivedId, newId } from "../../lib/ids";
import { isTerminal } from "../../lib/vocabulary";
import { IdSchema } from "../../schemas/common";
import { CancelResultSchema, CreateJobFieldsSchema, JobAcceptedSchema, JobSchema } from "../../schemas/jobs";
import { fromOutcome } from "../results";
import { defineTool } from "../tool";

const job = CreateJobFieldsSchema.shape;

/**
 * The REST body minus sessionId, plus the path's projectId and the Idempotency-Key header as
 * arguments: built from CreateJobFieldsSchema so a field the route gains is a tool argument at once.
 */
const GenerateInput = CreateJobFieldsSchema.omit({ sessionId: true }).extend({
  projectId: IdSchema.describe("The project to generate into (from create_project or list_projects)"),
  prompt: job.prompt.describe("What to draw (1..4000 characters)"),
  providers: job.providers.describe(
    "Providers to fan out to, without repeats: local (offline, always available), openai, gemini, workers. Default: the key's preferences",
  ),
  variants: job.variants.describe("Images per provider, 1..8 (default: preferences, else 1)"),
  kind: job.kind.describe(
    "generate (default), or edit/inpaint/outpaint/variation/upscale with a start image",
  ),
  startImageUrl: job.startImageUrl.describe("A public https URL of a PNG, JPEG, WebP or GIF to start from"),
  parentProgressionId: job.parentProgressionId.describe("A progression of this project to continue from"),
  autoRetry: job.autoRetry.describe("Judge-driven retries per task, 0..2 (default: preferences, else 0)"),
  startImageUploadId: job.startImageUploadId.describe(
    "An upload of yours (upload_image) as the start image; at most one of startImageUrl, startImageUploadId, parentProgressionId",
  ),
  aspectRatio: job.aspectRatio.describe(
    "1:1, 4:3, 3:4, 3:2, 2:3, 16:9 or 9:16: each provider uses its nearest size (the task's warnings say so)",
  ),
  seed: job.seed.describe(
    "0..4294967295; variant i uses seed + i; drawn when omitted; every task reports it",
  ),
  negativePrompt: job.negativePrompt.describe("What to keep out of the image (up to 1,000 characters)"),
  strength: job.strength.describe("edit and variation: how far to move from the start image, 0..1"),
  models: job.models.describe("A model per provider, from the models GET /api/providers lists"),
  maskUploadId: job.maskUploadId.describe(
    "inpaint (required): an uploaded PNG the start image's size, white = repaint, black = keep",
  ),
  outpaint: job.outpaint.describe(
    "outpaint: { left, right, top, bottom } pixels to add; or give only aspectRatio to grow the canvas to it",
  ),
  upscale: job.upscale.describe(
    "upscale: { factor: 2 | 4 } (2 when omitted); local is the provider that can",
  ),
  sessionId: job.sessionId
    .optional()
    .describe("The live event stream's session (8..128 of [A-Za-z0-9_-]); one is made when absent"),
  idempotencyKey: z
    .string()
    .min(1)
    .max(255)
    .optional()
    .describe("Makes a retry safe: the same key and arguments return the same job instead of a new one"),
});

/**
 * A session for a call that names none. With an idempotency key it is derived from the project and
 * the key, so a retried call sends the same body and is replayed instead of refused as a conflict.
 */
async function sessionFor(projectId: string, idempotencyKey: string | undefined): Promise<string> {
  return `mcp-${idempotencyKey ? await derivedId("mcp-session", projectId, idempotencyKey) : newId()}`;
}

export const generateImages = defineTool({
  name: "generate_images",
  title: "Generate images",
  description:
    "Submit a job: one prompt fanned out to providers × variants, each image judged, deduplicated and stored as a progression. Returns at once with the 202 body { jobId, sessionId, status: 'queued', statusUrl, streamUrl, tasks }; follow it with get_job until it ends, then list_progressions and view_progression.",
  input: GenerateInput,
  run: async ({ projectId, idempotencyKey, sessionId, ...request }, api) => {
    const body = { ...request, sessionId: sessionId ?? (await sessionFor(projectId, idempotencyKey)) };
    const outcome = await api.json({
      method: "POST",
      path: `/api/projects/${encodeURIComponent(projectId)}/jobs`,
      body,
      headers: idempotencyKey ? { "idempotency-key": idempotencyKey } : {},
    });
    const replayed = outcome.ok && outcome.headers.get("idempotent-replayed") === "true";
    return fromOutcome(outcome, JobAcceptedSchema, (accepted) => {
      const tasks = accepted.tasks.map((t) => `${t.provider}#${t.variantIndex}`).join(", ");
      const again = replayed ? " (replayed: an earlier call with this idempotency key; no new work)" : "";
      return `Job ${accepted.jobId} queued with ${accepted.tasks.length} task(s): ${tasks}${again}. Call get_job with this jobId until its status is complete, failed or cancelled; live events stream at ${accepted.streamUrl}.`;
    });
  },
});

const JobIdInput = z.object({ jobId: IdSchema.describe("The jobId generate_images returned") });

export const getJob = defineTool({
  name: "get_job",
  title: "Get a job",
  description:
    "A job's status (queued, running, complete, failed, cancelled) and its tasks, each with its status and, once done, progressionId, generatedImageUrl and judgment (pass/fail) or error.",
  input: JobIdInput,
  readOnly: true,
  run: async ({ jobId }, api) =>
    fromOutcome(
      await api.json({ method: "GET", path: `/api/jobs/${encodeURIComponent(jobId)}` }),
      JobSchema,
      (status) => {
        const counts = new Map<string, number>();
        for (const task of status.tasks) counts.set(task.status, (counts.get(task.status) ?? 0) + 1);
        const tally = [...counts].map(([s, n]) => `${n} ${s}`).join(", ");
        const made = status.tasks
          .filter((t) => t.progressionId)
          .map((t) => `${t.progressionId}${t.judgment ? ` (${t.judgment})` : ""}`)
          .join(", ");
        const next = isTerminal(status.status)
          ? made
            ? ` Progressions: ${made}.`
            : ""
          : " Not finished yet: call get_job again in a few seconds.";
        return `Job ${status.jobId} is ${status.status} (${status.tasks.length} task(s): ${tally}).${next}`;
      },
    ),
});

export const cancelJob = defineTool({
  name: "cancel_job",
  title: "Cancel a job",
  description:
    "Cancel a job: its unfinished tasks end as cancelled; images already made are kept. Returns { jobId, status }.",
  input: JobIdInput,
  destructive: true,
  run: async ({ jobId }, api) =>
    fromOutcome(
      await api.json({ method: "POST", path: `/api/jobs/${encodeURIComponent(jobId)}/cancel` }),
      CancelResultSchema,
      (result) => `Job ${result.jobId} is ${result.status}.`,
    ),
});
