import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { takeRateToken } from "../../src/lib/actor";
import type { AppEnv } from "../../src/lib/env";
import { call, createProject, expectError, waitFor } from "../helpers";
import { type Envelope, openStream } from "../stream-client";

let counter = 0;
const session = () => `jobs-session-${Date.now()}-${counter++}`;
const ip = () => `192.0.2.${(counter++ % 250) + 1}`;

interface Accepted {
  jobId: string;
  projectId: string;
  sessionId: string;
  status: string;
  streamUrl: string;
  statusUrl: string;
  tasks: { provider: string; variantIndex: number }[];
}

function submit(projectId: string, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  return call(`/api/projects/${projectId}/jobs`, {
    method: "POST",
    body,
    headers: { "cf-connecting-ip": ip(), ...headers },
  });
}

/** Waits for the job-level complete event (no provider) and returns every envelope up to it. */
async function untilJobComplete(
  envelopes: Envelope[],
  jobId: string,
  timeoutMs = 20_000,
): Promise<Envelope[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const done = envelopes.findIndex(
      (e) => e.type === "complete" && e.data.jobId === jobId && e.data.provider === undefined,
    );
    if (done >= 0) return envelopes.slice(0, done + 1).filter((e) => e.data.jobId === jobId);
    if (Date.now() > deadline)
      throw new Error(`job ${jobId} did not complete: ${JSON.stringify(envelopes.map((e) => e.type))}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("a local job end to end", () => {
  it("streams every step of two variants, stores rows and originals, and serves renditions", async () => {
    const project = await createProject("E2E");
    const sessionId = session();
    const client = await openStream(sessionId);
    const res = await submit(project.id, {
      prompt: "a teal lighthouse at dusk, gold sky",
      providers: ["local"],
      variants: 2,
      seed: 424242,
      sessionId,
    });
    expect(res.status).toBe(202);
    const accepted = (await res.json()) as Accepted;
    expect(accepted).toMatchObject({
      projectId: project.id,
      sessionId,
      status: "queued",
      streamUrl: `/api/stream/${sessionId}`,
      statusUrl: `/api/jobs/${accepted.jobId}`,
      tasks: [
        { provider: "local", variantIndex: 0 },
        { provider: "local", variantIndex: 1 },
      ],
    });

    const events = await untilJobComplete(client.envelopes, accepted.jobId);
    // seq is gapless across the whole session.
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    for (const variantIndex of [0, 1]) {
      const types = events.filter((e) => e.data.variantIndex === variantIndex).map((e) => e.type);
      expect(types).toEqual(["queued", "running", "progress", "progress", "judge", "complete"]);
      const progress = events
        .filter((e) => e.type === "progress" && e.data.variantIndex === variantIndex)
        .map((e) => e.data.progress);
      expect(progress.at(-1)).toBe(1);
      expect(progress).toEqual([...progress].sort());
    }
    const final = events.at(-1);
    expect(final?.data.summary).toMatchObject({ total: 2, skipped: 0 });
    const judges = events.filter((e) => e.type === "judge");
    for (const judge of judges) {
      expect(judge.data.notes).toEqual(expect.arrayContaining([expect.any(String)]));
      if (judge.data.judgment === "fail") expect(typeof judge.data.retrySuggestion).toBe("string");
    }

    const status = await (await call(accepted.statusUrl)).json();
    expect(status).toMatchObject({
      jobId: accepted.jobId,
      status: "complete",
      finishedAt: expect.any(Number),
    });

    const list = (await (await call(`/api/projects/${project.id}/progressions`)).json()) as {
      progressions: {
        id: string;
        originalImageR2Key: string;
        generatedImageUrl: string;
        phash: string;
        judgment: string;
        refinedPrompt: string;
        jobId: string;
        variantIndex: number;
      }[];
    };
    expect(list.progressions).toHaveLength(2);
    for (const p of list.progressions) {
      expect(p.jobId).toBe(accepted.jobId);
      expect(p.originalImageR2Key).toMatch(
        new RegExp(`^project/${project.id}/jobs/${accepted.jobId}/orig/[01]$`),
      );
      expect(p.phash).toMatch(/^[0-9a-f]{16}$/);
      expect(["pass", "fail"]).toContain(p.judgment);
      expect(p.refinedPrompt).toContain("a teal lighthouse at dusk");
      const object = await env.BUCKET.head(p.originalImageR2Key);
      expect(object?.httpMetadata?.contentType).toBe("image/png");
      expect(p.generatedImageUrl).toBe(`http://picasso.test/images/${p.id}`);
      const image = await call(`/images/${p.id}?w=128&format=webp`);
      expect(image.status).toBe(200);
      expect(image.headers.get("content-type")).toBe("image/webp");
      expect(image.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
      const bytes = new Uint8Array(await image.arrayBuffer());
      expect(new TextDecoder().decode(bytes.slice(8, 12))).toBe("WEBP");
    }

    // The same prompt and seed again: both results are near-duplicates and are not stored.
    const again = await submit(project.id, {
      prompt: "a teal lighthouse at dusk, gold sky",
      providers: ["local"],
      variants: 2,
      seed: 424242,
      sessionId,
    });
    const second = (await again.json()) as Accepted;
    const secondEvents = await untilJobComplete(client.envelopes, second.jobId);
    const completes = secondEvents.filter((e) => e.type === "complete" && e.data.provider);
    expect(completes.map((e) => e.data.skipped)).toEqual(["duplicate", "duplicate"]);
    // Each says which stored progression it matched and the distances that decided it.
    const firstIds = new Set(
      events.filter((e) => e.type === "complete" && e.data.progressionId).map((e) => e.data.progressionId),
    );
    for (const c of completes) {
      expect(firstIds.has(c.data.duplicateOf)).toBe(true);
      expect(c.data.distances).toEqual({
        phash: expect.any(Number),
        gradient: expect.any(Number),
        cells: expect.any(Number),
      });
    }
    const secondStatus = (await (await call(`/api/jobs/${second.jobId}`)).json()) as {
      tasks: { skipped?: string; duplicateOf?: string; distances?: Record<string, number> }[];
    };
    for (const t of secondStatus.tasks) {
      expect(t).toMatchObject({ skipped: "duplicate", duplicateOf: expect.any(String) });
      expect(Object.keys(t.distances ?? {}).sort()).toEqual(["cells", "gradient", "phash"]);
    }
    expect(secondEvents.at(-1)?.data.summary).toMatchObject({ total: 2, skipped: 2 });
    const after = (await (await call(`/api/projects/${project.id}/progressions`)).json()) as {
      progressions: unknown[];
    };
    expect(after.progressions).toHaveLength(2);
    const listed = await env.BUCKET.list({ prefix: `project/${project.id}/jobs/${second.jobId}/` });
    expect(listed.objects).toHaveLength(0);
  });
});

