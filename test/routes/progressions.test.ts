import { describe, expect, it } from "vitest";
import { seedProgression } from "../fixtures";
import { call, createProject, expectError } from "../helpers";

interface ApiProgression {
  id: string;
  projectId: string;
  parentProgressionId: string | null;
  prompt: string;
  provider: string;
  judgment: string | null;
  aiTags: string[];
  aiNotes: string[];
  originalImageR2Key: string;
  generatedImageUrl: string;
  createdAt: number;
}
interface Page {
  progressions: ApiProgression[];
  nextCursor: string | null;
}

async function listIds(projectId: string, qs = ""): Promise<string[]> {
  const res = await call(`/api/projects/${projectId}/progressions${qs}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as Page).progressions.map((p) => p.prompt);
}

describe("GET /api/projects/:id/progressions", () => {
  it("filters by query, tags (JSON or comma list), judgment and provider, newest first", async () => {
    const project = await createProject();
    const t = 1_700_000_000_000;
    await seedProgression(project.id, {
      prompt: "Warm Portrait of a cat",
      aiTags: ["portrait", "warm"],
      judgment: "pass",
      createdAt: t + 1,
    });
    await seedProgression(project.id, {
      prompt: "cold landscape",
      aiTags: ["landscape"],
      aiNotes: ["very CAT-like clouds"],
      judgment: "fail",
      createdAt: t + 2,
    });
    await seedProgression(project.id, {
      prompt: "warm landscape",
      aiTags: ["landscape", "warm"],
      provider: "openai",
      createdAt: t + 3,
    });
    const other = await createProject();
    await seedProgression(other.id, { prompt: "cat elsewhere", aiTags: ["portrait", "warm"] });

    expect(await listIds(project.id)).toEqual(["warm landscape", "cold landscape", "Warm Portrait of a cat"]);
    expect(await listIds(project.id, "?query=CAT")).toEqual(["cold landscape", "Warm Portrait of a cat"]);
    expect(await listIds(project.id, `?tags=${encodeURIComponent('["portrait","warm"]')}`)).toEqual([
      "Warm Portrait of a cat",
    ]);
    expect(await listIds(project.id, "?tags=warm,landscape")).toEqual(["warm landscape"]);
    expect(await listIds(project.id, "?judgment=fail")).toEqual(["cold landscape"]);
    expect(await listIds(project.id, "?provider=openai")).toEqual(["warm landscape"]);
    expect(await listIds(project.id, "?query=100%25")).toEqual([]);
  });

  it("pages with a cursor without repeats", async () => {
    const project = await createProject();
    for (let i = 0; i < 5; i++)
      await seedProgression(project.id, { prompt: `p${i}`, createdAt: 1_700_000_000_000 });
    const first = (await (await call(`/api/projects/${project.id}/progressions?limit=3`)).json()) as Page;
    expect(first.progressions).toHaveLength(3);
    const second = (await (
      await call(`/api/projects/${project.id}/progressions?limit=3&cursor=${first.nextCursor}`)
    ).json()) as Page;
    expect(second.progressions).toHaveLength(2);
    expect(second.nextCursor).toBeNull();
    const all = [...first.progressions, ...second.progressions].map((p) => p.id);
    expect(new Set(all).size).toBe(5);
  });

  it("rejects bad filters and answers 404 for an unknown project", async () => {
    const project = await createProject();
    const judgment = await expectError(
      await call(`/api/projects/${project.id}/progressions?judgment=maybe`),
      400,
      "invalid_request",
    );
    expect(judgment.error.message).toMatch(/^judgment: /);
    const tags = await expectError(
      await call(`/api/projects/${project.id}/progressions?tags=${encodeURIComponent("[1,2")}`),
      400,
      "invalid_request",
    );
    expect(tags.error.message).toMatch(/^tags: /);
    await expectError(await call("/api/projects/nope-nope-nope/progressions"), 404, "not_found");
  });
});

describe("GET /api/progressions/:id", () => {
  it("returns the contract's shape", async () => {
    const project = await createProject();
    const seeded = await seedProgression(project.id, { aiTags: ["blue"], aiNotes: ["contrast 40"] });
    const res = await call(`/api/progressions/${seeded.id}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      id: seeded.id,
      projectId: project.id,
      parentProgressionId: null,
      jobId: null,
      provider: "local",
      aiTags: ["blue"],
      aiNotes: ["contrast 40"],
      originalImageR2Key: seeded.originalImageR2Key,
      generatedImageUrl: seeded.generatedImageUrl,
    });
    expect(body).not.toHaveProperty("taskId");
  });

  it("answers 404 for an unknown id", async () => {
    expect(
      (await expectError(await call("/api/progressions/missing-progression"), 404, "not_found")).error
        .message,
    ).toBe("progression not found");
  });
});

