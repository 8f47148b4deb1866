/**
 * Deletion: a project with finished jobs, a running one, a published lookbook, views and agent
 * memories is gone afterwards — 0 D1 rows and 0 R2 objects of it remain (counted in the local
 * state), its public page is 404 at once; an artifact, an image and a comment can be deleted alone.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { AppEnv } from "../../src/lib/env";
import { call, createOwner, createProject, expectError, waitFor } from "../helpers";

const appEnv = env as unknown as AppEnv;
let n = 0;
const ip = () => `198.51.100.${(n++ % 200) + 1}`;
const session = () => `deletion-session-${Date.now()}-${n++}`;

interface Accepted {
  jobId: string;
}
interface Job {
  status: string;
  tasks: { progressionId?: string }[];
}

async function runJob(projectId: string, variants = 2, key?: string): Promise<Job & { jobId: string }> {
  const res = await call(`/api/projects/${projectId}/jobs`, {
    method: "POST",
    key,
    body: { prompt: `a red kite over dunes ${n++}`, providers: ["local"], variants, sessionId: session() },
    headers: { "cf-connecting-ip": ip() },
  });
  expect(res.status).toBe(202);
  const { jobId } = (await res.json()) as Accepted;
  const job = await waitFor("the job to end", async () => {
    const body = (await (await call(`/api/jobs/${jobId}`, { key })).json()) as Job;
    return body.status === "complete" || body.status === "failed" ? body : undefined;
  });
  return { ...job, jobId };
}

/** Every D1 row that names the project, directly or through its jobs, progressions and artifacts. */
async function rowsOf(projectId: string, artifactIds: string[]): Promise<Record<string, number>> {
  const ids = JSON.stringify(artifactIds);
  const count = async (sql: string, ...args: unknown[]) =>
    (
      await appEnv.DB.prepare(sql)
        .bind(...args)
        .first<{ n: number }>()
    )?.n ?? 0;
  return {
    projects: await count("SELECT COUNT(*) AS n FROM projects WHERE id = ?", projectId),
    jobs: await count("SELECT COUNT(*) AS n FROM jobs WHERE project_id = ?", projectId),
    tasks: await count(
      "SELECT COUNT(*) AS n FROM job_tasks WHERE job_id NOT IN (SELECT id FROM jobs) OR job_id IN (SELECT id FROM jobs WHERE project_id = ?)",
      projectId,
    ),
    progressions: await count("SELECT COUNT(*) AS n FROM image_progressions WHERE project_id = ?", projectId),
    fingerprints: await count(
      "SELECT COUNT(*) AS n FROM image_fingerprints WHERE progression_id NOT IN (SELECT id FROM image_progressions)",
    ),
    idempotency: await count("SELECT COUNT(*) AS n FROM idempotency_keys WHERE project_id = ?", projectId),
    links: await count("SELECT COUNT(*) AS n FROM project_artifacts WHERE project_id = ?", projectId),
    artifacts: await count(
      "SELECT COUNT(*) AS n FROM artifacts WHERE id IN (SELECT value FROM json_each(?))",
      ids,
    ),
    configurations: await count(
      "SELECT COUNT(*) AS n FROM artifact_configurations WHERE artifact_id IN (SELECT value FROM json_each(?))",
      ids,
    ),
    views: await count(
      "SELECT COUNT(*) AS n FROM artifact_views WHERE artifact_id IN (SELECT value FROM json_each(?))",
      ids,
    ),
  };
}

async function objectsOf(prefixes: string[]): Promise<number> {
  let total = 0;
  for (const prefix of prefixes) total += (await appEnv.BUCKET.list({ prefix })).objects.length;
  return total;
}