describe("POST /api/projects/:id/jobs validation", () => {
  it.each([
    [{ providers: ["local"], sessionId: "valid-session" }, /^prompt: /],
    [{ prompt: "x", providers: [], sessionId: "valid-session" }, /^providers: /],
    [
      { prompt: "x", providers: ["local", "local"], sessionId: "valid-session" },
      /^providers: providers must not repeat/,
    ],
    [{ prompt: "x", providers: ["dalle"], sessionId: "valid-session" }, /^providers\.0: /],
    [{ prompt: "x", providers: ["local"], variants: 9, sessionId: "valid-session" }, /^variants: /],
    [{ prompt: "x", providers: ["local"], sessionId: "short" }, /^sessionId: /],
    [{ prompt: "x", providers: ["local"], sessionId: "valid-session", kind: "paint" }, /^kind: /],
    [
      { prompt: "x", providers: ["local"], sessionId: "valid-session", kind: "edit" },
      /^kind: 'edit' needs a start image/,
    ],
    [
      {
        prompt: "x",
        providers: ["local"],
        sessionId: "valid-session",
        startImageUrl: "ftp://example.com/a.png",
      },
      /^startImageUrl: /,
    ],
    [
      {
        prompt: "x",
        providers: ["local"],
        sessionId: "valid-session",
        parentProgressionId: "nope-nope-nope",
      },
      /^parentProgressionId: not a progression of this project/,
    ],
  ])("rejects %j", async (body, message) => {
    const project = await createProject();
    const res = await submit(project.id, body);
    const error = await expectError(res, 400, "invalid_request");
    expect(error.error.message).toMatch(message);
    const jobs = await env.DB.prepare("SELECT COUNT(*) AS n FROM jobs WHERE project_id = ?")
      .bind(project.id)
      .first<{ n: number }>();
    expect(jobs?.n).toBe(0);
  });

  it("answers 404 for an unknown project", async () => {
    const res = await submit("unknown-project-id", {
      prompt: "x",
      providers: ["local"],
      sessionId: session(),
    });
    expect((await expectError(res, 404, "not_found")).error.message).toBe("project not found");
  });

  it("requires the API key", async () => {
    const project = await createProject();
    const res = await call(`/api/projects/${project.id}/jobs`, {
      method: "POST",
      body: { prompt: "x", providers: ["local"], sessionId: session() },
      key: null,
    });
    await expectError(res, 401, "unauthorized");
  });
});

