/**
 * The document artifacts (reel, benchmark, lineage map, recipe card, knowledge pack, replay script,
 * archive manifest, PDF) built from one project with real local jobs: a failed provider, a
 * continue-from (a variation with a hostile prompt), a rollback and a judge-driven retry (the first
 * verdict forced to fail through workflow introspection; the retry runs for real). Every output is
 * read back from its public URL and parsed. The replay itself runs in test/node/seed-replay.test.mjs.
 */
import { introspectWorkflow } from "cloudflare:test";
import { env as workerEnv } from "cloudflare:workers";
import { parse } from "csv-parse/sync";
import { GifReader } from "omggif";
import { PDFDict, PDFDocument, PDFName, PDFRawStream, StandardFonts } from "pdf-lib";
import { beforeAll, describe, expect, it } from "vitest";
import { rgbaRendition } from "../../src/agents/tools/images";
import { KnowledgePackSchema } from "../../src/artifacts/knowledge-pack/schema";
import { PromptLineageMapSchema } from "../../src/artifacts/prompt-lineage-map/schema";
import { PromptRecipeCardSchema } from "../../src/artifacts/prompt-recipe-card/schema";
import { ProviderBenchmarkSchema } from "../../src/artifacts/provider-benchmark/schema";
import { csvCell } from "../../src/artifacts/r2-archive-manifest/csv";
import { shellQuote } from "../../src/artifacts/seed-replay-script/generator";
import { drawable, wrap } from "../../src/artifacts/stakeholder-pdf/text";
import type { AppEnv } from "../../src/lib/env";
import { judgedGeneration } from "../fixtures";
import { call, createProject } from "../helpers";

const env = workerEnv as unknown as AppEnv;

const HOSTILE_PROMPT = `Dusk '; rm -rf /; ' $(touch /tmp/pwned) \`id\` "quoted" <script>alert(1)</script>\nsecond line`;
const HOSTILE_NAME = `=HYPERLINK("x") '; rm -rf /; ' <img src=x onerror=alert(1)>`;
const HOSTILE_TITLE = "Review 🎨 画家 → “Q3” <script>";

interface TaskView {
  provider: string;
  variantIndex: number;
  attempt?: number;
  status: string;
  progressionId?: string;
  judgment?: string;
  skipped?: string;
}

