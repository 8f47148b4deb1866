import { introspectWorkflow } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ProviderError } from "../../src/adapters/provider.types";
import { ProviderRateLimitError } from "../../src/adapters/provider-errors";
import type { AppEnv } from "../../src/lib/env";
import { asStepError, failedOutcome, taskErrorMessage } from "../../src/workflows/steps";
import { judgedGeneration } from "../fixtures";
import { call, createProject } from "../helpers";

const appEnv = env as unknown as AppEnv;
let counter = 0;

async function submitLocal(projectId: string, prompt: string) {
  const res = await call(`/api/projects/${projectId}/jobs`, {
    method: "POST",
    body: { prompt, providers: ["local"], sessionId: `wf-session-${Date.now()}-${counter++}` },
    headers: { "cf-connecting-ip": `10.9.8.${counter++}` },
  });
  expect(res.status).toBe(202);
  return ((await res.json()) as { jobId: string }).jobId;
}

describe("PicassoWorkflow", () => {
  it("retries a step that fails transiently and completes the task", async () => {
    await using introspector = await introspectWorkflow(appEnv.PICASSO_WORKFLOW);
    await introspector.modifyAll(async (m) => {
      await m.disableRetryDelays();
      await m.mockStepError({ name: "generate local#0" }, new Error("upstream 503"), 2);
    });
    const project = await createProject();
    const jobId = await submitLocal(project.id, "retry me, orange and navy");
    const [instance] = introspector.get();
    if (!instance) throw new Error("no workflow instance was created");
    await instance.waitForStatus("complete");
    expect(await instance.getOutput()).toMatchObject({
      jobId,
      status: "complete",
      summary: { total: 1, failed: 0 },
    });
    const task = await appEnv.DB.prepare(
      "SELECT status, error, progression_id FROM job_tasks WHERE job_id = ?",
    )
      .bind(jobId)
      .first<{ status: string; error: string | null; progression_id: string | null }>();
    expect(task).toMatchObject({ status: "complete", error: null });
    expect(task?.progression_id).toBeTruthy();
  });

  it("fails the task with the step's error once retries are exhausted, and the job with it", async () => {
    await using introspector = await introspectWorkflow(appEnv.PICASSO_WORKFLOW);
    await introspector.modifyAll(async (m) => {
      await m.disableRetryDelays();
      // The step's recorded result once its retries are over (src/workflows/steps.ts): a failure.
      await m.mockStepResult(
        { name: "generate local#0" },
        failedOutcome(new Error("upstream keeps failing")),
      );
    });
    const project = await createProject();
    const jobId = await submitLocal(project.id, "never works");
    const [instance] = introspector.get();
    if (!instance) throw new Error("no workflow instance was created");
    await instance.waitForStatus("complete");
    expect(await instance.getOutput()).toMatchObject({ status: "failed", summary: { total: 1, failed: 1 } });
    const status = (await (await call(`/api/jobs/${jobId}`)).json()) as {
      status: string;
      tasks: { status: string; error: string }[];
    };
    expect(status.status).toBe("failed");
    expect(status.tasks[0]).toMatchObject({ status: "failed", error: "upstream keeps failing" });
    const originals = await appEnv.BUCKET.list({ prefix: `project/${project.id}/jobs/${jobId}/` });
    expect(originals.objects).toHaveLength(0);
  });

  it("records the applied knowledge tips and the refined prompt", async () => {
    await using introspector = await introspectWorkflow(appEnv.PICASSO_WORKFLOW);
    const project = await createProject();
    const jobId = await submitLocal(project.id, "a quiet harbour");
    const [instance] = introspector.get();
    if (!instance) throw new Error("no workflow instance was created");
    await instance.waitForStatus("complete");
    const job = (await (await call(`/api/jobs/${jobId}`)).json()) as {
      metadata: { refinement: Record<string, { mode: string; appliedTips: string[] }> };
    };
    // Offline the model refinement is unavailable: the rules ran, and the job says why.
    expect(job.metadata.refinement.local).toEqual({
      mode: "rules",
      appliedTips: ["local.colour-words"],
      note: "model refinement unavailable: the AI binding is remote-only",
    });
    const { progressions } = (await (await call(`/api/projects/${project.id}/progressions`)).json()) as {
      progressions: {
        refinedPrompt: string;
        providerMeta: { mode: string };
        aiNotes: string[];
        judgeMeta: { judge: string };
      }[];
    };
    expect(progressions[0]?.judgeMeta.judge).toBe("heuristic");
    expect(progressions[0]?.aiNotes.at(-1)).toMatch(/^vision judge unavailable: .*heuristic judge used\.$/);
    expect(progressions[0]?.refinedPrompt).toBe("a quiet harbour, balanced palette");
    expect(progressions[0]?.providerMeta.mode).toBe("offline");
  });

  it("retries a judge-failed task once per autoRetry with the suggestion, as a child progression", async () => {
    await using introspector = await introspectWorkflow(appEnv.PICASSO_WORKFLOW);
    const project = await createProject();
    const failing = await judgedGeneration(project.id, {
      judgment: "fail",
      notes: ["contrast 3 (min 12)"],
      tags: ["low-contrast"],
      retrySuggestion: "add strong light and shadow",
      judgeMeta: { judge: "heuristic", mode: "offline" },
    });
    await introspector.modifyAll(async (m) => {
      await m.mockStepResult({ name: "generate local#0" }, failing);
    });
    const res = await call(`/api/projects/${project.id}/jobs`, {
      method: "POST",
      body: { prompt: "a dim room", providers: ["local"], autoRetry: 1, sessionId: `wf-retry-${Date.now()}` },
      headers: { "cf-connecting-ip": "10.9.9.9" },
    });
    const { jobId } = (await res.json()) as { jobId: string };
    const [instance] = introspector.get();
    if (!instance) throw new Error("no workflow instance was created");
    await instance.waitForStatus("complete");
    const status = (await (await call(`/api/jobs/${jobId}`)).json()) as {
      status: string;
      tasks: { attempt?: number; status: string; judgment?: string; progressionId?: string }[];
    };
    expect(status.status).toBe("complete");
    expect(status.tasks).toHaveLength(2);
    expect(status.tasks[0]).toMatchObject({ status: "complete", judgment: "fail" });
    expect(status.tasks[1]).toMatchObject({ attempt: 1, status: "complete" });
    const child = (await (await call(`/api/progressions/${status.tasks[1]?.progressionId}`)).json()) as {
      parentProgressionId: string;
      refinedPrompt: string;
    };
    expect(child.parentProgressionId).toBe(status.tasks[0]?.progressionId);
    expect(child.refinedPrompt).toContain("add strong light and shadow");
  });

  it("maps provider errors onto step retries and waits out a provider's Retry-After first", async () => {
    const permanent = await asStepError(
      new ProviderError("openai rejected the prompt (HTTP 400)", { retryable: false }),
    );
    expect(permanent.name).toBe("NonRetryableError");
    expect(permanent.message).toBe("openai rejected the prompt (HTTP 400)");
    const started = Date.now();
    const limited = await asStepError(new ProviderRateLimitError("openai rate limited the request", 1));
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(limited.name).not.toBe("NonRetryableError");
    expect(taskErrorMessage(new Error("NonRetryableError: gemini is not configured"))).toBe(
      "gemini is not configured",
    );
  });
});
