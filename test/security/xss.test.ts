/**
 * XSS: known payloads and property-based strings (fast-check) through every user field — project
 * name and description, prompts, notes and tags, titles, template values, comments and authors —
 * into every artifact type. Every HTML result must carry no script but the shipped ones, no event
 * handler, no javascript: URL, and a strict CSP; other outputs must never be served as HTML.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { TRUSTED_SCRIPTS } from "../../src/artifacts/page-scripts";
import { seedProgression } from "../fixtures";
import { call, createProject } from "../helpers";

/** Known payloads, one per context they try to break out of. */
const PAYLOADS = [
  "<script>alert(1)</script>",
  '"><img src=x onerror=alert(1)>',
  "'><svg onload=alert(1)>",
  "</title><script>alert(1)</script>",
  "</style><script>alert(1)</script>",
  "</textarea><script>alert(1)</script>",
  "javascript:alert(1)",
  '<a href="javascript:alert(1)">x</a>',
  '<iframe srcdoc="<script>alert(1)</script>">',
  "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
  "{{TITLE}}",
  "\u2028\u2029</script><script>alert(1)//",
  "<!--<script>alert(1)//-->",
  // A template literal's interpolation, as text (not one here).
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the payload is this very string
  "${alert(1)}",
  "<base href=//evil.example/>",
  "<meta http-equiv=refresh content=0;url=javascript:alert(1)>",
];
const joined = (max: number) => PAYLOADS.join(" ").slice(0, max);

interface Artifact {
  id: string;
  type: string;
  output: string;
  status: string;
  publicUrl: string;
  missingPlaceholders: string[];
}

const ATTR_HANDLER = /<[a-z][^>]*\son[a-z]+\s*=/i;
/** A URL attribute (inside a tag, not escaped text that merely reads like one) and its value. */
const URL_ATTR = /\s(href|src|action|formaction|srcdoc|xlink:href)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/gi;
/** The few entity forms a browser would decode inside an attribute value before reading the scheme. */
const decodeAttr = (v: string) =>
  v
    .replace(/&#x([0-9a-f]+);?/gi, (_, h: string) => String.fromCodePoint(Number.parseInt(h, 16)))
    .replace(/&#(\d+);?/g, (_, d: string) => String.fromCodePoint(Number(d)))
    .replace(/&colon;/gi, ":")
    .replace(/&tab;|&newline;/gi, "");
const FORBIDDEN_TAGS = /<(iframe|object|embed|base|meta\s+http-equiv|svg[^>]*\sonload)/i;

/** Every way a rendered page could run or load something it should not; [] when clean. */
function htmlProblems(html: string): string[] {
  const problems: string[] = [];
  for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script\s*>/gi)) {
    if ((m[1] ?? "").trim() !== "" || !TRUSTED_SCRIPTS.includes(m[2] ?? "")) {
      problems.push(`untrusted script: ${m[0].slice(0, 80)}`);
    }
  }
  // An event handler counts only outside quoted attribute values (escaped text inside one is inert).
  for (const tag of html.matchAll(/<[a-z][^>]*>/gi)) {
    const bare = tag[0].replace(/"[^"]*"|'[^']*'/g, '""');
    if (ATTR_HANDLER.test(bare)) problems.push(`event handler: ${tag[0].slice(0, 80)}`);
  }
  for (const tag of html.matchAll(/<[a-z][^>]*>/gi)) {
    for (const attr of tag[0].matchAll(URL_ATTR)) {
      // Browsers skip whitespace and control characters before the scheme.
      const value = [...decodeAttr(attr[2] ?? attr[3] ?? attr[4] ?? "")]
        .filter((ch) => (ch.codePointAt(0) ?? 0) > 0x20)
        .join("");
      if (/^javascript:/i.test(value)) problems.push(`javascript: URL: ${attr[0].slice(0, 80)}`);
    }
  }
  const tag = FORBIDDEN_TAGS.exec(html);
  if (tag) problems.push(`tag: ${tag[0]}`);
  return problems;
}

function cspProblems(csp: string | null): string[] {
  if (!csp) return ["no Content-Security-Policy"];
  const problems: string[] = [];
  if (!csp.includes("default-src 'none'")) problems.push("default-src is not 'none'");
  if (/unsafe-inline|unsafe-eval|\*/.test(/script-src[^;]*/.exec(csp)?.[0] ?? ""))
    problems.push("loose script-src");
  if (!csp.includes("base-uri 'none'")) problems.push("base-uri is open");
  return problems;
}

async function publicPage(artifact: Artifact) {
  const res = await call(new URL(artifact.publicUrl).pathname, { key: null });
  // Binary documents (PDF, GIF) are read as Latin-1, byte for byte: payload text is still findable.
  const textual = /^(text\/|application\/(json|javascript)|image\/svg)/.test(
    res.headers.get("content-type") ?? "",
  );
  const text = textual ? await res.text() : new TextDecoder("latin1").decode(await res.arrayBuffer());
  return { res, text };
}

/** An https URL carrying payloads in its query: valid for URL placeholders, hostile once printed. */
const HOSTILE_URL = `https://cdn.example/?q=${encodeURIComponent(PAYLOADS.slice(0, 4).join(""))}&x="><b>`;