describe("Idempotency-Key", () => {
  it("replays the same 202 for the same body and refuses a different body with 409", async () => {
    const project = await createProject();
    const body = { prompt: "idempotent", providers: ["local"], sessionId: session() };
    const first = await submit(project.id, body, { "idempotency-key": "key-1" });
    expect(first.status).toBe(202);
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    const firstBody = await first.json();
    const second = await submit(project.id, body, { "idempotency-key": "key-1" });
    expect(second.status).toBe(202);
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    expect(await second.json()).toEqual(firstBody);
    const other = await submit(
      project.id,
      { ...body, prompt: "something else" },
      { "idempotency-key": "key-1" },
    );
    expect((await expectError(other, 409, "conflict")).error.message).toContain("different request body");
  });

  it("creates exactly one job for 50 concurrent requests with one key", async () => {
    const project = await createProject();
    const body = { prompt: "concurrent", providers: ["local"], sessionId: session() };
    const responses = await Promise.all(
      Array.from({ length: 50 }, () => submit(project.id, body, { "idempotency-key": "same-key" })),
    );
    const accepted = responses.filter((r) => r.status === 202);
    expect(accepted.length).toBeGreaterThan(0);
    expect(responses.every((r) => r.status === 202 || r.status === 429)).toBe(true);
    const jobIds = new Set(
      await Promise.all(accepted.map(async (r) => ((await r.json()) as Accepted).jobId)),
    );
    expect(jobIds.size).toBe(1);
    const rows = await env.DB.prepare("SELECT COUNT(*) AS n FROM jobs WHERE project_id = ?")
      .bind(project.id)
      .first<{ n: number }>();
    expect(rows?.n).toBe(1);
  });
});

describe("rate limit", () => {
  it("refuses submissions over the per-IP burst with 429 and Retry-After", async () => {
    const project = await createProject();
    const clientIp = "198.51.100.77";
    const body = { prompt: "limited", providers: ["openai"], sessionId: session() };
    expect((await submit(project.id, body, { "cf-connecting-ip": clientIp })).status).toBe(202);
    // Spend the rest of this IP's burst directly on its bucket (29 of 30 left).
    expect((await takeRateToken(env as unknown as AppEnv, clientIp, 29)).allowed).toBe(true);
    const refused = await submit(project.id, body, { "cf-connecting-ip": clientIp });
    const error = await expectError(refused, 429, "rate_limited");
    expect(refused.headers.get("retry-after")).toBe("2");
    expect(error.error.message).toContain("retry in 2 s");
    // Another client is unaffected.
    expect((await submit(project.id, body, { "cf-connecting-ip": "198.51.100.78" })).status).toBe(202);
  });
});

