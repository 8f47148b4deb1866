/**
 * Completion webhooks end to end: accepted with a job, queued when the job ends, delivered by the
 * queue consumer signed per Standard Webhooks (verified with the reference library), retried after
 * a 500, stopped by a 410, never delivered twice after a 2xx; and hosted Images delivery.
 */
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { describe, expect, inject, it } from "vitest";
import { deleteHosted, hostedBase, uploadHosted } from "../src/agents/tools/hosted-images";
import worker from "../src/index";
import type { AppEnv } from "../src/lib/env";
import { retryDelaySeconds } from "../src/webhooks/deliver";
import { call, callWithEnv, createProject, expectError } from "./helpers";

const appEnv = env as unknown as AppEnv;
const devEnv: AppEnv = { ...appEnv, ENVIRONMENT: "development" };
const receiver = () => `http://127.0.0.1:${inject("webhookReceiverPort")}`;
let counter = 0;
const token = () => `t${Date.now()}${counter++}`;

interface Received {
  headers: Record<string, string>;
  body: string;
  answered: number;
}
const received = async (t: string): Promise<Received[]> =>
  (await fetch(`${receiver()}/received/${t}`)).json();

function submit(projectId: string, body: Record<string, unknown>, overrides: Record<string, unknown> = {}) {
  return callWithEnv({ ENVIRONMENT: "development", ...overrides }, `/api/projects/${projectId}/jobs`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-api-key": "test-key-primary",
      "cf-connecting-ip": `203.0.113.${counter++ % 250}`,
    },
    body: JSON.stringify({
      prompt: "a lighthouse for webhooks",
      providers: ["local"],
      sessionId: `hook-session-${counter++}`,
      ...body,
    }),
  });
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Delivery {
  id: string;
  type: string;
  url: string;
  status: string;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  deliveredAt: number | null;
}
const deliveries = async (jobId: string) =>
  ((await (await call(`/api/jobs/${jobId}/webhooks`)).json()) as { deliveries: Delivery[] }).deliveries;

/** Runs the queue consumer once on a message announcing `deliveryId`, as the queue would. */
async function consume(deliveryId: string) {
  const batch = createMessageBatch("picasso-backend-queue", [
    {
      id: `m-${deliveryId}-${counter++}`,
      timestamp: new Date(),
      attempts: 1,
      body: { kind: "webhook-delivery", deliveryId },
    },
  ]);
  const ctx = createExecutionContext();
  await worker.queue(batch, devEnv, ctx);
  return getQueueResult(batch, ctx);
}

async function finishedJob(projectId: string, hookUrl: string, events?: string[]) {
  const res = await submit(projectId, { webhook: { url: hookUrl, ...(events ? { events } : {}) } });
  expect(res.status).toBe(202);
  const { jobId } = (await res.json()) as { jobId: string };
  await until("the job to end", async () => {
    const job = (await (await call(`/api/jobs/${jobId}`)).json()) as { status: string };
    return job.status === "complete" || job.status === "failed" ? job : undefined;
  });
  return jobId;
}