/** Creates, fills (every missing placeholder gets a payload) and returns the published artifact. */
async function publish(body: Record<string, unknown>, fill: string, imageId = ""): Promise<Artifact> {
  const res = await call("/api/artifacts", { method: "POST", body });
  expect(res.status, JSON.stringify(body).slice(0, 100)).toBe(201);
  let artifact = (await res.json()) as Artifact;
  if (artifact.status === "draft") {
    const input = artifact.missingPlaceholders
      .map((name) => {
        if (name.startsWith("IMAGE_")) return `${name}: ${imageId}`;
        return `${name}: ${name.endsWith("_URL") ? HOSTILE_URL : fill.replace(/[\n\u2028\u2029]/g, " ")}`;
      })
      .join("\n");
    const turn = await call(`/api/artifacts/${artifact.id}/customize`, {
      method: "POST",
      body: { sessionId: `xss-${artifact.id}`, input },
    });
    expect(turn.status).toBe(200);
    artifact = ((await turn.json()) as { artifact: Artifact }).artifact;
  }
  return artifact;
}

async function seedProject(name: string, description: string, text: string) {
  const project = await createProject(name, description);
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) {
    const seeded = await seedProgression(project.id, {
      prompt: `${text} #${i}`,
      refinedPrompt: text,
      aiNotes: [text, PAYLOADS[i] ?? ""],
      aiTags: [PAYLOADS[(i + 1) % PAYLOADS.length] ?? "tag"],
      judgment: i === 2 ? "fail" : "pass",
    });
    ids.push(seeded.id);
  }
  return { ...project, imageId: ids[0] ?? "" };
}

const types = (
  (await (await call("/api/artifacts/types")).json()) as {
    types: { id: string; output: string }[];
  }
).types;

describe("known payloads × every artifact type", () => {
  it("lists 16 types", () => expect(types).toHaveLength(16));

  for (const type of types) {
    it(`${type.id} (${type.output})`, async () => {
      const project = await seedProject(joined(200), joined(2000), joined(4000));
      const artifact = await publish(
        { type: type.id, title: joined(200), projectIds: [project.id] },
        joined(500),
      );
      expect(artifact.status).toBe("published");
      const { res, text } = await publicPage(artifact);
      expect(res.status).toBe(200);
      const contentType = res.headers.get("content-type") ?? "";
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      // The bytes are judged by how they are served, whatever the type's output label says.
      if (!contentType.startsWith("text/html")) {
        expect(contentType).not.toMatch(/html|xml|svg/);
        return;
      }
      expect(cspProblems(res.headers.get("content-security-policy"))).toEqual([]);
      expect(htmlProblems(text)).toEqual([]);
    });
  }
});

describe("template values, comments and authors", () => {
  const TEMPLATE = `<!doctype html><html><head><title>{{TITLE}}</title></head><body><h1>{{HEADLINE}}</h1>
<img src="{{IMAGE_HERO}}" alt="{{HEADLINE}}"><a href="{{CTA_URL}}" title="{{TAGLINE}}">{{TAGLINE}}</a></body></html>`;

  it("escapes every template value in text, attributes and URLs", async () => {
    const put = await call("/api/templates/xss-template", {
      method: "PUT",
      rawBody: TEMPLATE,
      headers: { "content-type": "text/html" },
    });
    expect([200, 201]).toContain(put.status);
    const project = await seedProject("xss template", "d", "p");
    const artifact = await publish(
      { title: joined(200), projectIds: [project.id], templateR2Key: "templates/xss-template.html" },
      joined(300),
      project.imageId,
    );
    expect(artifact.status).toBe("published");
    const { res, text } = await publicPage(artifact);
    expect(cspProblems(res.headers.get("content-security-policy"))).toEqual([]);
    expect(htmlProblems(text)).toEqual([]);
  });

  it("escapes comments and author names on a review board", async () => {
    const project = await seedProject("xss board", "d", "p");
    const board = await publish({ type: "review-board", title: "Board", projectIds: [project.id] }, "x");
    const slug = new URL(board.publicUrl).pathname.split("/").pop() ?? "";
    for (const [i, payload] of PAYLOADS.entries()) {
      const res = await call(`/public/artifact/${slug}/comments`, {
        key: null,
        body: { text: payload, author: payload.slice(0, 80) },
        headers: { "cf-connecting-ip": `198.51.100.${i + 10}` },
        method: "POST",
      });
      expect(res.status).toBe(201);
    }
    const { res, text } = await publicPage(board);
    expect(cspProblems(res.headers.get("content-security-policy"))).toEqual([]);
    expect(htmlProblems(text)).toEqual([]);
  });
});

describe("property-based strings", () => {
  /** Strings built from the characters and fragments that open HTML, attribute, URL and script contexts. */
  const hostile = fc
    .array(
      fc.oneof(
        fc.constantFrom("<", ">", '"', "'", "`", "&", "/", "=", " ", "\n", "\u2028", "{{", "}}"),
        fc.constantFrom("script", "img", "svg", "onerror", "onload", "javascript:", "style", "src", "href"),
        fc.string({ maxLength: 4 }),
      ),
      { minLength: 1, maxLength: 40 },
    )
    .map((parts) => parts.join("").slice(0, 200))
    .filter((s) => s.trim().length > 0);

  it("never lets a generated title, name or prompt into the markup (lookbook, review board)", async () => {
    await fc.assert(
      fc.asyncProperty(
        hostile,
        hostile,
        fc.constantFrom("lookbook", "review-board", "judge-report"),
        async (a, b, type) => {
          const project = await seedProject(a, b, `${a} ${b}`);
          const artifact = await publish({ type, title: b, projectIds: [project.id] }, a);
          const { res, text } = await publicPage(artifact);
          expect(res.status).toBe(200);
          expect(htmlProblems(text)).toEqual([]);
          expect(cspProblems(res.headers.get("content-security-policy"))).toEqual([]);
        },
      ),
      { numRuns: 12 },
    );
  });
});