describe("providers that are not configured", () => {
  it("fail their own tasks with a clear message while the job completes with the others", async () => {
    const project = await createProject();
    const sessionId = session();
    const client = await openStream(sessionId);
    const res = await submit(project.id, {
      prompt: "mixed providers, red and blue",
      providers: ["openai", "local"],
      sessionId,
    });
    const accepted = (await res.json()) as Accepted;
    const events = await untilJobComplete(client.envelopes, accepted.jobId);
    const fail = events.find((e) => e.type === "fail");
    expect(fail?.data).toEqual({
      jobId: accepted.jobId,
      provider: "openai",
      variantIndex: 0,
      error: "openai is not configured: set OPENAI_API_KEY",
    });
    expect(events.filter((e) => e.data.provider === "openai").map((e) => e.type)).toEqual([
      "queued",
      "running",
      "fail",
    ]);
    const status = (await (await call(accepted.statusUrl)).json()) as {
      status: string;
      tasks: { provider: string; status: string; error?: string }[];
    };
    expect(status.status).toBe("complete");
    expect(status.tasks).toEqual([
      expect.objectContaining({
        provider: "openai",
        status: "failed",
        error: "openai is not configured: set OPENAI_API_KEY",
      }),
      expect.objectContaining({ provider: "local", status: "complete" }),
    ]);
  });

  it("end the job failed when every task failed", async () => {
    const project = await createProject();
    const sessionId = session();
    const client = await openStream(sessionId);
    const accepted = (await (
      await submit(project.id, { prompt: "x", providers: ["gemini"], sessionId })
    ).json()) as Accepted;
    const events = await untilJobComplete(client.envelopes, accepted.jobId);
    expect(events.at(-1)?.data.summary).toMatchObject({ total: 1, passed: 0, failed: 1, skipped: 0 });
    const status = (await (await call(accepted.statusUrl)).json()) as { status: string };
    expect(status.status).toBe("failed");
  });
});

describe("GET /api/jobs/:jobId and cancel", () => {
  it("answers 404 for an unknown job, on both routes", async () => {
    await expectError(await call("/api/jobs/unknown-job-id"), 404, "not_found");
    await expectError(
      await call("/api/jobs/unknown-job-id/cancel", { method: "POST", body: {} }),
      404,
      "not_found",
    );
  });

  it("cancel requires the API key", async () => {
    await expectError(
      await call("/api/jobs/any-job-id/cancel", { method: "POST", body: {}, key: null }),
      401,
      "unauthorized",
    );
  });

  it("cancels unfinished tasks with events, keeps finished work, and streams nothing more for them", async () => {
    const project = await createProject();
    const sessionId = session();
    const client = await openStream(sessionId);
    const accepted = (await (
      await submit(project.id, { prompt: "cancel me, purple", providers: ["local"], variants: 8, sessionId })
    ).json()) as Accepted;
    const res = await call(`/api/jobs/${accepted.jobId}/cancel`, { method: "POST", body: {} });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ jobId: accepted.jobId, status: "cancelled" });

    const events = await untilJobComplete(client.envelopes, accepted.jobId);
    await new Promise((r) => setTimeout(r, 1500)); // let a still-running workflow try to publish
    const status = (await (await call(accepted.statusUrl)).json()) as {
      status: string;
      tasks: { status: string; variantIndex: number }[];
    };
    expect(status.status).toBe("cancelled");
    const cancelledTasks = status.tasks.filter((t) => t.status === "cancelled");
    expect(cancelledTasks.length).toBeGreaterThan(0);
    expect(status.tasks.every((t) => t.status === "cancelled" || t.status === "complete")).toBe(true);
    for (const task of cancelledTasks) {
      const taskEvents = client.envelopes.filter(
        (e) => e.data.jobId === accepted.jobId && e.data.variantIndex === task.variantIndex,
      );
      expect(taskEvents.at(-1)).toMatchObject({ type: "fail", data: { error: "cancelled" } });
    }
    expect(events.at(-1)?.data.summary).toMatchObject({ total: 8, cancelled: cancelledTasks.length });
    // The workflow was not terminated: it wound down by itself, and stored nothing for the cancelled
    // tasks (one original per completed task, no progression of a cancelled one).
    const appEnv = env as unknown as AppEnv;
    const instance = await appEnv.PICASSO_WORKFLOW.get(accepted.jobId);
    await waitFor("the workflow's own end", async () =>
      (await instance.status()).status === "complete" ? true : undefined,
    );
    const completed = status.tasks.length - cancelledTasks.length;
    const originals = await appEnv.BUCKET.list({ prefix: `project/${project.id}/jobs/${accepted.jobId}/` });
    expect(originals.objects).toHaveLength(completed);
    const rows = await appEnv.DB.prepare("SELECT COUNT(*) AS n FROM image_progressions WHERE job_id = ?")
      .bind(accepted.jobId)
      .first<{ n: number }>();
    expect(rows?.n).toBe(completed);
    // Cancelling again changes nothing.
    expect(
      await (await call(`/api/jobs/${accepted.jobId}/cancel`, { method: "POST", body: {} })).json(),
    ).toEqual({
      jobId: accepted.jobId,
      status: "cancelled",
    });
  });
});
