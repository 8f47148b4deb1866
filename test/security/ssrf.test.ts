/**
 * SSRF, in production mode (ENVIRONMENT=test: https and public hosts only): every corpus URL as a
 * job's start image and as its webhook is refused, the loopback canary receives 0 requests, and
 * nothing is stored. Public hosts (`*.example`) are a fake internet answered in-process by a fetch
 * spy: redirects to the canary, lying content types, oversize bodies and decompression bombs.
 * Every other host goes to the real fetch, so a guard that let one through would hit the canary.
 */
import { env } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, inject, it, vi } from "vitest";
import { checkIngestUrl } from "../../src/lib/url-guard";
import { callWithEnv, createProject, KEY } from "../helpers";
import { CANARY_HITS_PATH } from "../servers/canary";
import { gzipOfZeros, pngDeclaring } from "./png";
import { redirectTargets, ssrfCorpus } from "./ssrf-corpus";

const canaryPort = inject("canaryPort");
const realFetch = globalThis.fetch;
const MIB = 1024 * 1024;

/** What the fake internet was asked for, in order. */
const fetched: string[] = [];
let goodPng: Uint8Array;
let bombPng: Uint8Array;
let gzipBomb: Uint8Array;

function internet(url: URL): Response {
  const to = url.searchParams.get("to") ?? "";
  switch (url.pathname) {
    case "/image.png":
      return new Response(goodPng, { headers: { "content-type": "image/png" } });
    case "/redirect":
      return new Response(null, {
        status: Number(url.searchParams.get("status") ?? 302),
        headers: { location: to },
      });
    case "/redirect-twice":
      return Response.redirect(`https://cdn.example/redirect?to=${encodeURIComponent(to)}`, 301);
    case "/html-as-png":
      return new Response("<html><script>alert(1)</script></html>", {
        headers: { "content-type": "image/png" },
      });
    case "/svg-as-png":
      return new Response('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', {
        headers: { "content-type": "image/png" },
      });
    case "/json-as-jpeg":
      return new Response('{"a":1}', { headers: { "content-type": "image/jpeg" } });
    case "/declared-huge":
      return new Response(goodPng, {
        headers: { "content-type": "image/png", "content-length": String(30 * MIB) },
      });
    case "/chunked-huge": {
      let sent = 0;
      const block = new Uint8Array(64 * 1024);
      block.set(goodPng.subarray(0, 8));
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent > 21 * MIB) return controller.close();
          sent += block.byteLength;
          controller.enqueue(block);
        },
      });
      return new Response(body, { headers: { "content-type": "image/png" } });
    }
    case "/gzip-bomb": {
      // What the runtime hands over for Content-Encoding: gzip: the inflated stream.
      const inflated = new Blob([gzipBomb]).stream().pipeThrough(new DecompressionStream("gzip"));
      return new Response(inflated, { headers: { "content-type": "image/png", "content-encoding": "gzip" } });
    }
    case "/bomb.png":
      return new Response(bombPng, { headers: { "content-type": "image/png" } });
    default:
      return new Response("not found", { status: 404 });
  }
}

beforeAll(async () => {
  goodPng = await pngDeclaring(8, 8);
  bombPng = await pngDeclaring(50_000, 50_000, 2);
  gzipBomb = await gzipOfZeros(64 * MIB);
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    // `https:///image.png` parses to the public name image.png: part of the fake internet too.
    if (url.hostname.endsWith(".example") || url.hostname === "image.png") {
      fetched.push(url.href);
      return internet(url);
    }
    // Anything else really goes out: to the canary, if the guard ever let a loopback form through.
    return realFetch(request);
  });
});

afterAll(() => {
  vi.restoreAllMocks();
});

async function canaryHits(): Promise<string[]> {
  const res = await realFetch(`http://127.0.0.1:${canaryPort}${CANARY_HITS_PATH}`);
  return ((await res.json()) as { hits: string[] }).hits;
}

let ipCounter = 0;
/** A fresh client address per submission, so the per-IP job budget never answers first. */
const nextIp = () => `203.0.${Math.floor(ipCounter / 250)}.${(ipCounter++ % 250) + 1}`;

function submit(projectId: string, extra: Record<string, unknown>) {
  return callWithEnv({}, `/api/projects/${projectId}/jobs`, {
    method: "POST",
    headers: { "x-api-key": KEY, "content-type": "application/json", "cf-connecting-ip": nextIp() },
    body: JSON.stringify({
      prompt: "ssrf",
      providers: ["local"],
      sessionId: `ssrf-${ipCounter}-session`,
      ...extra,
    }),
  });
}

