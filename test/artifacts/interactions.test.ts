/**
 * Comments on review boards and votes on voting decks: stored in D1, escaped on the page, shown on
 * the page's next load (its cached copy purged), rate-limited per IP, accepted only on their own
 * artifact type; votes once per visitor IP per deck; `GET /api/artifacts/:id/votes`. IPv6 visitors
 * are keyed by their /64 for both the limit and the vote.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { COMMENT_COST } from "../../src/artifacts/interactions";
import { takeRateToken } from "../../src/lib/actor";
import type { AppEnv } from "../../src/lib/env";
import { escapeHtml } from "../../src/lib/html";
import { clientKey } from "../../src/views/client-key";
import { seedProgression } from "../fixtures";
import { call, createProject, expectError } from "../helpers";

const appEnv = env as unknown as AppEnv;
const HOSTILE = `<script>alert(1)</script> "><img src=x onerror=alert(1)> '; rm -rf /; ' $(reboot) \`id\`\nline two`;

let ips = 0;
const ip = () => `203.0.113.${++ips}`;

interface Published {
  id: string;
  publicSlug: string;
  publicUrl: string;
  status: string;
}

let projectId: string;
/** Two images the job made (both pass) and one the judge failed (not in the voting deck). */
let images: string[];
let failed: string;

async function runLocalJob(id: string) {
  const res = await call(`/api/projects/${id}/jobs`, {
    method: "POST",
    body: {
      prompt: "a teal lighthouse at dusk, gold sky",
      providers: ["local"],
      variants: 2,
      sessionId: `interactions-${Date.now()}`,
    },
    headers: { "cf-connecting-ip": ip() },
  });
  expect(res.status).toBe(202);
  const { jobId } = (await res.json()) as { jobId: string };
  for (;;) {
    const status = (await (await call(`/api/jobs/${jobId}`)).json()) as {
      finishedAt: number | null;
      tasks: { progressionId?: string }[];
    };
    if (status.finishedAt !== null) return status.tasks.map((t) => t.progressionId ?? "");
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  const project = await createProject("Interactions");
  projectId = project.id;
  images = await runLocalJob(project.id);
  failed = (
    await seedProgression(project.id, { prompt: "rejected", judgment: "fail", createdAt: Date.now() + 5 })
  ).id;
}, 60_000);

async function publish(type: string): Promise<Published> {
  const res = await call("/api/artifacts", {
    method: "POST",
    body: { type, title: type, projectIds: [projectId] },
  });
  const artifact = (await res.json()) as Published;
  expect(res.status, JSON.stringify(artifact)).toBe(201);
  expect(artifact.status).toBe("published");
  return artifact;
}

const page = async (a: Published) => (await call(`/public/artifact/${a.publicSlug}`, { key: null })).text();

const comment = (
  a: Pick<Published, "publicSlug">,
  body: unknown,
  from = ip(),
  headers: Record<string, string> = {},
) =>
  call(`/public/artifact/${a.publicSlug}/comments`, {
    method: "POST",
    body,
    key: null,
    headers: { "cf-connecting-ip": from, ...headers },
  });

const voteFor = (a: Pick<Published, "publicSlug">, progressionId: unknown, from = ip()) =>
  call(`/public/artifact/${a.publicSlug}/votes`, {
    method: "POST",
    body: { progressionId },
    key: null,
    headers: { "cf-connecting-ip": from },
  });

