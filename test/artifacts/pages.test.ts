/**
 * The HTML generators on a project made through the real job API with the `local` provider: a job
 * with a failed provider task, a continue-from, a rollback and a judge-driven auto-retry. Each page is
 * read back from its public URL: the expected images (same-origin renditions, none wider than the
 * original, made at publish time), hostile user text escaped, the CSP, and what each type is for.
 */
import { introspectWorkflow } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { dominantColours } from "../../src/artifacts/moodboard/palette";
import { PAGE_FORMAT } from "../../src/artifacts/page-images";
import { COMMENT_SCRIPT, SLIDESHOW_SCRIPT, VOTE_SCRIPT } from "../../src/artifacts/page-scripts";
import { loadProjectData } from "../../src/artifacts/project-data";
import { renditionCacheKey, renditionVariant, storedRenditionKey } from "../../src/artifacts/renditions";
import type { AppEnv } from "../../src/lib/env";
import { sha256Base64 } from "../../src/lib/hashing";
import { escapeHtml } from "../../src/lib/html";
import { judgedGeneration, seedProgression } from "../fixtures";
import { BASE, call, createProject, expectError } from "../helpers";

const appEnv = env as unknown as AppEnv;

/** User text that must never become markup or break out of an attribute. */
const HOSTILE = `<script>alert(1)</script> "><img src=x onerror=alert(1)> '; rm -rf /; ' $(touch /tmp/pwned) \`id\`\nsecond line`;

interface JobStatus {
  status: string;
  finishedAt: number | null;
  tasks: { provider: string; status: string; attempt?: number; progressionId?: string; error?: string }[];
}

