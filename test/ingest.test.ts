/** Start-image ingest against the loopback fixture server: the tool itself, then jobs through the worker. */
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, inject, it, vi } from "vitest";
import { ingestStartImage } from "../src/agents/tools/ingest";
import type { AppEnv } from "../src/lib/env";
import { ApiError } from "../src/lib/errors";
import { sniffImageType } from "../src/lib/image-type";
import { call, callWithEnv, createProject, expectError, KEY } from "./helpers";

afterEach(() => {
  vi.restoreAllMocks();
});

const appEnv = env as unknown as AppEnv;
/** The fixture server is http: on loopback, which only development mode lets through. */
const devEnv: AppEnv = { ...appEnv, ENVIRONMENT: "development" };
const fixture = (path: string) => `http://127.0.0.1:${inject("fixturePort")}${path}`;

let counter = 0;
const r2Key = () => `test/ingest/${Date.now()}-${counter++}`;

async function fixtureBytes(path: string): Promise<Uint8Array> {
  return new Uint8Array(await (await fetch(fixture(path))).arrayBuffer());
}

/** Asserts that ingesting `url` fails with the given status and code, and that nothing was stored. */
async function expectRefused(
  url: string,
  status: number,
  code: string,
  message: RegExp,
  options: { env?: AppEnv; timeoutMs?: number } = {},
): Promise<ApiError> {
  const key = r2Key();
  const error = await ingestStartImage(options.env ?? devEnv, url, key, options).then(
    () => null,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(ApiError);
  if (!(error instanceof ApiError)) throw new Error(`expected an ApiError, got ${String(error)}`);
  expect({ status: error.status, code: error.code }).toEqual({ status, code });
  expect(error.message).toMatch(/^startImageUrl: /);
  expect(error.message).toMatch(message);
  expect(error.message).not.toMatch(/\/(usr|home|tmp|work|node_modules)\//);
  expect(error.details).toEqual([{ code: "custom", path: ["startImageUrl"], message: expect.any(String) }]);
  expect(await env.BUCKET.head(key)).toBeNull();
  return error;
}

describe("the fixture server", () => {
  it("is reachable from workerd over loopback", async () => {
    const res = await fetch(fixture("/image.png"));
    expect(res.status).toBe(200);
    expect(sniffImageType(new Uint8Array(await res.arrayBuffer()))).toBe("image/png");
  });
});

describe("ingestStartImage: accepted images", () => {
  it.each([
    ["/image.png", "image/png", 16, 16],
    ["/image.jpg", "image/jpeg", 4, 4],
    ["/image.webp", "image/webp", 4, 4],
    ["/image.gif", "image/gif", 4, 4],
    ["/png-as-text", "image/png", 16, 16],
    ["/chunked.png", "image/png", 16, 16],
  ])("%s is stored in R2 as %s (%i×%i)", async (path, contentType, width, height) => {
    const key = r2Key();
    const result = await ingestStartImage(devEnv, fixture(path), key);
    const expected = await fixtureBytes(path);
    expect(result).toMatchObject({ contentType, width, height, finalUrl: fixture(path) });
    expect(result.bytes).toEqual(expected);
    const object = await env.BUCKET.get(key);
    expect(object?.httpMetadata?.contentType).toBe(contentType);
    expect(new Uint8Array((await object?.arrayBuffer()) ?? new ArrayBuffer(0))).toEqual(expected);
  });

  it.each([
    ["/redirect/1", 1],
    ["/redirect/3", 3],
  ])("follows %s (%i hops, each checked) to the image", async (path) => {
    const key = r2Key();
    const result = await ingestStartImage(devEnv, fixture(path), key);
    expect(result.finalUrl).toBe(fixture("/image.png"));
    expect(result.contentType).toBe("image/png");
    expect((await env.BUCKET.head(key))?.httpMetadata?.contentType).toBe("image/png");
  });
});

describe("ingestStartImage: refusals", () => {
  const https = () => fixture("/image.png").replace("http:", "https:");
  it.each([
    ["production http:", () => fixture("/image.png"), appEnv, /only https: URLs are allowed/],
    ["production loopback", https, appEnv, /127\.0\.0\.1 is a loopback address/],
    ["a private host", () => "http://10.0.0.1/a.png", devEnv, /is a private address/],
    ["the metadata host", () => "http://169.254.169.254/latest/", devEnv, /is a cloud metadata address/],
    ["credentials", () => "http://user:pw@127.0.0.1/", devEnv, /credentials/],
  ])("refuses %s before any request (400)", async (_, url, asEnv, message) => {
    await expectRefused(url(), 400, "invalid_request", message, { env: asEnv });
  });

  it("refuses more than 3 redirects (400)", async () => {
    await expectRefused(fixture("/redirect/4"), 400, "invalid_request", /more than 3 redirects/);
  });

  it.each([
    ["/redirect-private", /redirect refused: 10\.0\.0\.1 is a private address/],
    ["/redirect-metadata", /redirect refused: 169\.254\.169\.254 is a cloud metadata address/],
    ["/redirect-ftp", /redirect refused: only https: and http: URLs are allowed, not ftp:/],
    ["/redirect-nowhere", /has no valid Location/],
  ])("refuses the redirect of %s (400)", async (path, message) => {
    await expectRefused(fixture(path), 400, "invalid_request", message);
  });

  it.each([
    ["/status/404", /answered 404/],
    ["/status/500", /answered 500/],
  ])("refuses a non-2xx answer: %s (400)", async (path, message) => {
    await expectRefused(fixture(path), 400, "invalid_request", message);
  });

  // Network faults are what the runtime's fetch hands back for them (a refused connection rejects
  // with "Network connection lost."; a body shorter than its Content-Length fails its read). A real
  // refused port or dropped socket gives the same answers, but workerd also prints its own stack for
  // each, which a green run should not show.
  it("refuses an unreachable host (400)", async () => {
    vi.spyOn(globalThis, "fetch").mockRejectedValueOnce(new TypeError("Network connection lost."));
    await expectRefused(
      "http://127.0.0.1:1/image.png",
      400,
      "invalid_request",
      /127\.0\.0\.1:1 could not be reached/,
    );
  });

  it.each([["/hang"], ["/hang-body"]])("ends %s at the time budget (400)", async (path) => {
    const started = Date.now();
    await expectRefused(fixture(path), 400, "invalid_request", /no complete answer within 0\.3 s/, {
      timeoutMs: 300,
    });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("refuses a download that is cut short (400)", async () => {
    const head = (await (await fetch(fixture("/image.png"))).arrayBuffer()).slice(0, 40);
    const cut = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new Uint8Array(head));
        controller.error(new Error("Network connection lost."));
      },
    });
    vi.spyOn(globalThis, "fetch").mockResolvedValueOnce(
      new Response(cut, { headers: { "content-type": "image/png", "content-length": "4096" } }),
    );
    await expectRefused(fixture("/image.png"), 400, "invalid_request", /cut short/);
  });

  it.each([
    ["/huge", /larger than 20 MiB/],
    ["/declared-huge", /larger than 20 MiB/],
  ])("refuses %s over 20 MiB (413)", async (path, message) => {
    await expectRefused(fixture(path), 413, "payload_too_large", message);
  });

  it("never reads past a Content-Length that understates the body", async () => {
    // The server sends 25 MiB more than it announces; the client stops at the announced length.
    const result = await ingestStartImage(devEnv, fixture("/lying-length"), r2Key());
    expect(result.bytes).toEqual(await fixtureBytes("/image.png"));
    expect(result.contentType).toBe("image/png");
  });

  it("refuses an image over 8192 px on a side (413)", async () => {
    await expectRefused(fixture("/wide.png"), 413, "payload_too_large", /8193×1 px; at most 8192 px/);
  });

  it.each([
    ["/image.svg", /not a PNG, JPEG, WebP or GIF image/],
    ["/text.txt", /not a PNG, JPEG, WebP or GIF image/],
    ["/corrupt.png", /the image\/png image could not be decoded/],
  ])("refuses %s (415)", async (path, message) => {
    await expectRefused(fixture(path), 415, "unsupported_media_type", message);
  });
});