describe("POST /public/artifact/:slug/comments", () => {
  it("stores a pinned comment (no key needed), escapes it and shows it on the next load", async () => {
    const board = await publish("review-board");
    // Served once, so the page is in the Cache API: the comment must purge it to show up.
    expect(await page(board)).toContain("No comments yet.");
    const image = images[0] ?? "";
    const res = await comment(board, {
      text: HOSTILE,
      author: `Ann ${HOSTILE}`.slice(0, 80),
      x: 0.25,
      y: 0.75,
      progressionId: image,
    });
    expect(res.status).toBe(201);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toEqual({
      id: expect.stringMatching(/^[A-Za-z0-9_-]{21}$/),
      artifactId: board.id,
      progressionId: image,
      author: `Ann ${HOSTILE}`.slice(0, 80).trim(),
      text: HOSTILE.trim(),
      x: 0.25,
      y: 0.75,
      createdAt: expect.any(Number),
    });
    const row = await appEnv.DB.prepare("SELECT body, x, y FROM artifact_comments WHERE id = ?")
      .bind(body.id)
      .first();
    expect(row).toEqual({ body: HOSTILE.trim(), x: 0.25, y: 0.75 });

    const html = await page(board);
    expect(html).not.toContain("<script>alert(1)</script>");
    expect(html).not.toContain(`"><img src=x onerror=alert(1)>`);
    expect(html).toContain(`<p class="text">${escapeHtml(HOSTILE.trim()).replace("\n", "<br>")}</p>`);
    // The pin sits at (0.25, 0.75) of the 512-px image and links to its comment.
    expect(html).toContain(
      `<a href="#comment-${body.id}"><circle cx="128" cy="384" r="18"/><text x="128" y="384" dy="0.35em" font-size="20">1</text></a>`,
    );
    expect(html).toContain("1 comments");

    const general = await comment(board, { text: "Love the whole set" });
    expect(general.status).toBe(201);
    expect(await general.json()).toMatchObject({ progressionId: null, author: null, x: null, y: null });
    expect(await page(board)).toMatch(/<strong>Anonymous<\/strong>[\s\S]*Love the whole set/);
  });

  it("keeps every comment of concurrent visitors on the page", async () => {
    const board = await publish("review-board");
    const texts = ["first of three", "second of three", "third of three"];
    const results = await Promise.all(texts.map((text) => comment(board, { text })));
    expect(results.map((r) => r.status)).toEqual([201, 201, 201]);
    const html = await page(board);
    for (const text of texts) expect(html).toContain(text);
  });

  it("refuses malformed, oversize and misplaced comments in the error envelope", async () => {
    const board = await publish("review-board");
    const bad = async (body: unknown, message: RegExp) =>
      expect((await expectError(await comment(board, body), 400, "invalid_request")).error.message).toMatch(
        message,
      );
    await bad({}, /^text: /);
    await bad({ text: "   " }, /^text: /);
    await bad({ text: "x".repeat(2001) }, /^text: .*2000/);
    await bad({ text: "ok", author: "a".repeat(81) }, /^author: /);
    await bad({ text: "ok", x: 1.5, y: 0.5, progressionId: images[0] }, /^x: /);
    await bad({ text: "ok", x: 0.5, progressionId: images[0] }, /^x: x and y go together/);
    await bad({ text: "ok", x: 0.5, y: 0.5 }, /^progressionId: a pinned comment/);
    await bad({ text: "ok", extra: true }, /extra|Unrecognized/i);
    await bad(
      { text: "ok", progressionId: "not-on-this-board" },
      /^progressionId: not an image of this review board$/,
    );
    const other = await seedProgression((await createProject("Elsewhere")).id);
    await bad({ text: "ok", progressionId: other.id }, /^progressionId: not an image/);

    const malformed = await call(`/public/artifact/${board.publicSlug}/comments`, {
      method: "POST",
      rawBody: "{not json",
      key: null,
      headers: { "content-type": "application/json", "cf-connecting-ip": ip() },
    });
    await expectError(malformed, 400, "invalid_request");
    const big = await comment(board, { text: "x".repeat(20_000) });
    expect((await expectError(big, 413, "payload_too_large")).error.message).toBe(
      "Comment exceeds 16384 bytes",
    );
    const form = await call(`/public/artifact/${board.publicSlug}/comments`, {
      method: "POST",
      rawBody: "text=hi",
      key: null,
      headers: { "content-type": "application/x-www-form-urlencoded", "cf-connecting-ip": ip() },
    });
    await expectError(form, 415, "unsupported_media_type");
    const count = await appEnv.DB.prepare("SELECT COUNT(*) AS n FROM artifact_comments WHERE artifact_id = ?")
      .bind(board.id)
      .first<{ n: number }>();
    expect(count?.n).toBe(0);
  });

  it("exists only on published review boards", async () => {
    await expectError(await comment({ publicSlug: "no-such-board-123" }, { text: "hi" }), 404, "not_found");
    const deck = await publish("voting-deck");
    const onDeck = await expectError(await comment(deck, { text: "hi" }), 404, "not_found");
    expect(onDeck.error.message).toBe("No published review board at this address");
    const lookbook = await publish("lookbook");
    await expectError(await comment(lookbook, { text: "hi" }), 404, "not_found");
  });

  it("limits each visitor IP (429 with Retry-After) without touching its job-submission budget", async () => {
    const board = await publish("review-board");
    const from = ip();
    // A burst of 30 tokens at 3 a comment; a token comes back every 2 s meanwhile.
    const burst = Math.floor(30 / COMMENT_COST);
    let allowed = 0;
    let limited = await comment(board, { text: "comment 0" }, from);
    while (limited.status === 201 && allowed < burst + 5) {
      allowed++;
      limited = await comment(board, { text: `comment ${allowed}` }, from);
    }
    expect(allowed).toBeGreaterThanOrEqual(burst);
    expect(allowed).toBeLessThanOrEqual(burst + 2);
    const body = await expectError(limited, 429, "rate_limited");
    expect(body.error.message).toMatch(/^Too many comments from this address: retry in \d+ s$/);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect((await comment(board, { text: "another visitor" })).status).toBe(201);
    // Public writes have their own bucket: the same address can still submit jobs.
    expect((await takeRateToken(appEnv, from)).remaining).toBe(29);
  });
});