let jobs = 0;
async function runJob(projectId: string, body: Record<string, unknown>): Promise<JobStatus> {
  const res = await call(`/api/projects/${projectId}/jobs`, {
    method: "POST",
    body: { sessionId: `pages-session-${Date.now()}-${jobs}`, ...body },
    headers: { "cf-connecting-ip": `198.51.100.${++jobs}` },
  });
  const accepted = (await res.json()) as { jobId: string };
  expect(res.status, JSON.stringify(accepted)).toBe(202);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const status = (await (await call(`/api/jobs/${accepted.jobId}`)).json()) as JobStatus;
    if (status.finishedAt !== null) return status;
    if (Date.now() > deadline) throw new Error(`job did not finish: ${JSON.stringify(status)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface World {
  projectId: string;
  /** Job A: two local variants (pass) and two openai tasks (not configured: failed). */
  first: string;
  second: string;
  /** Job B: an edit continuing from `first`. */
  continued: string;
  /** A rollback to `first`. */
  rollback: string;
  /** Job C: a judge-failed image and its retry. */
  judgedFailed: string;
  retried: string;
}
let world: World;
/** The step number of each progression, as every page numbers them (lineage order). */
let stepOf: (id: string) => number;

beforeAll(async () => {
  const project = await createProject(`Harbour ${HOSTILE}`, `Description ${HOSTILE}`);
  const a = await runJob(project.id, {
    prompt: `a teal lighthouse at dusk, gold sky ${HOSTILE}`,
    providers: ["local", "openai"],
    variants: 2,
  });
  const [first, second] = a.tasks.filter((t) => t.provider === "local").map((t) => t.progressionId);
  expect(a.tasks.filter((t) => t.status === "failed")).toHaveLength(2);
  const b = await runJob(project.id, {
    prompt: "the same lighthouse in a navy storm, white spray",
    providers: ["local"],
    kind: "edit",
    parentProgressionId: first,
  });
  const rollback = (await (
    await call(`/api/progressions/${first}/rollback`, { method: "POST", body: {} })
  ).json()) as { id: string };

  // The offline judge passes these compositions, so the first attempt's verdict is made a failure;
  // the retry (its own steps, "generate local#0.1") is judged for real.
  await using introspector = await introspectWorkflow(appEnv.PICASSO_WORKFLOW);
  const forced = await judgedGeneration(
    project.id,
    {
      judgment: "fail",
      notes: [`Contrast 3.0 (min 12): too flat. ${HOSTILE}`],
      tags: ["low-contrast", "dark"],
      retrySuggestion: "Add a clear subject and lighting contrast: an orange lamp in a dim room",
      judgeMeta: { judge: "heuristic", mode: "offline" },
    },
    "f0f0f0f0f0f0f0f0",
  );
  await introspector.modifyAll(async (m) => {
    await m.mockStepResult({ name: "generate local#0" }, forced);
  });
  const c = await runJob(project.id, {
    prompt: "an orange lamp in a dim room",
    providers: ["local"],
    autoRetry: 1,
  });
  const ids = (xs: (string | undefined)[]) => xs.map((x) => x ?? "");
  const [continued] = ids(b.tasks.map((t) => t.progressionId));
  const [judgedFailed, retried] = ids(c.tasks.map((t) => t.progressionId));
  world = {
    projectId: project.id,
    first: first ?? "",
    second: second ?? "",
    continued: continued ?? "",
    rollback: rollback.id,
    judgedFailed: judgedFailed ?? "",
    retried: retried ?? "",
  };
  for (const [name, id] of Object.entries(world)) expect(id, name).toMatch(/^[A-Za-z0-9_-]{10,}$/);
  const data = await loadProjectData(appEnv, [project.id]);
  stepOf = (id) => data.stepById.get(id)?.step ?? -1;
}, 120_000);

interface Published {
  id: string;
  status: string;
  publicUrl: string;
  publicSlug: string;
  missingPlaceholders: string[];
}

async function publish(
  type: string,
  options?: Record<string, unknown>,
): Promise<{ artifact: Published; html: string; res: Response }> {
  const created = await call("/api/artifacts", {
    method: "POST",
    body: { type, title: `Title ${HOSTILE}`, projectIds: [world.projectId], ...(options ? { options } : {}) },
  });
  const artifact = (await created.json()) as Published;
  expect(created.status, JSON.stringify(artifact)).toBe(201);
  expect(artifact).toMatchObject({ status: "published", missingPlaceholders: [] });
  const res = await call(new URL(artifact.publicUrl).pathname, { key: null });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
  return { artifact, html: await res.clone().text(), res };
}

/** The progression ids of the page's <img> elements, in order. */
const imageIds = (html: string): string[] =>
  [...html.matchAll(/<img\b[^>]*\bsrc="http:\/\/picasso\.test\/images\/([A-Za-z0-9_-]+)\?/g)].map(
    (m) => m[1] ?? "",
  );

/** Every rendition URL in the page (src, srcset, og:image), unescaped. */
const renditionUrls = (html: string): string[] => [
  ...new Set(
    [...html.matchAll(/http:\/\/picasso\.test\/images\/[A-Za-z0-9_-]+\?[^"\s,]+/g)].map((m) =>
      m[0].replaceAll("&amp;", "&"),
    ),
  ),
];

/** Event-handler attributes of any tag (values are stripped first: escaped text inside them is no attribute). */
const handlerAttributes = (html: string): string[] =>
  [...html.matchAll(/<[a-zA-Z][^>]*>/g)].flatMap(
    (m) => m[0].replace(/"[^"]*"|'[^']*'/g, "").match(/\son[a-z]+\s*=/gi) ?? [],
  );

/** Inline script bodies. */
const scripts = (html: string): string[] =>
  [...html.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/gi)].map((m) => m[1] ?? "");

/** What every page must satisfy: escaping, CSP, images that the worker serves and that were made at publish. */
async function expectSafePage(html: string, res: Response, trustedScript: string | null) {
  expect(html).toContain(`<title>${escapeHtml(`Title ${HOSTILE}`)}</title>`);
  expect(html).not.toContain("<script>alert(1)</script>");
  expect(html).not.toContain(`"><img src=x onerror=alert(1)>`);
  expect(handlerAttributes(html)).toEqual([]);
  expect(html).not.toContain("'; rm -rf /; '");
  expect(html).toContain(escapeHtml("'; rm -rf /; '"));

  const csp = res.headers.get("content-security-policy") ?? "";
  expect(csp).toContain("default-src 'none'");
  expect(csp).toMatch(/style-src 'sha256-[A-Za-z0-9+/=]+'/);
  expect(csp).toContain("frame-ancestors 'none'");
  expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  if (trustedScript === null) {
    expect(scripts(html)).toEqual([]);
    expect(csp).toContain("script-src 'none'");
  } else {
    // Exactly the shipped script, no user value inside, allowed by its hash and nothing else.
    expect(scripts(html)).toEqual([trustedScript]);
    expect(csp).toContain(`script-src 'sha256-${await sha256Base64(trustedScript)}'`);
    expect(csp).toContain("connect-src 'self'");
  }

  const urls = renditionUrls(html);
  expect(urls.length).toBeGreaterThan(0);
  for (const raw of urls) {
    const url = new URL(raw);
    expect(url.origin).toBe(BASE);
    const w = Number(url.searchParams.get("w"));
    // Local originals are 512 px: nothing wider is ever offered.
    expect(w).toBeGreaterThan(0);
    expect(w).toBeLessThanOrEqual(512);
    const format = url.searchParams.get("format") ?? "";
    expect(["webp", "jpeg"]).toContain(format);
    // Made at publish time and kept in R2, under the same name the /images route looks up.
    const id = url.pathname.split("/").pop() ?? "";
    const row = await appEnv.DB.prepare(
      "SELECT original_image_r2_key AS k FROM image_progressions WHERE id = ?",
    )
      .bind(id)
      .first<{ k: string }>();
    const variant = renditionVariant(row?.k ?? "", { w, format: format === "jpeg" ? "jpeg" : "webp" });
    expect(await appEnv.BUCKET.head(await storedRenditionKey(variant)), raw).not.toBeNull();
  }
  for (const raw of urls.slice(0, 4)) {
    const image = await call(new URL(raw).pathname + new URL(raw).search, { key: null });
    expect(image.status).toBe(200);
    expect(image.headers.get("content-type")).toMatch(/^image\/(webp|jpeg)$/);
    await image.arrayBuffer();
  }
}

describe("the project behind the pages", () => {
  it("has the lineage the pages show: a continue, a rollback and a retry", async () => {
    const get = async (id: string) =>
      (await (await call(`/api/progressions/${id}`)).json()) as {
        parentProgressionId: string | null;
        judgment: string;
      };
    expect((await get(world.continued)).parentProgressionId).toBe(world.first);
    expect((await get(world.rollback)).parentProgressionId).toBe(world.first);
    expect(await get(world.judgedFailed)).toMatchObject({ judgment: "fail", parentProgressionId: null });
    expect((await get(world.retried)).parentProgressionId).toBe(world.judgedFailed);
  });
});

describe("lookbook", () => {
  it("shows a rollback as 'Rollback of step N', not as a second copy of the image", async () => {
    const { html, res } = await publish("lookbook");
    await expectSafePage(html, res, null);
    const ids = imageIds(html);
    expect(ids).not.toContain(world.rollback);
    expect(ids.filter((id) => id === world.first)).toHaveLength(1);
    expect(ids).not.toContain(world.judgedFailed);
    const [rollback, first] = [stepOf(world.rollback), stepOf(world.first)];
    expect(html).toContain(
      `<article class="rollback" id="step-${rollback}"><p class="step">Step ${rollback}</p><p><a href="#step-${first}">Rollback of step ${first}</a>: that image became the head again.</p>`,
    );
    expect(html).toContain(
      `srcset="http://picasso.test/images/${world.first}?w=320&amp;format=${PAGE_FORMAT} 320w, http://picasso.test/images/${world.first}?w=512&amp;format=${PAGE_FORMAT} 512w"`,
    );
    expect(html).toContain(`width="512" height="512"`);
    expect(html).toMatch(
      /<meta property="og:image" content="http:\/\/picasso\.test\/images\/[^"]+\?w=512&amp;format=jpeg">/,
    );
  });
});