describe("POST /api/progressions/:id/rollback", () => {
  it("creates a new head whose parent is the step and whose image is that step's image", async () => {
    const project = await createProject();
    const base = await seedProgression(project.id, { prompt: "v1" });
    await seedProgression(project.id, { prompt: "v2", parentProgressionId: base.id });
    const res = await call(`/api/progressions/${base.id}/rollback`, { method: "POST", body: {} });
    expect(res.status).toBe(201);
    const head = (await res.json()) as ApiProgression;
    expect(head).toMatchObject({
      parentProgressionId: base.id,
      prompt: "v1",
      originalImageR2Key: base.originalImageR2Key,
    });
    expect(head.id).not.toBe(base.id);
    expect(head.generatedImageUrl).toBe(`http://picasso.test/images/${head.id}`);
    expect((await listIds(project.id))[0]).toBe("v1");
    const image = await call(`/images/${head.id}?format=png`);
    expect(image.status).toBe(200);
  });

  it("answers 404 for an unknown progression and 401 without a key", async () => {
    await expectError(
      await call("/api/progressions/missing-one/rollback", { method: "POST", body: {} }),
      404,
      "not_found",
    );
    await expectError(
      await call("/api/progressions/missing-one/rollback", { method: "POST", body: {}, key: null }),
      401,
      "unauthorized",
    );
  });
});

describe("GET /images/:progressionId", () => {
  it("serves renditions with caching headers, ETag/304 and Accept-based format", async () => {
    const project = await createProject();
    const seeded = await seedProgression(project.id);
    const res = await call(`/images/${seeded.id}?w=64&h=64&fit=cover&format=png`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("image/png");
    expect(res.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect([...bytes.slice(1, 4)].map((b) => String.fromCharCode(b)).join("")).toBe("PNG");
    const etag = res.headers.get("etag");
    expect(etag).toMatch(/^".+"$/);

    const again = await call(`/images/${seeded.id}?w=64&h=64&fit=cover&format=png`, {
      headers: { "if-none-match": etag ?? "" },
    });
    expect(again.status).toBe(304);

    const avif = await call(`/images/${seeded.id}?w=32`, {
      headers: { accept: "image/avif,image/webp,*/*" },
    });
    expect(avif.headers.get("content-type")).toBe("image/avif");
    expect(avif.headers.get("vary")).toBe("Accept");
    const plain = await call(`/images/${seeded.id}?w=32`, { headers: { accept: "*/*" } });
    expect(plain.headers.get("content-type")).toBe("image/png");
    expect(plain.headers.get("etag")).not.toBe(avif.headers.get("etag"));
  });

  it("rejects bad parameters and unknown ids", async () => {
    const project = await createProject();
    const seeded = await seedProgression(project.id);
    expect(
      (await expectError(await call(`/images/${seeded.id}?w=0`), 400, "invalid_request")).error.message,
    ).toMatch(/^w: /);
    expect(
      (await expectError(await call(`/images/${seeded.id}?format=gif`), 400, "invalid_request")).error
        .message,
    ).toMatch(/^format: /);
    await expectError(await call(`/images/${seeded.id}?fit=stretch`), 400, "invalid_request");
    await expectError(await call("/images/unknown-image-id"), 404, "not_found");
  });
});