describe("POST /public/artifact/:slug/votes and GET /api/artifacts/:id/votes", () => {
  it("counts one vote per visitor IP per deck; a second one is 200 and changes nothing", async () => {
    const deck = await publish("voting-deck");
    expect(await page(deck)).toContain("No votes yet: be the first.");
    const [a, b] = [images[0] ?? "", images[1] ?? ""];
    const visitor = ip();
    const first = await voteFor(deck, a, visitor);
    expect(first.status).toBe(201);
    expect(await first.json()).toEqual({
      counted: true,
      progressionId: a,
      votes: { total: 1, byProgression: { [a]: 1 } },
    });
    const again = await voteFor(deck, b, visitor);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({
      counted: false,
      progressionId: a,
      votes: { total: 1, byProgression: { [a]: 1 } },
    });
    expect((await voteFor(deck, b)).status).toBe(201);
    expect((await voteFor(deck, b)).status).toBe(201);

    const tally = await call(`/api/artifacts/${deck.id}/votes`);
    expect(tally.status).toBe(200);
    expect(await tally.json()).toEqual({ total: 3, byProgression: { [a]: 1, [b]: 2 } });
    const html = await page(deck);
    expect(html).toContain("3 votes");
    expect(html).toMatch(/Step \d+ leads with 2 votes\./);
    expect(html).toContain("<span data-count>2 votes</span> · 67%");
    // The table keeps no address: the voter is a digest.
    const voters = await appEnv.DB.prepare("SELECT voter FROM artifact_votes WHERE artifact_id = ?")
      .bind(deck.id)
      .all<{ voter: string }>();
    for (const v of voters.results) expect(v.voter).toMatch(/^[0-9a-f]{64}$/);
  });

  it("refuses images outside the deck, bad bodies and other artifact types", async () => {
    const deck = await publish("voting-deck");
    const notIn = await expectError(await voteFor(deck, failed), 400, "invalid_request");
    expect(notIn.error.message).toBe("progressionId: not an image of this voting deck");
    await expectError(await voteFor(deck, "no-such-progression"), 400, "invalid_request");
    await expectError(await voteFor(deck, 42), 400, "invalid_request");
    await expectError(await voteFor(deck, undefined), 400, "invalid_request");
    const board = await publish("review-board");
    expect((await expectError(await voteFor(board, images[0]), 404, "not_found")).error.message).toBe(
      "No published voting deck at this address",
    );
    await expectError(await voteFor({ publicSlug: "missing-deck-1234" }, images[0]), 404, "not_found");
    await expectError(await call(`/api/artifacts/${board.id}/votes`), 404, "not_found");
    await expectError(await call("/api/artifacts/missing-artifact/votes"), 404, "not_found");
    expect(await (await call(`/api/artifacts/${deck.id}/votes`)).json()).toEqual({
      total: 0,
      byProgression: {},
    });
  });

  it("limits votes per visitor IP", async () => {
    const deck = await publish("voting-deck");
    const from = ip();
    expect((await voteFor(deck, images[0], from)).status).toBe(201);
    // The rest of the burst of 30 (a token comes back every 2 s meanwhile): each a 200, no new vote.
    let allowed = 1;
    let limited = await voteFor(deck, images[1], from);
    while (limited.status === 200 && allowed < 40) {
      allowed++;
      limited = await voteFor(deck, images[1], from);
    }
    expect(allowed).toBeGreaterThanOrEqual(30);
    expect(allowed).toBeLessThanOrEqual(33);
    expect((await expectError(limited, 429, "rate_limited")).error.message).toMatch(/^Too many votes/);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(await (await call(`/api/artifacts/${deck.id}/votes`)).json()).toMatchObject({ total: 1 });
  });
});