// ——— Jobs through the worker ———

let ipCounter = 0;
const ip = () => `198.51.100.${(ipCounter++ % 250) + 1}`;
const session = () => `ingest-session-${Date.now()}-${ipCounter++}`;

/** Submits a job in development mode (the fixture server is http: on loopback). */
function submit(
  projectId: string,
  body: Record<string, unknown>,
  overrides: Record<string, unknown> = {},
  headers: Record<string, string> = {},
) {
  return callWithEnv({ ENVIRONMENT: "development", ...overrides }, `/api/projects/${projectId}/jobs`, {
    method: "POST",
    headers: { "x-api-key": KEY, "content-type": "application/json", "cf-connecting-ip": ip(), ...headers },
    body: JSON.stringify({ providers: ["local"], sessionId: session(), prompt: "x", ...body }),
  });
}

async function jobIdOf(res: Response): Promise<string> {
  expect(res.status).toBe(202);
  return ((await res.json()) as { jobId: string }).jobId;
}

/** Polls GET /api/jobs/:id until the job has ended; returns the first task's progression id. */
async function untilFinished(jobId: string, timeoutMs = 20_000): Promise<string | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = (await (await call(`/api/jobs/${jobId}`)).json()) as {
      status: string;
      tasks: { progressionId?: string }[];
    };
    if (job.status !== "queued" && job.status !== "running") {
      expect(job.status).toBe("complete");
      return job.tasks[0]?.progressionId;
    }
    if (Date.now() > deadline) throw new Error(`job ${jobId} did not finish: ${JSON.stringify(job)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function progression(id: string | undefined): Promise<unknown> {
  return (await call(`/api/progressions/${id}`)).json();
}

function jobRow(jobId: string) {
  return env.DB.prepare(
    "SELECT start_image_url AS url, start_image_r2_key AS key, parent_progression_id AS parent FROM jobs WHERE id = ?",
  )
    .bind(jobId)
    .first();
}

async function storedKeys(projectId: string): Promise<string[]> {
  return (await env.BUCKET.list({ prefix: `project/${projectId}/` })).objects.map((o) => o.key);
}

describe("POST /api/projects/:id/jobs with startImageUrl", () => {
  it("ingests before the 202 and an edit job completes from that start image", async () => {
    const project = await createProject("Ingest edit");
    const url = fixture("/image.png");
    const jobId = await jobIdOf(
      await submit(project.id, { prompt: "warmer", kind: "edit", startImageUrl: url }),
    );
    const key = `project/${project.id}/jobs/${jobId}/start`;
    const stored = await env.BUCKET.get(key);
    expect(stored?.httpMetadata?.contentType).toBe("image/png");
    expect(new Uint8Array((await stored?.arrayBuffer()) ?? new ArrayBuffer(0))).toEqual(
      await fixtureBytes("/image.png"),
    );
    expect(await jobRow(jobId)).toEqual({ url, key, parent: null });
    const progressionId = await untilFinished(jobId);
    expect(await progression(progressionId)).toMatchObject({ id: progressionId, startImageUrl: url });
  });

  it("refuses a URL and a parent together (at most one start), fetching and keeping nothing", async () => {
    const project = await createProject("Ingest lineage");
    const parent = await untilFinished(await jobIdOf(await submit(project.id, { prompt: "a red barn" })));
    expect(parent).toEqual(expect.any(String));
    const res = await submit(project.id, {
      prompt: "the barn in winter",
      kind: "variation",
      parentProgressionId: parent,
      startImageUrl: fixture("/image.jpg"),
    });
    const body = await expectError(res, 400, "invalid_request");
    expect(body.error.message).toContain(
      "at most one of startImageUrl, startImageUploadId, parentProgressionId",
    );
    expect((await storedKeys(project.id)).filter((k) => k.endsWith("/start"))).toEqual([]);
  });

  it.each([
    ["/image.svg", 415, "unsupported_media_type"],
    ["/huge", 413, "payload_too_large"],
    ["/status/404", 400, "invalid_request"],
    ["/redirect-metadata", 400, "invalid_request"],
  ])("answers %s with %i %s and keeps nothing", async (path, status, code) => {
    const project = await createProject("Ingest refused");
    const res = await submit(project.id, { startImageUrl: fixture(path) });
    expect((await expectError(res, status, code)).error.message).toMatch(/^startImageUrl: /);
    expect(await storedKeys(project.id)).toEqual([]);
    const jobs = await env.DB.prepare("SELECT COUNT(*) AS n FROM jobs WHERE project_id = ?")
      .bind(project.id)
      .first<{ n: number }>();
    expect(jobs?.n).toBe(0);
  });

  it("refuses loopback http: outside development (400)", async () => {
    const project = await createProject("Ingest production");
    const res = await call(`/api/projects/${project.id}/jobs`, {
      method: "POST",
      headers: { "cf-connecting-ip": ip() },
      body: { providers: ["local"], sessionId: session(), prompt: "x", startImageUrl: fixture("/image.png") },
    });
    const body = await expectError(res, 400, "invalid_request");
    expect(body.error.message).toBe("startImageUrl: only https: URLs are allowed, not http:");
  });

  it("removes the start image again when the workflow cannot be created", async () => {
    const project = await createProject("Ingest rollback");
    const failing = {
      create: async () => {
        throw new Error("workflow service unavailable");
      },
    };
    const res = await submit(
      project.id,
      { startImageUrl: fixture("/image.gif") },
      { PICASSO_WORKFLOW: failing },
    );
    await expectError(res, 500, "internal");
    expect(await storedKeys(project.id)).toEqual([]);
  });

  it("keeps one start image when concurrent requests share an Idempotency-Key", async () => {
    const project = await createProject("Ingest idempotent");
    const body = { sessionId: session(), prompt: "same", startImageUrl: fixture("/image.webp") };
    const headers = { "Idempotency-Key": `ingest-${Date.now()}` };
    const [a, b] = await Promise.all([
      submit(project.id, body, {}, headers),
      submit(project.id, body, {}, headers),
    ]);
    const [jobA, jobB] = await Promise.all([jobIdOf(a), jobIdOf(b)]);
    expect(jobA).toBe(jobB);
    await untilFinished(jobA);
    const keys = await storedKeys(project.id);
    expect(keys).toContain(`project/${project.id}/jobs/${jobA}/start`);
    // The loser of the race ingested under its own job id and removed its copy again.
    expect(keys.filter((k) => !k.startsWith(`project/${project.id}/jobs/${jobA}/`))).toEqual([]);
  });
});