describe("DELETE /api/projects/:id", () => {
  it("removes every row and object of the project, its public page at once, and reports progress", async () => {
    const project = await createProject("Doomed");
    const done = await runJob(project.id, 2);
    const lookbook = (await (
      await call(`/api/projects/${project.id}/artifacts/lookbook`, { method: "POST", body: {} })
    ).json()) as { id: string; publicUrl: string; publicSlug: string };
    const publicPath = new URL(lookbook.publicUrl).pathname;
    expect((await call(publicPath, { key: null })).status).toBe(200);
    await appEnv.DB.prepare(
      "INSERT INTO artifact_views (id, artifact_id, timestamp, ip_address, country, city, user_agent) VALUES (?, ?, ?, '203.0.113.9', 'FR', NULL, 'test')",
    )
      .bind(`view-${n++}`, lookbook.id, Date.now())
      .run();
    await appEnv.AGENTIC_MEMORIES.put(`artifact:${lookbook.id}:session:s1`, JSON.stringify({ turns: [] }));
    // One more job, still running when the delete arrives.
    const running = await call(`/api/projects/${project.id}/jobs`, {
      method: "POST",
      body: { prompt: "still running", providers: ["local"], variants: 3, sessionId: session() },
      headers: { "cf-connecting-ip": ip() },
    });
    expect(running.status).toBe(202);
    const prefixes = [
      `project/${project.id}/`,
      `renditions/project/${project.id}/`,
      `artifacts/${lookbook.id}/`,
    ];
    expect(await objectsOf(prefixes)).toBeGreaterThan(0);

    const res = await call(`/api/projects/${project.id}`, { method: "DELETE" });
    expect(res.status).toBe(202);
    const accepted = (await res.json()) as { id: string; status: string; statusUrl: string };
    expect(accepted).toMatchObject({ id: project.id, statusUrl: `/api/deletions/${project.id}` });

    // At once: 404 for the project, what is under it, and the public page.
    await expectError(await call(`/api/projects/${project.id}`), 404, "not_found");
    await expectError(await call(`/api/jobs/${done.jobId}`), 404, "not_found");
    await expectError(await call(`/api/progressions/${done.tasks[0]?.progressionId}`), 404, "not_found");
    expect((await call(publicPath, { key: null })).status).toBe(404);
    expect((await call(`/images/${done.tasks[0]?.progressionId}`, { key: null })).status).toBe(404);
    const projects = (await (await call("/api/projects?limit=100")).json()) as { projects: { id: string }[] };
    expect(projects.projects.map((p) => p.id)).not.toContain(project.id);

    // Repeating it is the same deletion.
    const again = await call(`/api/projects/${project.id}`, { method: "DELETE" });
    expect(again.status).toBe(202);
    expect(((await again.json()) as { id: string }).id).toBe(project.id);

    const finished = await waitFor(
      "the deletion to complete",
      async () => {
        const body = (await (await call(accepted.statusUrl)).json()) as {
          status: string;
          removed: { rows: number; objects: number };
        };
        return body.status === "complete" ? body : undefined;
      },
      60_000,
    );
    expect(finished.removed.rows).toBeGreaterThan(0);
    expect(finished.removed.objects).toBeGreaterThan(0);
    expect(Object.values(await rowsOf(project.id, [lookbook.id])).every((v) => v === 0)).toBe(true);
    expect(await rowsOf(project.id, [lookbook.id])).toEqual({
      projects: 0,
      jobs: 0,
      tasks: 0,
      progressions: 0,
      fingerprints: 0,
      idempotency: 0,
      links: 0,
      artifacts: 0,
      configurations: 0,
      views: 0,
    });
    expect(await objectsOf(prefixes)).toBe(0);
    expect((await appEnv.AGENTIC_MEMORIES.list({ prefix: `artifact:${lookbook.id}:` })).keys).toEqual([]);
    expect((await call(publicPath, { key: null })).status).toBe(404);
  }, 90_000);

  it("answers 404 for an unknown project and for another owner's (which stays untouched)", async () => {
    const other = await createOwner();
    const project = await createProject("Not yours");
    await expectError(
      await call(`/api/projects/${project.id}`, { method: "DELETE", key: other.key }),
      404,
      "not_found",
    );
    await expectError(
      await call("/api/projects/unknownunknownunknown1", { method: "DELETE" }),
      404,
      "not_found",
    );
    await expectError(await call(`/api/deletions/${project.id}`), 404, "not_found");
    expect((await call(`/api/projects/${project.id}`)).status).toBe(200);
  });

  it("needs the write scope and a key", async () => {
    const project = await createProject("Guarded");
    const reader = await call("/api/keys", { method: "POST", body: { name: "r", scopes: ["read"] } });
    const { key } = (await reader.json()) as { key: string };
    await expectError(await call(`/api/projects/${project.id}`, { method: "DELETE", key }), 403, "forbidden");
    await expectError(
      await call(`/api/projects/${project.id}`, { method: "DELETE", key: null }),
      401,
      "unauthorized",
    );
    expect((await call(`/api/projects/${project.id}`)).status).toBe(200);
  });
});