describe("IPv6 visitors are keyed by their /64", () => {
  it("counts one vote per /64: a rotated address of the same subscriber changes nothing", async () => {
    const deck = await publish("voting-deck");
    const [a, b] = [images[0] ?? "", images[1] ?? ""];
    expect((await voteFor(deck, a, "2001:db8:77:1::1")).status).toBe(201);
    const rotated = await voteFor(deck, b, "2001:DB8:77:1:ffff:1:2:3");
    expect(rotated.status).toBe(200);
    expect(await rotated.json()).toMatchObject({ counted: false, progressionId: a });
    expect((await voteFor(deck, b, "2001:db8:77:2::1")).status).toBe(201); // another /64
    expect((await voteFor(deck, b, "::ffff:198.51.100.77")).status).toBe(201);
    expect((await voteFor(deck, a, "198.51.100.77")).status).toBe(200); // the same IPv4 client
    expect(await (await call(`/api/artifacts/${deck.id}/votes`)).json()).toEqual({
      total: 3,
      byProgression: { [a]: 1, [b]: 2 },
    });
  });

  it("shares one rate-limit bucket across a /64", async () => {
    const board = await publish("review-board");
    // Empty the /64's bucket (burst 30); a comment costs 3 and a token takes 2 s to come back.
    const drained = await takeRateToken(appEnv, `public:${clientKey("2001:db8:88:1::1")}`, 30);
    expect(drained.allowed).toBe(true);
    const limited = await comment(board, { text: "from a rotated address" }, "2001:db8:88:1:abcd::9");
    expect((await expectError(limited, 429, "rate_limited")).error.message).toMatch(/^Too many comments/);
    expect((await comment(board, { text: "another /64" }, "2001:db8:88:2::9")).status).toBe(201);
  });
});

describe("the OpenAPI document", () => {
  it("describes the comment, vote and tally routes", async () => {
    const doc = (await (await call("/openapi.json", { key: null })).json()) as {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    };
    expect(Object.keys(doc.paths["/public/artifact/{slug}/comments"]?.post?.responses ?? {}).sort()).toEqual(
      ["201", "400", "404", "413", "415", "429", "500"].sort(),
    );
    expect(Object.keys(doc.paths["/public/artifact/{slug}/votes"]?.post?.responses ?? {})).toEqual(
      expect.arrayContaining(["200", "201", "400", "404", "429"]),
    );
    expect(doc.paths["/api/artifacts/{id}/votes"]?.get).toBeDefined();
  });
});
