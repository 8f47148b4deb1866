import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, createProject, expectError } from "../helpers";

interface ProjectBody {
  id: string;
  name: string;
  description: string | null;
  createdAt: number;
  updatedAt: number;
}
interface ListBody {
  projects: ProjectBody[];
  nextCursor: string | null;
}

describe("POST /api/projects", () => {
  it("creates a project and returns it", async () => {
    const before = Date.now();
    const res = await call("/api/projects", {
      method: "POST",
      body: { name: "  Autumn  ", description: "Warm" },
    });
    expect(res.status).toBe(201);
    const body = (await res.json()) as ProjectBody;
    expect(body).toMatchObject({ name: "Autumn", description: "Warm" });
    expect(body.id).toMatch(/^[A-Za-z0-9_-]{21}$/);
    expect(body.createdAt).toBeGreaterThanOrEqual(before);
    expect(body.updatedAt).toBe(body.createdAt);
    const row = await env.DB.prepare("SELECT name FROM projects WHERE id = ?").bind(body.id).first();
    expect(row).toEqual({ name: "Autumn" });
  });

  it("rejects a missing name with the issues in details", async () => {
    const res = await call("/api/projects", { method: "POST", body: { description: "no name" } });
    const body = await expectError(res, 400, "invalid_request");
    expect(body.error.message).toMatch(/^name: /);
    expect(body.error.details).toEqual([expect.objectContaining({ path: ["name"] })]);
  });

  it("rejects names over 200 characters and descriptions over 2000", async () => {
    await expectError(
      await call("/api/projects", { method: "POST", body: { name: "x".repeat(201) } }),
      400,
      "invalid_request",
    );
    await expectError(
      await call("/api/projects", { method: "POST", body: { name: "ok", description: "d".repeat(2001) } }),
      400,
      "invalid_request",
    );
  });

  it("requires an API key and writes nothing without one", async () => {
    const count = async () =>
      (await env.DB.prepare("SELECT COUNT(*) AS n FROM projects").first<{ n: number }>())?.n;
    const before = await count();
    const res = await call("/api/projects", { method: "POST", body: { name: "nope" }, key: null });
    const body = await expectError(res, 401, "unauthorized");
    expect(body.error.message).toBe("Missing X-Api-Key header");
    expect(await count()).toBe(before);
  });
});

describe("GET /api/projects/:id", () => {
  it("returns the project", async () => {
    const created = await createProject("Read me", "desc");
    const res = await call(`/api/projects/${created.id}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(created);
  });

  it("answers 404 for an unknown id", async () => {
    const body = await expectError(await call("/api/projects/unknownunknownunknown1"), 404, "not_found");
    expect(body.error.message).toBe("project not found");
  });

  it("needs a key: none or a wrong one is 401, and the body names no project", async () => {
    const created = await createProject("Secret launch");
    for (const key of [null, "wrong"]) {
      const res = await call(`/api/projects/${created.id}`, { key });
      const body = await expectError(res, 401, "unauthorized");
      expect(JSON.stringify(body)).not.toContain("Secret launch");
    }
  });
});

describe("PATCH /api/projects/:id", () => {
  it("updates fields and moves updatedAt forward", async () => {
    const created = await createProject("Before", "old");
    const res = await call(`/api/projects/${created.id}`, { method: "PATCH", body: { name: "After" } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as ProjectBody;
    expect(body).toMatchObject({
      id: created.id,
      name: "After",
      description: "old",
      createdAt: created.createdAt,
    });
    expect(body.updatedAt).toBeGreaterThan(created.updatedAt);

    // Two patches in quick succession still move it strictly forward.
    const again = (await (
      await call(`/api/projects/${created.id}`, { method: "PATCH", body: { description: null } })
    ).json()) as ProjectBody;
    expect(again.description).toBeNull();
    expect(again.name).toBe("After");
    expect(again.updatedAt).toBeGreaterThan(body.updatedAt);
  });

  it("needs at least one field", async () => {
    const created = await createProject();
    const body = await expectError(
      await call(`/api/projects/${created.id}`, { method: "PATCH", body: {} }),
      400,
      "invalid_request",
    );
    expect(body.error.message).toContain("at least one of name, description");
  });

  it("answers 404 for an unknown project", async () => {
    await expectError(
      await call("/api/projects/nope-nope-nope", { method: "PATCH", body: { name: "x" } }),
      404,
      "not_found",
    );
  });

  it("requires the API key", async () => {
    const created = await createProject("Keep");
    await expectError(
      await call(`/api/projects/${created.id}`, { method: "PATCH", body: { name: "x" }, key: "bad" }),
      401,
      "unauthorized",
    );
    const after = (await (await call(`/api/projects/${created.id}`)).json()) as ProjectBody;
    expect(after.name).toBe("Keep");
  });
});

describe("GET /api/projects pagination", () => {
  it("pages newest first without skipping or repeating rows that share a timestamp", async () => {
    await env.DB.prepare("DELETE FROM projects").run();
    const stmt = env.DB.prepare(
      "INSERT INTO projects (id, name, description, created_at, updated_at) VALUES (?, ?, NULL, ?, ?)",
    );
    const rows = Array.from({ length: 25 }, (_, i) => {
      // Three timestamps, many rows each: ties are the hard case for cursors.
      const t = 1_700_000_000_000 + (i % 3);
      return stmt.bind(`p${String(i).padStart(3, "0")}`, `P${i}`, t, t);
    });
    await env.DB.batch(rows);

    const seen: ProjectBody[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const qs: string = cursor ? `?limit=4&cursor=${encodeURIComponent(cursor)}` : "?limit=4";
      const res = await call(`/api/projects${qs}`);
      expect(res.status).toBe(200);
      const page = (await res.json()) as ListBody;
      expect(page.projects.length).toBeLessThanOrEqual(4);
      seen.push(...page.projects);
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 20);

    expect(pages).toBe(7);
    expect(seen).toHaveLength(25);
    expect(new Set(seen.map((p) => p.id)).size).toBe(25);
    const order = seen.map((p) => [p.updatedAt, p.id] as const);
    const sorted = [...order].sort((a, b) => b[0] - a[0] || (a[1] < b[1] ? 1 : -1));
    expect(order).toEqual(sorted);
  });

  it("defaults to 20 and reports no next cursor on the last page", async () => {
    const res = await call("/api/projects");
    const body = (await res.json()) as ListBody;
    expect(res.status).toBe(200);
    expect(body.projects.length).toBeLessThanOrEqual(20);
  });

  it("rejects a bad limit and a forged cursor", async () => {
    const limit = await expectError(await call("/api/projects?limit=101"), 400, "invalid_request");
    expect(limit.error.message).toMatch(/^limit: /);
    const cursor = await expectError(await call("/api/projects?cursor=not-a-cursor"), 400, "invalid_request");
    expect(cursor.error.message).toBe("cursor: Invalid cursor");
  });
});