describe("DELETE /api/progressions/:id and /api/artifacts/:id", () => {
  it("removes one image (original, renditions, fingerprint), re-links its children, and keeps a shared original", async () => {
    const project = await createProject("One image");
    const job = await runJob(project.id, 1);
    const id = job.tasks[0]?.progressionId as string;
    const source = (await (await call(`/api/progressions/${id}`)).json()) as { originalImageR2Key: string };
    expect((await call(`/images/${id}?w=64`, { key: null })).status).toBe(200);
    // A rollback child shares the original.
    const child = (await (
      await call(`/api/progressions/${id}/rollback`, { method: "POST", body: {} })
    ).json()) as { id: string };

    const res = await call(`/api/progressions/${id}`, { method: "DELETE" });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id, deleted: true });
    await expectError(await call(`/api/progressions/${id}`), 404, "not_found");
    expect((await call(`/images/${id}`, { key: null })).status).toBe(404);
    const fp = await appEnv.DB.prepare(
      "SELECT COUNT(*) AS n FROM image_fingerprints WHERE progression_id = ?",
    )
      .bind(id)
      .first<{ n: number }>();
    expect(fp?.n).toBe(0);
    const kept = (await (await call(`/api/progressions/${child.id}`)).json()) as {
      parentProgressionId: string | null;
    };
    expect(kept.parentProgressionId).toBeNull();
    // The child still uses the original: it stays until the child goes too.
    expect(await appEnv.BUCKET.head(source.originalImageR2Key)).not.toBeNull();
    expect((await call(`/api/progressions/${child.id}`, { method: "DELETE" })).status).toBe(200);
    expect(await appEnv.BUCKET.head(source.originalImageR2Key)).toBeNull();
    expect(await objectsOf([`renditions/${source.originalImageR2Key}/`])).toBe(0);
    await expectError(await call(`/api/progressions/${id}`, { method: "DELETE" }), 404, "not_found");
  }, 60_000);

  it("unpublishes an artifact at once and removes its content and rows", async () => {
    const project = await createProject("Page");
    await runJob(project.id, 1);
    const lookbook = (await (
      await call(`/api/projects/${project.id}/artifacts/lookbook`, { method: "POST", body: {} })
    ).json()) as { id: string; publicUrl: string };
    const path = new URL(lookbook.publicUrl).pathname;
    expect((await call(path, { key: null })).status).toBe(200);
    const other = await createOwner();
    await expectError(
      await call(`/api/artifacts/${lookbook.id}`, { method: "DELETE", key: other.key }),
      404,
      "not_found",
    );
    const res = await call(`/api/artifacts/${lookbook.id}`, { method: "DELETE" });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: lookbook.id, deleted: true });
    expect((await call(path, { key: null })).status).toBe(404);
    await expectError(await call(`/api/artifacts/${lookbook.id}`), 404, "not_found");
    expect(await objectsOf([`artifacts/${lookbook.id}/`])).toBe(0);
    expect((await call(`/api/projects/${project.id}`)).status).toBe(200);
  }, 60_000);
});