describe("storyboard", () => {
  it("orders the lineage parents first and says what changed at each step", async () => {
    const { html, res } = await publish("storyboard");
    await expectSafePage(html, res, null);
    const ids = imageIds(html);
    // Every image, failed ones included, once each; the rollback is a frame without an image.
    expect(new Set(ids)).toEqual(
      new Set([world.first, world.second, world.continued, world.judgedFailed, world.retried]),
    );
    expect(ids).toHaveLength(5);
    expect(ids.indexOf(world.first)).toBeLessThan(ids.indexOf(world.continued));
    expect(ids.indexOf(world.judgedFailed)).toBeLessThan(ids.indexOf(world.retried));
    expect(html).toContain(`Continued from step ${stepOf(world.first)} (edit)`);
    expect(html).toContain(`<del>${escapeHtml(`a teal lighthouse at dusk, gold sky ${HOSTILE}`)}</del>`);
    expect(html).toContain(`Rollback of step ${stepOf(world.first)}</a>: that image became the head again`);
    expect(html).toContain(`Judge-driven retry of step ${stepOf(world.judgedFailed)} (attempt 1)`);
    expect(html).toContain(
      "The judge asked: Add a clear subject and lighting contrast: an orange lamp in a dim room",
    );
    expect(html).toMatch(/<span class="badge fail">failed<\/span>/);
  });
});