const corpus = ssrfCorpus(canaryPort);
const REFUSED = [400, 413, 415];

describe("the SSRF corpus", () => {
  it("has at least 200 URLs, and the canary is up and untouched", async () => {
    expect(corpus.length).toBeGreaterThanOrEqual(200);
    expect(new Set(corpus.map((c) => c.url)).size).toBe(corpus.length);
    expect(await canaryHits()).toEqual([]);
  });

  it("is refused by the guard itself for every URL that names no public host", () => {
    const allowed = corpus.filter(
      (c) => c.stop === "guard" && checkIngestUrl(c.url, { development: false }).ok,
    );
    expect(allowed.map((c) => c.url)).toEqual([]);
  });

  it("refuses every URL as a start image (no fetch for guard cases) and as a webhook", async () => {
    const project = await createProject("ssrf corpus");
    // Accepted webhooks to public hosts run real jobs: in a project of their own.
    const hooks = await createProject("ssrf webhooks");
    const leaks: string[] = [];
    for (const entry of corpus) {
      fetched.length = 0;
      const asImage = await submit(project.id, { startImageUrl: entry.url, kind: "edit" });
      const asHook = await submit(hooks.id, { webhook: { url: entry.url } });
      if (!REFUSED.includes(asImage.status)) leaks.push(`start image ${entry.url} → ${asImage.status}`);
      // A webhook to a public host is what webhooks are for; everything else must be a 400.
      const hookExpected = entry.stop === "guard" ? [400] : [202];
      if (!hookExpected.includes(asHook.status)) leaks.push(`webhook ${entry.url} → ${asHook.status}`);
      if (entry.stop === "guard" && fetched.length > 0)
        leaks.push(`${entry.url} fetched ${fetched.join(", ")}`);
      await asImage.body?.cancel();
      await asHook.body?.cancel();
    }
    expect(leaks).toEqual([]);
    expect(await canaryHits()).toEqual([]);
    const stored = await env.BUCKET.list({ prefix: `project/${project.id}/` });
    expect(stored.objects.map((o) => o.key)).toEqual([]);
  });
});

describe("public hosts that answer with an attack", () => {
  it("accepts a real image from the fake internet (the control)", async () => {
    const project = await createProject("ssrf control");
    const res = await submit(project.id, { startImageUrl: "https://cdn.example/image.png", kind: "edit" });
    expect(res.status).toBe(202);
    await res.body?.cancel();
  });

  it("refuses redirects to the canary, metadata and other schemes, before following them", async () => {
    const project = await createProject("ssrf redirects");
    const targets = redirectTargets(canaryPort);
    for (const [i, to] of targets.entries()) {
      const status = [301, 302, 303, 307, 308][i % 5];
      const via = i % 2 === 0 ? "redirect" : "redirect-twice";
      const url = `https://cdn.example/${via}?status=${status}&to=${encodeURIComponent(to)}`;
      const res = await submit(project.id, { startImageUrl: url, kind: "edit" });
      const body = (await res.json()) as { error: { message: string } };
      expect(res.status, `${url}: ${body.error.message}`).toBe(400);
      expect(body.error.message).toMatch(/redirect/);
    }
    expect(targets.length).toBeGreaterThanOrEqual(25);
    expect(await canaryHits()).toEqual([]);
    expect((await env.BUCKET.list({ prefix: `project/${project.id}/` })).objects).toEqual([]);
  });

  const cases: [string, number][] = [
    ["/html-as-png", 415],
    ["/svg-as-png", 415],
    ["/json-as-jpeg", 415],
    ["/declared-huge", 413],
    ["/chunked-huge", 413],
    ["/gzip-bomb", 413],
    ["/bomb.png", 413],
  ];
  for (const [path, status] of cases) {
    it(`refuses ${path} with ${status} and stores nothing`, async () => {
      const project = await createProject(`ssrf ${path}`);
      const res = await submit(project.id, { startImageUrl: `https://cdn.example${path}`, kind: "edit" });
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(res.status, body.error.message).toBe(status);
      expect(body.error.message).toMatch(/^startImageUrl: /);
      expect((await env.BUCKET.list({ prefix: `project/${project.id}/` })).objects).toEqual([]);
    });
  }

  it("leaves the canary at 0 requests after everything", async () => {
    expect(await canaryHits()).toEqual([]);
  });
});