let counter = 0;
async function runJob(projectId: string, body: Record<string, unknown>): Promise<TaskView[]> {
  const res = await call(`/api/projects/${projectId}/jobs`, {
    method: "POST",
    body: { sessionId: `docs-${Date.now()}-${counter++}`, providers: ["local"], ...body },
    headers: { "cf-connecting-ip": `203.0.113.${counter}` },
  });
  const accepted = (await res.json()) as { jobId: string };
  expect(res.status, JSON.stringify(accepted)).toBe(202);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const status = (await (await call(`/api/jobs/${accepted.jobId}`)).json()) as {
      finishedAt: number | null;
      tasks: TaskView[];
    };
    if (status.finishedAt !== null) return status.tasks;
    if (Date.now() > deadline) throw new Error(`job ${accepted.jobId} did not finish`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const fixture = {
  projectId: "",
  progressions: 0,
  rollbackId: "",
  retryParent: "",
  artifactKeys: [] as string[],
  /** Every task of every job, as the job status reported it. */
  tasks: [] as TaskView[],
  /** Images of the variation job (the one with the hostile prompt). */
  variationImages: 0,
};
const localTasks = () => fixture.tasks.filter((t) => t.provider === "local");
const judged = () => localTasks().filter((t) => t.judgment !== undefined);

/** Creates an artifact of `type`, asserts it published, and returns its public body and headers. */
async function publish(type: string, options?: Record<string, unknown>) {
  const res = await call("/api/artifacts", {
    method: "POST",
    body: { type, title: HOSTILE_TITLE, projectIds: [fixture.projectId], ...(options ? { options } : {}) },
  });
  const artifact = (await res.json()) as {
    status: string;
    publicUrl: string;
    contentR2Key: string;
  };
  expect(res.status, JSON.stringify(artifact)).toBe(201);
  expect(artifact.status).toBe("published");
  fixture.artifactKeys.push(artifact.contentR2Key);
  const page = await call(new URL(artifact.publicUrl).pathname, { key: null });
  expect(page.status).toBe(200);
  expect(page.headers.get("etag")).toBeTruthy();
  return { artifact, page, bytes: new Uint8Array(await page.arrayBuffer()) };
}

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

beforeAll(async () => {
  const project = await createProject(HOSTILE_NAME, "Launch review\n$(whoami) `uname`");
  fixture.projectId = project.id;
  // A failed provider (openai has no key here) beside two local variants.
  const first = await runJob(project.id, {
    prompt: "a teal lighthouse at dusk, gold sky",
    providers: ["local", "openai"],
    variants: 2,
  });
  expect(first.filter((t) => t.status === "failed")).toHaveLength(2);
  const head = first.find((t) => t.provider === "local" && t.variantIndex === 0)?.progressionId ?? "";
  // Continue-from: a variation of the first image (its original is the start image).
  const variation = await runJob(project.id, {
    prompt: HOSTILE_PROMPT,
    kind: "variation",
    variants: 2,
    autoRetry: 1,
    parentProgressionId: head,
  });
  const rollback = await call(`/api/progressions/${head}/rollback`, { method: "POST", body: {} });
  expect(rollback.status).toBe(201);
  fixture.rollbackId = ((await rollback.json()) as { id: string }).id;
  // A judge-driven retry that makes a new image: the first verdict is forced to fail.
  await using introspector = await introspectWorkflow(env.PICASSO_WORKFLOW);
  const forced = await judgedGeneration(
    project.id,
    {
      judgment: "fail",
      notes: ["Contrast 3.0 (min 12): too flat."],
      tags: ["low-contrast"],
      retrySuggestion: "Add a clear subject and lighting contrast",
      judgeMeta: { judge: "heuristic", mode: "offline" },
    },
    "ffffffffffffffff",
  );
  await introspector.modifyAll(async (m) => {
    await m.mockStepResult({ name: "generate local#0" }, forced);
  });
  const retried = await runJob(project.id, {
    prompt: "a quiet harbour at noon, teal and gold",
    autoRetry: 1,
    parentProgressionId: fixture.rollbackId,
  });
  expect(retried.map((t) => t.attempt ?? 0)).toEqual([0, 1]);
  fixture.retryParent = retried[0]?.progressionId ?? "";
  fixture.tasks = [...first, ...variation, ...retried];
  fixture.variationImages = variation.filter((t) => t.progressionId).length;
  const list = (await (await call(`/api/projects/${project.id}/progressions?limit=100`)).json()) as {
    progressions: unknown[];
  };
  fixture.progressions = list.progressions.length;
  expect(fixture.progressions).toBe(fixture.tasks.filter((t) => t.progressionId).length + 1);
}, 120_000);

describe("JSON documents", () => {
  it("prompt-lineage-map: every progression a node, parents first, every link a typed edge", async () => {
    const { page, bytes } = await publish("prompt-lineage-map");
    expect(page.headers.get("content-type")).toBe("application/json; charset=utf-8");
    const map = PromptLineageMapSchema.parse(JSON.parse(text(bytes)));
    expect(map.nodes).toHaveLength(fixture.progressions);
    const position = new Map(map.nodes.map((n, i) => [n.id, i]));
    for (const node of map.nodes) {
      if (node.parentId) expect(position.get(node.parentId)).toBeLessThan(position.get(node.id) ?? -1);
    }
    expect(map.edges).toHaveLength(map.nodes.filter((n) => n.parentId).length);
    expect(new Set(map.edges.map((e) => e.kind))).toEqual(new Set(["continue", "rollback", "retry"]));
    expect(map.edges.find((e) => e.to === fixture.rollbackId)?.kind).toBe("rollback");
    expect(map.edges.filter((e) => e.kind === "retry").map((e) => e.from)).toEqual([fixture.retryParent]);
    expect(map.nodes.filter((n) => n.prompt === HOSTILE_PROMPT).length).toBe(fixture.variationImages);
  });

  it("provider-benchmark: counts, pass rate, latency percentiles and failures by cause per provider", async () => {
    const { bytes } = await publish("provider-benchmark");
    const doc = ProviderBenchmarkSchema.parse(JSON.parse(text(bytes)));
    const openai = doc.providers.find((p) => p.provider === "openai");
    expect(openai).toMatchObject({ tasks: 2, completed: 0, failed: 2, passRate: null });
    expect(openai?.failuresByKind).toEqual({ not_configured: 2 });
    const local = doc.providers.find((p) => p.provider === "local");
    expect(local).toMatchObject({
      tasks: localTasks().length,
      completed: localTasks().filter((t) => t.status === "complete").length,
      failed: 0,
      skipped: localTasks().filter((t) => t.skipped === "duplicate").length,
    });
    expect((local?.judged.pass ?? 0) + (local?.judged.fail ?? 0)).toBe(judged().length);
    expect(local?.passRate).toBeGreaterThan(0);
    expect(local?.passRate).toBeLessThan(1);
    expect(local?.latencyMs.p50).toBeGreaterThanOrEqual(0);
    expect(local?.latencyMs.p95).toBeGreaterThanOrEqual(local?.latencyMs.p50 ?? 0);
    expect(local?.models).toEqual({ "local-svg-v3": judged().length });
    // Cost per image, from the tasks' estimates: local costs nothing.
    expect(local?.costUsd).toEqual({ total: 0, perImage: 0 });
    expect(doc.generatedAt).toBeGreaterThan(Date.now() - 60_000);
  });

  it("prompt-recipe-card and knowledge-pack: recipes per image and the tips they applied", async () => {
    const recipes = PromptRecipeCardSchema.parse(
      JSON.parse(text((await publish("prompt-recipe-card")).bytes)),
    );
    expect(recipes.recipes).toHaveLength(fixture.progressions);
    const variation = recipes.recipes.filter((r) => r.kind === "variation");
    expect(variation.length).toBe(fixture.variationImages);
    expect(variation[0]?.continuedFrom).toBeTruthy();
    const retry = recipes.recipes.find((r) => r.link === "retry");
    expect(retry).toMatchObject({ attempt: 1, model: "local-svg-v3", continuedFrom: fixture.rollbackId });
    expect(retry?.refinedPrompt).toContain("Add a clear subject and lighting contrast");
    expect(recipes.recipes.find((r) => r.progressionId === fixture.rollbackId)?.rollbackOf).toBeTruthy();
    expect(recipes.recipes.every((r) => r.appliedTips.includes("local.colour-words"))).toBe(true);

    const pack = KnowledgePackSchema.parse(JSON.parse(text((await publish("knowledge-pack")).bytes)));
    const tip = pack.tips.find((t) => t.key === "local.colour-words");
    expect(tip).toMatchObject({
      provider: "local",
      applied: localTasks().length,
      jobs: 3,
      images: judged().length,
      append: "balanced palette",
    });
    expect(tip?.passRate).toBeCloseTo((tip?.passed ?? 0) / judged().length);
    // openai's refinement ran too, though its tasks failed: applied, but no image to judge.
    expect(pack.tips.find((t) => t.key === "openai.sizes")).toMatchObject({
      applied: 2,
      images: 0,
      passRate: null,
    });
  });
});

describe("seed-replay-script", () => {
  it("is plain bash + curl with every recorded value single-quoted", async () => {
    const { page, bytes } = await publish("seed-replay-script");
    expect(page.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    const script = text(bytes);
    expect(script.startsWith("#!/usr/bin/env bash\n")).toBe(true);
    expect(script).not.toMatch(/\bjq\b/);
    // The hostile prompt appears exactly once, as one single-quoted word inside the job's JSON.
    const json = JSON.stringify(HOSTILE_PROMPT).slice(1, -1);
    expect(script.split(`"prompt":"${shellQuote(json).slice(1, -1)}"`)).toHaveLength(2);
    // Outside single quotes no hostile fragment survives (double quotes and bare words expand).
    let outside = "";
    let quote: "'" | '"' | null = null;
    for (let i = 0; i < script.length; i++) {
      const c = script[i];
      if (quote === "'") {
        if (c === "'") quote = null;
      } else if (c === "\\") {
        outside += script.slice(i, i + 2);
        i++;
      } else if (c === "#" && quote === null && (i === 0 || /\s/.test(script[i - 1] ?? ""))) {
        // A comment runs to the end of its line; its apostrophes open nothing.
        const end = script.indexOf("\n", i);
        outside += script.slice(i, end < 0 ? undefined : end);
        i = end < 0 ? script.length : end - 1;
      } else if (c === "'" && quote === null) quote = "'";
      else {
        if (c === '"') quote = quote === '"' ? null : '"';
        outside += c;
      }
    }
    for (const fragment of ["rm -rf", "pwned", "alert(1)", "whoami", "uname", "HYPERLINK"]) {
      expect(outside).not.toContain(fragment);
    }
    expect(script).toContain(
      `create_project ${shellQuote(JSON.stringify({ name: HOSTILE_NAME, description: "Launch review\n$(whoami) `uname`" }))}`,
    );
    expect(script.match(/^submit_job /gm)).toHaveLength(3);
    expect(script.match(/^rollback /gm)).toHaveLength(1);
    expect(script.match(/^remember /gm)).toHaveLength(judged().length);
  });
});

describe("binary documents", () => {
  it("walkthrough-reel: an animated GIF, one frame per step, made from the originals", async () => {
    const { page, bytes } = await publish("walkthrough-reel");
    expect(page.headers.get("content-type")).toBe("image/gif");
    expect(text(bytes.slice(0, 6))).toBe("GIF89a");
    const gif = new GifReader(bytes);
    expect(gif.width).toBeGreaterThanOrEqual(128);
    expect(gif.height).toBeGreaterThanOrEqual(128);
    expect(gif.numFrames()).toBe(fixture.progressions);
    expect(gif.loopCount()).toBe(0);
    // Frame 1 is the first step's original: compare with a rendition of it, away from the bar.
    const map = PromptLineageMapSchema.parse(JSON.parse(text((await publish("prompt-lineage-map")).bytes)));
    const first = (await (await call(`/api/progressions/${map.nodes[0]?.id}`)).json()) as {
      originalImageR2Key: string;
    };
    const original = new Uint8Array(
      await ((await env.BUCKET.get(first.originalImageR2Key))?.arrayBuffer() ?? new ArrayBuffer(0)),
    );
    const expected = await rgbaRendition(env.IMAGES, original, gif.width, gif.height);
    const frame = new Uint8Array(gif.width * gif.height * 4);
    gif.decodeAndBlitFrameRGBA(0, frame);
    let diff = 0;
    const rows = gif.height - 10;
    for (let i = 0; i < gif.width * rows * 4; i += 4)
      diff += Math.abs((frame[i] ?? 0) - (expected.rgba[i] ?? 0));
    expect(diff / (gif.width * rows)).toBeLessThan(12);
    const only = await publish("walkthrough-reel", { includeFailed: false, maxImages: 3 });
    expect(new GifReader(only.bytes).numFrames()).toBe(3);
  });

  it("stakeholder-pdf: a title page, then every image embedded as a PNG with its caption", async () => {
    const { page, bytes } = await publish("stakeholder-pdf");
    expect(page.headers.get("content-type")).toBe("application/pdf");
    expect(text(bytes.slice(0, 5))).toBe("%PDF-");
    const pdf = await PDFDocument.load(bytes);
    expect(pdf.getPageCount()).toBe(1 + fixture.progressions);
    expect(pdf.getTitle()).toBe(HOSTILE_TITLE);
    const images = pdf.context
      .enumerateIndirectObjects()
      .filter(
        ([, o]) => o instanceof PDFRawStream && o.dict.get(PDFName.of("Subtype")) === PDFName.of("Image"),
      )
      .filter(([, o]) => (o as PDFRawStream).dict.get(PDFName.of("ColorSpace")) === PDFName.of("DeviceRGB"));
    // One image per distinct original: the rollback re-uses its source's embedded image.
    expect(images).toHaveLength(fixture.progressions - 1);
    // Text for the standard fonts: unencodable characters are replaced, never thrown on.
    const font = await (await PDFDocument.create()).embedFont(StandardFonts.Helvetica);
    expect(drawable(font, "Ősz → “café” 🎨 画\u0000\tend\ud800")).toBe("Osz -> “café” ? ? end?");
    expect(
      wrap(font, `${"x".repeat(300)} tail`, 10, 100).every((l) => font.widthOfTextAtSize(l, 10) <= 100),
    ).toBe(true);
    for (const p of pdf.getPages().slice(1)) {
      const xobjects = p.node.Resources()?.lookup(PDFName.of("XObject"));
      expect(xobjects instanceof PDFDict && xobjects.keys().length).toBe(1);
    }
  });
});

describe("r2-archive-manifest", () => {
  it("lists every object of the project with size, type, SHA-256 and time, safely quoted", async () => {
    const earlier = [...fixture.artifactKeys];
    const { page, bytes } = await publish("r2-archive-manifest");
    expect(page.headers.get("content-type")).toBe("text/csv; charset=utf-8; header=present");
    const body = text(bytes);
    expect(body).toMatch(/^key,size,contentType,sha256,createdAt\r\n/);
    const rows = parse(body, { columns: true }) as Record<string, string>[];
    const listed = await env.BUCKET.list({ prefix: `project/${fixture.projectId}/`, limit: 1000 });
    const keys = [...new Set([...listed.objects.map((o) => o.key), ...earlier])].sort();
    expect(rows.map((r) => r.key)).toEqual(keys);
    // Every judged image once: the forced first attempt's image is the one the test stored itself.
    const originals = rows.filter((r) => r.key?.includes("/orig/") || r.key?.includes("/fixtures/judged-"));
    expect(originals).toHaveLength(judged().length);
    const sample = rows.find((r) => r.key?.endsWith("/orig/0"));
    const object = await env.BUCKET.get(sample?.key ?? "");
    const content = await object?.arrayBuffer();
    const digest = [...new Uint8Array(await crypto.subtle.digest("SHA-256", content ?? new ArrayBuffer(0)))]
      .map((b) => b.toString(16).padStart(2, "0"))
      .join("");
    expect(sample).toEqual({
      key: sample?.key,
      size: String(content?.byteLength),
      contentType: "image/png",
      sha256: digest,
      createdAt: object?.uploaded.toISOString(),
    });
    for (const row of rows) expect(row.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect([csvCell("=1+1"), csvCell("-2"), csvCell("@x"), csvCell('a,"b"'), csvCell("+1\n2")]).toEqual([
      "'=1+1",
      "'-2",
      "'@x",
      '"a,""b"""',
      '"\'+1\n2"',
    ]);
  });
});