describe("moodboard", () => {
  it("shows the passing images with hex swatches of their own dominant colours", async () => {
    const { html, res } = await publish("moodboard");
    await expectSafePage(html, res, null);
    const ids = imageIds(html);
    expect(new Set(ids)).toEqual(new Set([world.first, world.second, world.continued, world.retried]));
    const board = html.match(/<ul class="palette">([\s\S]*?)<\/ul>/)?.[1] ?? "";
    const hexes = [...board.matchAll(/<code>(#[0-9a-f]{6})<\/code>/g)].map((m) => m[1]);
    expect(hexes.length).toBeGreaterThanOrEqual(3);
    // Swatches are SVG fills (attributes), so the CSP needs no inline style for them.
    expect(html).not.toMatch(/\sstyle="/);
    expect(html.match(/<ul class="swatches">/g)).toHaveLength(4);
  });
});

describe("compare-deck", () => {
  it("puts every provider's result side by side, failed tasks with their error", async () => {
    const { html, res } = await publish("compare-deck");
    await expectSafePage(html, res, null);
    expect(new Set(imageIds(html))).toEqual(
      new Set([world.first, world.second, world.continued, world.judgedFailed, world.retried]),
    );
    expect(html).toContain(`<h2>${escapeHtml(`a teal lighthouse at dusk, gold sky ${HOSTILE}`)}</h2>`);
    expect(
      html.match(
        /<span class="badge fail">task failed<\/span><\/p><p class="error">openai is not configured: set OPENAI_API_KEY<\/p>/g,
      ),
    ).toHaveLength(2);
    expect(html).toMatch(/provider latency \d+\.\d+ s/);
    expect(html).toContain("retry 1");
    expect(html).toContain("3 prompts · 3 jobs · 7 tasks · 2 failed");
  });
});

describe("judge-report", () => {
  it("reports verdicts, notes, tags, suggestions and how the retry turned out", async () => {
    const { html, res } = await publish("judge-report");
    await expectSafePage(html, res, null);
    expect(new Set(imageIds(html))).toEqual(
      new Set([world.first, world.second, world.continued, world.judgedFailed, world.retried]),
    );
    expect(html).toContain("<dt>Judged</dt><dd>5</dd>");
    expect(html).toContain('<dt>Failed</dt><dd class="fail">1</dd>');
    expect(html).toContain(escapeHtml(`Contrast 3.0 (min 12): too flat. ${HOSTILE}`));
    expect(html).toContain(
      "Suggested: Add a clear subject and lighting contrast: an orange lamp in a dim room",
    );
    expect(html).toMatch(/1 retry: 1 passed, 0 failed, 0 unfinished\./);
    const [failed, retried] = [stepOf(world.judgedFailed), stepOf(world.retried)];
    expect(html).toContain(
      `<a href="#step-${failed}">Step ${failed}</a> (local #0) failed the judge; retry 1 became <a href="#step-${retried}">step ${retried}</a>, which passed.`,
    );
    expect(html).toMatch(
      /<li><span>low-contrast<\/span><meter min="0" max="\d+" value="\d+"><\/meter><span>\d+<\/span><\/li>/,
    );
    expect(html).toContain('<th scope="row">local</th><td>5</td><td>4</td><td>1</td>');
  });
});

describe("slideshow", () => {
  it("has one full-screen slide per image and keyboard navigation by one hashed script", async () => {
    const { html, res } = await publish("slideshow");
    await expectSafePage(html, res, SLIDESHOW_SCRIPT);
    const ids = imageIds(html);
    expect(ids).toHaveLength(4);
    expect(html.match(/<section class="slide" id="slide-\d+" data-slide/g)).toHaveLength(4);
    expect(html).toContain('<a class="nav next" href="#slide-2"');
    expect(SLIDESHOW_SCRIPT).toContain('e.key === "ArrowRight"');
  });
});

describe("review-board and voting-deck", () => {
  it("render their images, their interaction script and no user value inside it", async () => {
    const review = await publish("review-board");
    await expectSafePage(review.html, review.res, COMMENT_SCRIPT);
    expect(imageIds(review.html)).toHaveLength(5);
    expect(review.html).toContain(
      `data-board-image="${world.first}" data-label="step ${stepOf(world.first)}"`,
    );
    expect(review.html).toContain("No comments yet.");
    const deck = await publish("voting-deck");
    await expectSafePage(deck.html, deck.res, VOTE_SCRIPT);
    expect(new Set(imageIds(deck.html))).toEqual(
      new Set([world.first, world.second, world.continued, world.retried]),
    );
    expect(deck.html).toContain("No votes yet: be the first.");
    expect(deck.html).toContain(
      `<button type="button" data-vote="${world.first}" hidden>Vote for step ${stepOf(world.first)}</button>`,
    );
  });
});

/** A PNG of two flat colours: `left` on the left 60 %, `right` on the rest. */
async function twoColourPng(left: string, right: string): Promise<Uint8Array> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100"><rect width="120" height="100" fill="${left}"/><rect x="120" width="80" height="100" fill="${right}"/></svg>`;
  const result = await appEnv.IMAGES.input(new Blob([svg]).stream()).output({ format: "image/png" });
  return new Uint8Array(await new Response(result.image()).arrayBuffer());
}

const channels = (hex: string) => [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16));
const near = (a: string, b: string) => channels(a).every((v, i) => Math.abs(v - (channels(b)[i] ?? 0)) <= 4);

describe("moodboard palette", () => {
  it("names an image's dominant colours as hex, with their shares", async () => {
    const project = await createProject("Palette");
    const p = await seedProgression(project.id, { prompt: "navy and amber" });
    await appEnv.BUCKET.put(p.originalImageR2Key, await twoColourPng("#1e3a8a", "#f59e0b"), {
      httpMetadata: { contentType: "image/png" },
    });
    expect(
      dominantColours(new Uint8Array([10, 20, 30, 255, 10, 20, 30, 255, 200, 0, 0, 255, 0, 0, 0, 0])),
    ).toEqual([
      { hex: "#0a141e", share: 2 / 3 },
      { hex: "#c80000", share: 1 / 3 },
    ]);
    const res = await call("/api/artifacts", {
      method: "POST",
      body: { type: "moodboard", title: "Palette", projectIds: [project.id] },
    });
    const artifact = (await res.json()) as Published;
    const html = await (await call(new URL(artifact.publicUrl).pathname)).text();
    const swatches = [
      ...html.matchAll(
        /<li><svg class="chip"[^>]*>.*?<\/svg><code>(#[0-9a-f]{6})<\/code><span>(\d+)%<\/span><\/li>/g,
      ),
    ].map((m) => [m[1] ?? "", Number(m[2])] as const);
    expect(swatches.length).toBeGreaterThanOrEqual(2);
    const [first, second] = swatches;
    expect(near(first?.[0] ?? "", "#1e3a8a")).toBe(true);
    expect(near(second?.[0] ?? "", "#f59e0b")).toBe(true);
    expect(first?.[1]).toBeGreaterThanOrEqual(55);
    expect(second?.[1]).toBeGreaterThanOrEqual(35);
    expect(html).toContain(`<rect width="1" height="1" fill="${first?.[0]}"/>`);
  });
});

describe("publishing", () => {
  it("makes a page's renditions first, so even a cold cache serves them without the original", async () => {
    const project = await createProject("Warm");
    const p = await seedProgression(project.id);
    const res = await call("/api/artifacts", {
      method: "POST",
      body: { type: "slideshow", title: "Warm", projectIds: [project.id] },
    });
    const artifact = (await res.json()) as Published;
    const html = await (await call(new URL(artifact.publicUrl).pathname)).text();
    const urls = renditionUrls(html);
    expect(urls.length).toBeGreaterThanOrEqual(2);
    // No transform on the request path: drop the original and the cached copies, the R2 renditions serve.
    await appEnv.BUCKET.delete(p.originalImageR2Key);
    for (const raw of urls) {
      const url = new URL(raw);
      const w = Number(url.searchParams.get("w"));
      const format = url.searchParams.get("format") === "jpeg" ? "jpeg" : "webp";
      const variant = renditionVariant(p.originalImageR2Key, { w, format });
      await caches.default.delete(renditionCacheKey(BASE, p.id, variant));
      const image = await call(url.pathname + url.search, { key: null });
      expect(image.status, raw).toBe(200);
      expect(image.headers.get("content-type")).toBe(`image/${format}`);
      expect((await image.arrayBuffer()).byteLength).toBeGreaterThan(100);
    }
    // A rendition no page asked for still needs the original.
    await expectError(await call(`/images/${p.id}?w=100&format=png`), 404, "not_found");
  });

  it("never runs a script a user's template brings, only the shipped ones", async () => {
    const template = `<!doctype html><title>{{TITLE}}</title><script>alert(document.cookie)</script><script>${SLIDESHOW_SCRIPT}</script>{{GALLERY}}`;
    const put = await call("/api/templates/with-script", {
      method: "PUT",
      rawBody: template,
      headers: { "content-type": "text/html" },
    });
    expect(put.status).toBe(201);
    const project = await createProject("Scripted");
    await seedProgression(project.id);
    const res = await call("/api/artifacts", {
      method: "POST",
      body: { title: "Scripted", projectIds: [project.id], templateR2Key: "templates/with-script.html" },
    });
    const artifact = (await res.json()) as Published;
    const page = await call(new URL(artifact.publicUrl).pathname);
    const csp = page.headers.get("content-security-policy") ?? "";
    const allowed = [...csp.matchAll(/'sha256-([^']+)'/g)].map((m) => m[1]);
    expect(allowed).toContain(await sha256Base64(SLIDESHOW_SCRIPT));
    expect(allowed).not.toContain(await sha256Base64("alert(document.cookie)"));
    expect(csp).toMatch(/script-src 'sha256-[^']+'; /);
  });
});