describe("completion webhooks", () => {
  it("delivers job.completed once, signed, on the second attempt after a 500", async () => {
    const project = await createProject("Hooks");
    const t = token();
    const jobId = await finishedJob(project.id, `${receiver()}/hooks/${t}?fail=1`);
    const [queued] = await until("the delivery row", async () => {
      const d = await deliveries(jobId);
      return d.length > 0 ? d : undefined;
    });
    expect(queued).toMatchObject({ type: "job.completed", url: `${receiver()}/hooks/${t}?fail=1` });
    expect(queued?.id).toMatch(/^msg_/);
    const id = queued?.id ?? "";
    // The queue may get there first; either way, drive attempts until it is delivered.
    await until("delivery", async () => {
      const [d] = await deliveries(jobId);
      if (d?.status === "delivered") return d;
      await consume(id);
      return undefined;
    });
    const [done] = await deliveries(jobId);
    expect(done).toMatchObject({ status: "delivered", attempts: 2, lastStatusCode: 200, lastError: null });
    expect(done?.deliveredAt).toBeGreaterThan(0);
    // Once delivered, another copy of the message changes nothing and posts nothing.
    const again = await consume(id);
    expect(again.explicitAcks).toHaveLength(1);
    const posts = await received(t);
    expect(posts.map((p) => p.answered)).toEqual([500, 200]);
    expect(new Set(posts.map((p) => p.headers["webhook-id"]))).toEqual(new Set([id]));
    const last = posts[1] as Received;
    const payload = new Webhook(appEnv.WEBHOOK_SECRET ?? "").verify(last.body, last.headers) as {
      type: string;
      timestamp: string;
      data: { jobId: string; status: string };
    };
    expect(payload.type).toBe("job.completed");
    expect(payload.data).toEqual(await (await call(`/api/jobs/${jobId}`)).json());
    expect(last.headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/=]+$/);
  });

  it("sends task events with the task and its progression when asked", async () => {
    const project = await createProject("Task hooks");
    const t = token();
    const jobId = await finishedJob(project.id, `${receiver()}/hooks/${t}`, [
      "task.completed",
      "job.completed",
    ]);
    const list = await until("two deliveries", async () => {
      const d = await deliveries(jobId);
      return d.length >= 2 ? d : undefined;
    });
    expect(list.map((d) => d.type).sort()).toEqual(["job.completed", "task.completed"]);
    const task = list.find((d) => d.type === "task.completed") as Delivery;
    await until("the task delivery", async () => {
      const d = (await deliveries(jobId)).find((x) => x.id === task.id);
      if (d?.status === "delivered") return d;
      await consume(task.id);
      return undefined;
    });
    const posts = await received(t);
    const body = posts
      .map((p) => JSON.parse(p.body) as { type: string; data: Record<string, unknown> })
      .find((p) => p.type === "task.completed");
    expect(body?.data).toMatchObject({ jobId, provider: "local", variantIndex: 0, status: "complete" });
    const progression = body?.data.progression as { id: string } | undefined;
    expect(progression?.id).toBe(body?.data.progressionId);
  });

  it("stops at a 410 without retrying", async () => {
    const project = await createProject("Gone");
    const t = token();
    const jobId = await finishedJob(project.id, `${receiver()}/hooks/${t}?status=410`);
    const [d] = await until("the delivery row", async () => {
      const x = await deliveries(jobId);
      return x.length > 0 ? x : undefined;
    });
    await consume(d?.id ?? "");
    const [after] = await deliveries(jobId);
    expect(after).toMatchObject({ status: "failed", attempts: 1, lastStatusCode: 410 });
    await consume(d?.id ?? "");
    expect((await received(t)).length).toBe(1);
  });

  it("refuses a webhook without a configured secret, and unsafe URLs, with 400", async () => {
    const project = await createProject("Refused");
    const noSecret = await submit(
      project.id,
      { webhook: { url: `${receiver()}/hooks/x` } },
      { WEBHOOK_SECRET: undefined },
    );
    const body = await expectError(noSecret, 400, "invalid_request");
    expect(body.error.message).toContain("WEBHOOK_SECRET");
    for (const url of [
      "http://169.254.169.254/latest/meta-data",
      "file:///etc/passwd",
      "https://10.0.0.1/hook",
    ]) {
      const res = await submit(project.id, { webhook: { url } });
      expect(res.status).toBe(400);
    }
    // Outside development, http and loopback are refused too.
    const prod = await submit(
      project.id,
      { webhook: { url: `${receiver()}/hooks/x` } },
      { ENVIRONMENT: "production" },
    );
    await expectError(prod, 400, "invalid_request");
    const bad = await submit(project.id, {
      webhook: { url: "https://example.com/h", events: ["job.exploded"] },
    });
    await expectError(bad, 400, "invalid_request");
  });

  it("GET /api/jobs/:id/webhooks: an empty list for a job without one, 404 for an unknown job", async () => {
    const project = await createProject("No hook");
    const res = await submit(project.id, {});
    const { jobId } = (await res.json()) as { jobId: string };
    const list = await call(`/api/jobs/${jobId}/webhooks`);
    expect(list.status).toBe(200);
    expect(await list.json()).toEqual({ deliveries: [] });
    await expectError(await call("/api/jobs/no-such-job/webhooks"), 404, "not_found");
  });

  it("backs off exponentially with jitter, the first retry within seconds", () => {
    expect(retryDelaySeconds(1, 0.5)).toBe(5);
    expect(retryDelaySeconds(2, 0.5)).toBe(20);
    expect(retryDelaySeconds(1, 0)).toBe(4);
    expect(retryDelaySeconds(1, 1)).toBe(6);
    expect(retryDelaySeconds(30, 0.5)).toBe(43_200);
  });
});

describe("hosted Images delivery", () => {
  const hostedEnv: AppEnv = { ...appEnv, IMAGES_DELIVERY_URL: "https://imagedelivery.net/acct-hash/" };
  const png = Uint8Array.from(
    atob("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="),
    (c) => c.charCodeAt(0),
  );

  it("is off without IMAGES_DELIVERY_URL", async () => {
    expect(hostedBase(appEnv)).toBeNull();
    expect(await uploadHosted(appEnv, "p-off", png, {})).toEqual({ mode: "rendition" });
  });

  it("uploads under the progression id once, with metadata, and deletes again", async () => {
    const id = `hosted-${Date.now()}`;
    const first = await uploadHosted(hostedEnv, id, png, { projectId: "p1", jobId: "j1" });
    expect(first).toEqual({ mode: "hosted", url: `https://imagedelivery.net/acct-hash/${id}/public` });
    const details = await appEnv.IMAGES.hosted.image(id).details();
    expect(details).toMatchObject({ id, meta: { projectId: "p1", jobId: "j1" } });
    // A replayed step finds it and does not upload again.
    expect(await uploadHosted(hostedEnv, id, png, { projectId: "p1", jobId: "j1" })).toEqual(first);
    await deleteHosted(hostedEnv, id);
    expect(await appEnv.IMAGES.hosted.image(id).details()).toBeNull();
  });

  it("a rollback of a hosted progression reuses its hosted image (no copy, no orphan)", async () => {
    const project = await createProject("Hosted rollback");
    const res = await submit(project.id, {});
    const { jobId } = (await res.json()) as { jobId: string };
    const job = await until("a progression", async () => {
      const j = (await (await call(`/api/jobs/${jobId}`)).json()) as {
        status: string;
        tasks: { progressionId?: string }[];
      };
      return j.status === "complete" ? j : undefined;
    });
    const progressionId = job.tasks[0]?.progressionId ?? "";
    const hostedUrl = `https://imagedelivery.net/acct-hash/${progressionId}/public`;
    await appEnv.DB.prepare("UPDATE image_progressions SET generated_image_url = ? WHERE id = ?")
      .bind(hostedUrl, progressionId)
      .run();
    const rolled = await callWithEnv(
      { IMAGES_DELIVERY_URL: "https://imagedelivery.net/acct-hash" },
      `/api/progressions/${progressionId}/rollback`,
      {
        method: "POST",
        headers: { "content-type": "application/json", "x-api-key": "test-key-primary" },
        body: "{}",
      },
    );
    expect(rolled.status).toBe(201);
    expect(((await rolled.json()) as { generatedImageUrl: string }).generatedImageUrl).toBe(hostedUrl);
  });
});
