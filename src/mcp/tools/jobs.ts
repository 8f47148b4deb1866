/**
 * Job tools: generate_images (POST /api/projects/:id/jobs), get_job (GET /api/jobs/:jobId),
 * cancel_job (POST /api/jobs/:jobId/cancel).
 */
import { z } from "zod";
import { derivedId, newId } from "../../lib/ids";
import { isTerminal } from "../../lib/vocabulary";
import { IdSchema } from "../../schemas/common";
import { CancelResultSchema, CreateJobSchema, JobAcceptedSchema, JobSchema } from "../../schemas/jobs";
import { fromOutcome } from "../results";
import { defineTool } from "../tool";

const job = CreateJobSchema.shape;

/**
 * The REST body minus sessionId, plus the path's projectId and the Idempotency-Key header as
 * arguments: built from CreateJobSchema so a field the route gains is a tool argument at once.
 */
const GenerateInput = CreateJobSchema.omit({ sessionId: true }).extend({
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
