import {
  createExecutionContext,
  createMessageBatch,
  getQueueResult,
  waitOnExecutionContext,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { memoryKey } from "../../src/agents/artifact.agent";
import { analyzeTemplate, fillTemplate } from "../../src/artifacts/template";
import worker from "../../src/index";
import type { AppEnv } from "../../src/lib/env";
import { escapeHtml } from "../../src/lib/html";
import { retryDelaySeconds } from "../../src/queues/view-log.consumer";
import { seedProgression } from "../fixtures";
import { call, createProject, expectError } from "../helpers";

const appEnv = env as unknown as AppEnv;

interface ApiArtifact {
  id: string;
  type: string;
  title: string;
  output: string;
  status: string;
  publicSlug: string;
  publicUrl: string;
  projectIds: string[];
  templateR2Key: string | null;
  contentR2Key: string | null;
  configuration: Record<string, string>;
  missingPlaceholders: string[];
  public_slug?: string;
}

async function lookbook(projectId: string, body: Record<string, unknown> = {}) {
  const res = await call(`/api/projects/${projectId}/artifacts/lookbook`, { method: "POST", body });
  expect(res.status).toBe(201);
  return (await res.json()) as ApiArtifact;
}

const publicPath = (a: ApiArtifact) => new URL(a.publicUrl).pathname;

describe("GET /api/artifacts/types", () => {
  it("lists all sixteen generators with their outputs", async () => {
    const res = await call("/api/artifacts/types");
    const { types } = (await res.json()) as {
      types: { id: string; name: string; output: string; description: string }[];
    };
    expect(Object.fromEntries(types.map((t) => [t.id, t.output]))).toEqual({
      lookbook: "html",
      storyboard: "html",
      moodboard: "html",
      "compare-deck": "html",
      "walkthrough-reel": "video",
      "provider-benchmark": "json",
      "judge-report": "html",
      "prompt-lineage-map": "json",
      "prompt-recipe-card": "json",
      "knowledge-pack": "json",
      "seed-replay-script": "text",
      "r2-archive-manifest": "csv",
      "review-board": "html",
      "voting-deck": "html",
      "stakeholder-pdf": "pdf",
      slideshow: "html",
    });
    expect(types[0]).toMatchObject({ id: "lookbook", name: "Lookbook" });
    for (const t of types) expect(t.description.length).toBeGreaterThan(20);
  });
});

describe("lookbook", () => {
  it("publishes passing images newest first with srcset, captions and OG tags", async () => {
    const project = await createProject("Autumn", "Warm portraits");
    const older = await seedProgression(project.id, {
      prompt: "older portrait",
      createdAt: 1000,
      judgment: "pass",
      provider: "local",
    });
    const newer = await seedProgression(project.id, {
      prompt: "newer portrait",
      createdAt: 2000,
      judgment: "pass",
      provider: "openai",
    });
    await seedProgression(project.id, { prompt: "rejected one", createdAt: 3000, judgment: "fail" });
    const artifact = await lookbook(project.id, { title: "Autumn looks" });
    expect(artifact).toMatchObject({
      type: "lookbook",
      output: "html",
      status: "published",
      projectIds: [project.id],
      missingPlaceholders: [],
    });
    expect(artifact.public_slug).toBe(artifact.publicSlug);
    expect(artifact.publicSlug).toMatch(/^[A-Za-z0-9_-]{10,}$/);
    expect(artifact.publicUrl).toBe(`http://picasso.test/public/lookbook/${artifact.publicSlug}`);

    const page = await call(publicPath(artifact), { key: null });
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(page.headers.get("cache-control")).toBe("public, max-age=300");
    expect(page.headers.get("x-content-type-options")).toBe("nosniff");
    const csp = page.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'none'");
    expect(csp).toMatch(/style-src 'sha256-[A-Za-z0-9+/=]+'/);
    const html = await page.text();
    expect(html.indexOf("newer portrait")).toBeGreaterThan(-1);
    expect(html.indexOf("newer portrait")).toBeLessThan(html.indexOf("older portrait"));
    expect(html).not.toContain("rejected one");
    // The fixture originals are 256 px wide: that is the widest rendition offered (never 320w or more).
    expect(html).toContain(
      `src="http://picasso.test/images/${newer.id}?w=256&amp;format=webp" srcset="http://picasso.test/images/${newer.id}?w=256&amp;format=webp 256w"`,
    );
    expect(html).toContain(`width="256" height="256"`);
    expect(html).toContain(`<meta property="og:title" content="Autumn looks">`);
    expect(html).toContain(`<meta property="og:url" content="${artifact.publicUrl}">`);
    expect(html).toContain(
      `<meta property="og:image" content="http://picasso.test/images/${newer.id}?w=256&amp;format=jpeg">`,
    );
    expect(html).toContain("Warm portraits");
    expect(html).toContain(older.id);

    const withFailed = await lookbook(project.id, { options: { includeFailed: true } });
    expect(await (await call(publicPath(withFailed))).text()).toContain("rejected one");
  });

  it("answers If-None-Match with 304 and serves both public paths", async () => {
    const project = await createProject();
    await seedProgression(project.id);
    const artifact = await lookbook(project.id);
    const first = await call(publicPath(artifact), { key: null });
    const etag = first.headers.get("etag") ?? "";
    expect(etag).toMatch(/^".+"$/);
    const again = await call(publicPath(artifact), { key: null, headers: { "if-none-match": etag } });
    expect(again.status).toBe(304);
    expect((await call(`/public/artifact/${artifact.publicSlug}`, { key: null })).status).toBe(200);
  });

  it("serves repeat visits from the Cache API and purges it when the artifact is re-rendered", async () => {
    const project = await createProject();
    await seedProgression(project.id, { prompt: "first version" });
    const artifact = await lookbook(project.id);
    expect(await (await call(publicPath(artifact))).text()).toContain("first version");
    // Change the stored page behind the cache's back: the cached copy is still served.
    await appEnv.BUCKET.put(artifact.contentR2Key ?? "", "<p>tampered</p>", {
      httpMetadata: { contentType: "text/html; charset=utf-8" },
    });
    expect(await (await call(publicPath(artifact))).text()).toContain("first version");
    await seedProgression(project.id, { prompt: "second version", createdAt: Date.now() + 1000 });
    await call(`/api/artifacts/${artifact.id}/render`, { method: "POST", body: {} });
    const fresh = await (await call(publicPath(artifact))).text();
    expect(fresh).toContain("second version");
    expect(fresh).not.toContain("tampered");
  });

  it("answers a cache hit (200 or 304) as a static file: no D1 or R2 read, no request line", async () => {
    const project = await createProject();
    await seedProgression(project.id);
    const artifact = await lookbook(project.id);
    const visit = async (headers: Record<string, string> = {}) => {
      const ctx = createExecutionContext();
      const res = await worker.fetch(
        new Request(`http://picasso.test${publicPath(artifact)}`, { headers }),
        appEnv as never,
        ctx,
      );
      const body = await res.text();
      await waitOnExecutionContext(ctx);
      return { res, body };
    };
    const requestLines = (lines: unknown[][], requestId: string | null) =>
      lines.filter(
        ([line]) =>
          typeof line === "string" &&
          line.includes('"event":"request"') &&
          requestId !== null &&
          line.includes(requestId),
      );
    const log = vi.spyOn(console, "log");
    const miss = await visit({ "cf-connecting-ip": "192.0.2.70", "user-agent": "UA" });
    expect(miss.res.status).toBe(200);
    // A miss reads D1 and R2 and says so in its request line.
    expect(requestLines(log.mock.calls, miss.res.headers.get("x-request-id"))).toHaveLength(1);

    const prepare = vi.spyOn(appEnv.DB, "prepare");
    const get = vi.spyOn(appEnv.BUCKET, "get");
    log.mockClear();
    const hit = await visit({ "cf-connecting-ip": "192.0.2.70", "user-agent": "UA" });
    expect(hit.res.status).toBe(200);
    expect(hit.body).toBe(miss.body);
    const headers = Object.fromEntries(hit.res.headers);
    expect(headers).toMatchObject({
      "cache-control": "public, max-age=300",
      "content-type": "text/html; charset=utf-8",
      etag: miss.res.headers.get("etag"),
      "content-security-policy": miss.res.headers.get("content-security-policy"),
      "x-content-type-options": "nosniff",
      "referrer-policy": "strict-origin-when-cross-origin",
      "x-request-id": expect.stringMatching(/^[A-Za-z0-9_-]{21}$/),
    });
    expect(headers).not.toHaveProperty("x-picasso-artifact-id");
    const notModified = await visit({ "if-none-match": miss.res.headers.get("etag") ?? "" });
    expect(notModified.res.status).toBe(304);
    expect(notModified.body).toBe("");
    expect(notModified.res.headers.get("etag")).toBe(miss.res.headers.get("etag"));
    expect(notModified.res.headers.get("cache-control")).toBe("public, max-age=300");
    expect(notModified.res.headers.get("x-request-id")).toMatch(/^[A-Za-z0-9_-]{21}$/);
    expect(prepare).not.toHaveBeenCalled();
    expect(get).not.toHaveBeenCalled();
    expect(requestLines(log.mock.calls, hit.res.headers.get("x-request-id"))).toEqual([]);
    expect(requestLines(log.mock.calls, notModified.res.headers.get("x-request-id"))).toEqual([]);
    vi.restoreAllMocks();
  });

  it("answers 404 for unknown or draft slugs and for an unknown project", async () => {
    await expectError(await call("/public/lookbook/unknown-slug-123"), 404, "not_found");
    await expectError(await call("/public/lookbook/x"), 404, "not_found");
    await expectError(
      await call("/api/projects/no-such-project/artifacts/lookbook", { method: "POST", body: {} }),
      404,
      "not_found",
    );
  });

  it("requires the API key", async () => {
    const project = await createProject();
    await expectError(
      await call(`/api/projects/${project.id}/artifacts/lookbook`, { method: "POST", body: {}, key: null }),
      401,
      "unauthorized",
    );
  });
});

const XSS = [
  `<script>alert(1)</script>`,
  `"><img src=x onerror=alert(1)>`,
  `'><svg onload=alert(1)>`,
  `</title><script>alert(1)</script>`,
  `javascript:alert(1)`,
  `<iframe srcdoc="<script>alert(1)</script>">`,
];

describe("escaping", () => {
  it.each(XSS)("never lets %s become markup, through any user field", async (payload) => {
    const project = await createProject(`P ${payload}`, `D ${payload}`);
    await seedProgression(project.id, { prompt: `prompt ${payload}`, provider: "local" });
    const artifact = await lookbook(project.id, { title: `T ${payload}` });
    const html = await (await call(publicPath(artifact))).text();
    // Exactly the elements the template and the one image make: nothing injected.
    expect(html.match(/<img\b/gi)).toHaveLength(1);
    expect(html).not.toMatch(/<script\b|<svg\b|<iframe\b/i);
    expect(html).not.toMatch(/\s(href|src)="javascript:/i);
    if (/[<>"']/.test(payload)) expect(html).not.toContain(payload);
    expect(html).toContain(escapeHtml(`prompt ${payload}`));
    expect(html).toContain(`<title>${escapeHtml(`T ${payload}`)}</title>`);
  });
});

describe("POST /api/artifacts, GET, associate, render", () => {
  it("creates from several projects, reads it back, associates another and re-renders", async () => {
    const a = await createProject("A");
    const b = await createProject("B");
    await seedProgression(a.id, { prompt: "from A" });
    const created = await call("/api/artifacts", {
      method: "POST",
      body: { title: "Both", projectIds: [a.id] },
    });
    expect(created.status).toBe(201);
    const artifact = (await created.json()) as ApiArtifact;
    expect(artifact.type).toBe("lookbook");
    expect(await (await call(`/api/artifacts/${artifact.id}`)).json()).toEqual(artifact);

    await seedProgression(b.id, { prompt: "from B" });
    const associated = (await (
      await call(`/api/artifacts/${artifact.id}/associate`, { method: "POST", body: { projectId: b.id } })
    ).json()) as ApiArtifact;
    expect(associated.projectIds).toEqual([a.id, b.id]);
    expect(await (await call(publicPath(associated))).text()).toContain("from B");

    await seedProgression(a.id, { prompt: "later in A", createdAt: Date.now() + 1000 });
    const rendered = await call(`/api/artifacts/${artifact.id}/render`, { method: "POST", body: {} });
    expect(rendered.status).toBe(200);
    expect(await (await call(publicPath(associated))).text()).toContain("later in A");
  });

  it("refuses bad input and leaves nothing behind", async () => {
    const count = async () =>
      (await appEnv.DB.prepare("SELECT COUNT(*) AS n FROM artifacts").first<{ n: number }>())?.n;
    const before = await count();
    const project = await createProject();
    await expectError(
      await call("/api/artifacts", { method: "POST", body: { title: "x", projectIds: [] } }),
      400,
      "invalid_request",
    );
    await expectError(
      await call("/api/artifacts", {
        method: "POST",
        body: { title: "x", projectIds: [project.id], type: "gif" },
      }),
      400,
      "invalid_request",
    );
    await expectError(
      await call("/api/artifacts", { method: "POST", body: { title: "x", projectIds: ["missing-project"] } }),
      404,
      "not_found",
    );
    await expectError(
      await call("/api/artifacts", {
        method: "POST",
        body: { title: "x", projectIds: [project.id], templateR2Key: "templates/none.html" },
      }),
      400,
      "invalid_request",
    );
    await expectError(
      await call("/api/artifacts", {
        method: "POST",
        body: { title: "x", projectIds: [project.id], options: { bogus: 1 } },
      }),
      400,
      "invalid_request",
    );
    expect(await count()).toBe(before);
  });

  it("answers 404 and 401 on the artifact routes", async () => {
    await expectError(await call("/api/artifacts/missing-artifact"), 404, "not_found");
    await expectError(
      await call("/api/artifacts/missing-artifact/render", { method: "POST", body: {} }),
      404,
      "not_found",
    );
    await expectError(
      await call("/api/artifacts/missing-artifact/associate", { method: "POST", body: { projectId: "p" } }),
      404,
      "not_found",
    );
    await expectError(await call("/api/artifacts/missing-artifact/views"), 404, "not_found");
    await expectError(
      await call("/api/artifacts", { method: "POST", body: { title: "x", projectIds: ["p"] }, key: null }),
      401,
      "unauthorized",
    );
    await expectError(
      await call("/api/artifacts/any/render", { method: "POST", body: {}, key: null }),
      401,
      "unauthorized",
    );
  });
});

const TEMPLATE = `<!doctype html><html><head><title>{{TITLE}}</title><style>body{font-family:serif}</style></head>
<body><h1>{{HEADLINE}}</h1><img src="{{IMAGE_HERO}}" alt="{{TITLE}}"><p>{{TAGLINE}}</p><a href="{{CTA_URL}}">More</a>{{GALLERY}}</body></html>`;

async function putTemplate(name: string, html: string, contentType = "text/html") {
  return call(`/api/templates/${name}`, {
    method: "PUT",
    rawBody: html,
    headers: { "content-type": contentType },
  });
}

describe("PUT /api/templates/:name", () => {
  it("stores a template and lists its placeholders (201, then 200 on replace)", async () => {
    const res = await putTemplate("campaign", TEMPLATE);
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({
      templateR2Key: "templates/campaign.html",
      placeholders: ["TITLE", "HEADLINE", "IMAGE_HERO", "TAGLINE", "CTA_URL", "GALLERY"],
    });
    expect((await putTemplate("campaign", TEMPLATE)).status).toBe(200);
  });

  it("refuses unsafe placeholders, wrong types, oversize bodies, and needs the key", async () => {
    const script = await expectError(
      await putTemplate("bad", "<script>var x = '{{X}}'</script>"),
      400,
      "invalid_request",
    );
    expect(script.error.message).toContain("<script>");
    await expectError(await putTemplate("bad", `<a onclick="go('{{X}}')">x</a>`), 400, "invalid_request");
    await expectError(await putTemplate("bad", `<div style="color:{{X}}">x</div>`), 400, "invalid_request");
    await expectError(await putTemplate("bad", `<img src={{X}}>`), 400, "invalid_request");
    // A URL placeholder after a scheme the template chose would make "javascript:https://…".
    const scheme = await expectError(
      await putTemplate("bad", `<a href="javascript:{{X}}">x</a>`),
      400,
      "invalid_request",
    );
    expect(scheme.error.message).toBe(
      'template: {{X}} in href must be the whole value or follow a fixed http(s):// prefix, not "javascript:"',
    );
    await expectError(await putTemplate("bad", `<img src="{{A}}{{B}}" alt="">`), 400, "invalid_request");
    await expectError(await putTemplate("bad", `<a href=" {{X}}">x</a>`), 400, "invalid_request");
    await expectError(
      await putTemplate("bad", `<a href="data:text/html,{{X}}">x</a>`),
      400,
      "invalid_request",
    );
    await expectError(await putTemplate("bad", `<a href='vbscript:{{X}}'>x</a>`), 400, "invalid_request");
    await expectError(
      await putTemplate("bad", "<p>{{X}}</p>", "application/json"),
      415,
      "unsupported_media_type",
    );
    await expectError(await putTemplate("big", `<p>${"x".repeat(512 * 1024)}</p>`), 413, "payload_too_large");
    await expectError(await putTemplate("bad name!", "<p>x</p>"), 400, "invalid_request");
    await expectError(
      await call("/api/templates/nokey", {
        method: "PUT",
        rawBody: "<p>x</p>",
        headers: { "content-type": "text/html" },
        key: null,
      }),
      401,
      "unauthorized",
    );
  });
});

describe("template URL contexts", () => {
  it("fills a placeholder after a fixed http(s):// prefix as escaped text, and a whole value only with an http(s) URL", async () => {
    const html = `<a href="https://example.com/tag/{{TAG}}">{{TAG}}</a><a href="{{LINK}}">more</a><p title="{{TAG}}">x</p>`;
    const analysis = analyzeTemplate(html);
    if (!analysis.ok) throw new Error(analysis.reason);
    expect(Object.fromEntries(analysis.contexts)).toEqual({ TAG: "url-part", LINK: "url" });
    const filled = fillTemplate(
      html,
      { TAG: `javascript:alert(1)" onmouseover="x`, LINK: "javascript:alert(1)" },
      analysis.contexts,
    );
    // The scheme stays the template's; the value cannot leave the attribute.
    expect(filled.output).toContain(
      `href="https://example.com/tag/javascript:alert(1)&quot; onmouseover=&quot;x"`,
    );
    expect(filled.missing).toEqual(["LINK"]);
    expect(
      fillTemplate(html, { TAG: "a", LINK: "https://example.com/x?a=1&b=2" }, analysis.contexts).output,
    ).toContain(`href="https://example.com/x?a=1&amp;b=2"`);
    expect((await putTemplate("prefixed", html)).status).toBe(201);
  });
});

describe("customize (the artifact agent)", () => {
  it("fills placeholders over several turns, keeps state, escapes values, and publishes when done", async () => {
    await putTemplate("agent-template", TEMPLATE);
    const project = await createProject("Agent project");
    const hero = await seedProgression(project.id, { prompt: "hero shot" });
    const created = (await (
      await call("/api/artifacts", {
        method: "POST",
        body: { title: "Launch", projectIds: [project.id], templateR2Key: "templates/agent-template.html" },
      })
    ).json()) as ApiArtifact;
    expect(created.status).toBe("draft");
    expect(created.missingPlaceholders).toEqual(["HEADLINE", "IMAGE_HERO", "TAGLINE", "CTA_URL"]);
    await expectError(await call(`/public/artifact/${created.publicSlug}`), 404, "not_found");

    const sessionId = "agent-session-1";
    const turn = (input: string) =>
      call(`/api/artifacts/${created.id}/customize`, { method: "POST", body: { sessionId, input } }).then(
        async (r) =>
          (await r.json()) as {
            reply: string;
            placeholders: { name: string; filled: boolean; value?: string }[];
            done: boolean;
            artifact: ApiArtifact;
          },
      );

    const one = await turn("HEADLINE: Big <b>news</b>\nmake it pop");
    expect(one.done).toBe(false);
    expect(one.reply).toContain("Saved HEADLINE.");
    expect(one.reply).toContain("Still missing: IMAGE_HERO, TAGLINE, CTA_URL.");
    expect(one.reply).toContain(hero.id); // suggests images for IMAGE_HERO
    expect(one.placeholders).toContainEqual({ name: "HEADLINE", filled: true, value: "Big <b>news</b>" });

    const two = await turn(`IMAGE_HERO: ${hero.id}\nCTA_URL: javascript:alert(1)\nNOPE: x`);
    expect(two.reply).toContain("Saved IMAGE_HERO.");
    expect(two.reply).toContain("CTA_URL goes into a link or image address");
    expect(two.reply).toContain("NOPE is not a placeholder");
    expect(two.artifact.configuration.IMAGE_HERO).toBe(
      `http://picasso.test/images/${hero.id}?w=1200&format=auto`,
    );

    const three = await turn(`TAGLINE: "quoted" & <i>safe</i>\nCTA_URL: https://example.com/launch?a=1&b=2`);
    expect(three.done).toBe(true);
    expect(three.artifact.status).toBe("published");
    expect(three.reply).toContain(`published at http://picasso.test/public/lookbook/${created.publicSlug}`);
    expect(three.placeholders.every((p) => p.filled)).toBe(true);

    const html = await (await call(`/public/artifact/${created.publicSlug}`)).text();
    expect(html).toContain("<h1>Big &lt;b&gt;news&lt;/b&gt;</h1>");
    expect(html).toContain("&quot;quoted&quot; &amp; &lt;i&gt;safe&lt;/i&gt;");
    expect(html).toContain(`href="https://example.com/launch?a=1&amp;b=2"`);
    expect(html).toContain(`src="http://picasso.test/images/${hero.id}?w=1200&amp;format=auto"`);

    const rows = await appEnv.DB.prepare(
      "SELECT config_key FROM artifact_configurations WHERE artifact_id = ? AND config_key GLOB '[A-Z]*'",
    )
      .bind(created.id)
      .all<{ config_key: string }>();
    expect(rows.results.map((r) => r.config_key).sort()).toEqual([
      "CTA_URL",
      "HEADLINE",
      "IMAGE_HERO",
      "TAGLINE",
    ]);
    const memory = (await appEnv.AGENTIC_MEMORIES.get(memoryKey(created.id, sessionId), "json")) as {
      turns: { role: string }[];
    };
    expect(memory.turns).toHaveLength(6);
  });

  it("understands free text through the reasoning model's tool calls where the AI binding works", async () => {
    await putTemplate("ai-template", '<h1>{{HEADLINE}}</h1><img src="{{IMAGE_HERO}}" alt="hero">');
    const project = await createProject("AI project");
    const hero = await seedProgression(project.id, { prompt: "the hero image" });
    const created = (await (
      await call("/api/artifacts", {
        method: "POST",
        body: { title: "AI", projectIds: [project.id], templateR2Key: "templates/ai-template.html" },
      })
    ).json()) as ApiArtifact;
    appEnv.AI_REMOTE = "true"; // as a remote dev session would have it (src/lib/ai.ts)
    const run = vi.spyOn(appEnv.AI, "run").mockResolvedValue({
      response: "Done: a bold headline and the hero shot.",
      tool_calls: [
        { name: "save_configuration", arguments: { name: "HEADLINE", value: "Bold <headline>" } },
        { name: "save_configuration", arguments: JSON.stringify({ name: "IMAGE_HERO", value: hero.id }) },
        { name: "something_else", arguments: {} },
      ],
    } as never);
    const res = await call(`/api/artifacts/${created.id}/customize`, {
      method: "POST",
      body: { sessionId: "ai-session-01", input: "use a bold headline and the hero image please" },
    });
    const body = (await res.json()) as { reply: string; done: boolean };
    expect(run).toHaveBeenCalledTimes(1);
    const [model, request] = run.mock.calls[0] ?? [];
    expect(model).toBe(appEnv.DEFAULT_MODEL_REASONING);
    expect(JSON.stringify(request)).toContain(hero.id); // the model is shown the project's images
    expect(body.done).toBe(true);
    expect(body.reply).toContain("Done: a bold headline and the hero shot.");
    expect(body.reply).toContain("Saved HEADLINE, IMAGE_HERO.");
    const html = await (await call(`/public/lookbook/${created.publicSlug}`)).text();
    expect(html).toContain("<h1>Bold &lt;headline&gt;</h1>");
    run.mockRestore();
    delete appEnv.AI_REMOTE;
  });

  it("says free text needs the AI binding when it is unavailable (offline)", async () => {
    await putTemplate("offline-template", "<h1>{{HEADLINE}}</h1>");
    const project = await createProject();
    const created = (await (
      await call("/api/artifacts", {
        method: "POST",
        body: {
          title: "Offline",
          projectIds: [project.id],
          templateR2Key: "templates/offline-template.html",
        },
      })
    ).json()) as ApiArtifact;
    const res = await call(`/api/artifacts/${created.id}/customize`, {
      method: "POST",
      body: { sessionId: "offline-session", input: "make it nice" },
    });
    const body = (await res.json()) as { reply: string; done: boolean };
    expect(body.done).toBe(false);
    expect(body.reply).toContain("I understand lines of the form NAME: value");
    expect(body.reply).toContain("Still missing: HEADLINE.");
  });

  it("validates the turn, 404s an unknown artifact and needs the key", async () => {
    await expectError(
      await call("/api/artifacts/missing-artifact/customize", {
        method: "POST",
        body: { sessionId: "agent-session-1", input: "X: y" },
      }),
      404,
      "not_found",
    );
    await expectError(
      await call("/api/artifacts/any-artifact/customize", {
        method: "POST",
        body: { sessionId: "s", input: "" },
      }),
      400,
      "invalid_request",
    );
    await expectError(
      await call("/api/artifacts/any-artifact/customize", {
        method: "POST",
        body: { sessionId: "agent-session-1", input: "X: y" },
        key: null,
      }),
      401,
      "unauthorized",
    );
  });
});

describe("view analytics", () => {
  it("sends one queue message per served page (none for 304) and counts views", async () => {
    const project = await createProject();
    await seedProgression(project.id);
    const artifact = await lookbook(project.id);
    const send = vi.spyOn(appEnv.PICASSO_QUEUE, "send");
    const visit = async (headers: Record<string, string>) => {
      const ctx = createExecutionContext();
      const res = await worker.fetch(
        new Request(`http://picasso.test${publicPath(artifact)}`, { headers }),
        appEnv as never,
        ctx,
      );
      await waitOnExecutionContext(ctx);
      return res;
    };
    const res = await visit({ "cf-connecting-ip": "203.0.113.9", "user-agent": "vitest-agent" });
    expect(res.status).toBe(200);
    expect(send).toHaveBeenCalledTimes(1);
    expect(send.mock.calls[0]?.[0]).toMatchObject({
      kind: "artifact-view",
      artifactId: artifact.id,
      ip: "203.0.113.9",
      userAgent: "vitest-agent",
      id: expect.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_-]{20}$/),
    });
    const notModified = await visit({ "if-none-match": res.headers.get("etag") ?? "" });
    expect(notModified.status).toBe(304);
    expect(send).toHaveBeenCalledTimes(1);
    send.mockRestore();
  });

  it("writes each valid message once, acknowledges malformed ones, and retries on a D1 failure", async () => {
    const project = await createProject();
    await seedProgression(project.id);
    const artifact = await lookbook(project.id);
    const message = (id: string, country: string) => ({
      id: `msg-${id}`,
      timestamp: new Date(),
      attempts: 1,
      body: {
        kind: "artifact-view",
        id,
        artifactId: artifact.id,
        ts: Date.now(),
        ip: "203.0.113.1",
        country,
        city: "Paris",
        userAgent: "UA",
      },
    });
    const batch = createMessageBatch("picasso-backend-queue", [
      message("view-1", "FR"),
      message("view-2", "DE"),
      message("view-1", "FR"), // a redelivery of the first
      { id: "msg-bad", timestamp: new Date(), attempts: 1, body: { nonsense: true } },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, appEnv, ctx);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks.sort()).toEqual(["msg-bad", "msg-view-1", "msg-view-1", "msg-view-2"].sort());
    expect(result.retryMessages).toEqual([]);
    const stats = (await (await call(`/api/artifacts/${artifact.id}/views`)).json()) as {
      total: number;
      byCountry: Record<string, number>;
      recent: { city: string }[];
    };
    expect(stats.total).toBe(2);
    expect(stats.byCountry).toEqual({ FR: 1, DE: 1 });
    expect(stats.recent[0]?.city).toBe("Paris");

    // D1 down: nothing acknowledged, everything retried with a delay, and nothing lost afterwards.
    const failing = createMessageBatch("picasso-backend-queue", [message("view-3", "US")]);
    const broken = {
      ...appEnv,
      DB: {
        ...appEnv.DB,
        batch: () => Promise.reject(new Error("D1 unavailable")),
        prepare: appEnv.DB.prepare.bind(appEnv.DB),
      },
    };
    const ctx2 = createExecutionContext();
    await worker.queue(failing, broken as never, ctx2);
    const failed = await getQueueResult(failing, ctx2);
    expect(failed.explicitAcks).toEqual([]);
    expect(failed.retryMessages.map((m: { msgId: string }) => m.msgId)).toEqual(["msg-view-3"]);
    expect([1, 2, 3, 10].map(retryDelaySeconds)).toEqual([1, 2, 4, 300]);
    const retried = createMessageBatch("picasso-backend-queue", [
      { ...message("view-3", "US"), attempts: 2 },
    ]);
    const ctx3 = createExecutionContext();
    await worker.queue(retried, appEnv, ctx3);
    expect((await getQueueResult(retried, ctx3)).explicitAcks).toEqual(["msg-view-3"]);
    const after = (await (await call(`/api/artifacts/${artifact.id}/views`)).json()) as { total: number };
    expect(after.total).toBe(3);
  });
});
