/**
 * Owners from the route table: owner A makes one of everything (a project, a finished local job and
 * its progression, a lookbook, a review board with a visitor's comment, a voting deck, a template, a
 * second key, a finished project deletion); owner B then calls every route whose path takes an id
 * with A's ids.
 * Anything that names A's rows answers 404 `not_found` exactly like an unknown id; names that are
 * per owner (template names, session ids) reach B's own. A's rows read the same afterwards, lists
 * are disjoint, /mcp tools answer B the same 404, and the read scope and revocation hold.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { renderPng } from "../fixtures";
import { call, createKey, createOwner, expectError, type OwnedKey, waitFor } from "../helpers";
import { type Envelope, openStream } from "../stream-client";
import { type AppRoute, appRoutes, label, pathWith } from "./route-table";

let counter = 0;
/** Each submission from its own address, so the per-IP job budget never limits this file. */
const ip = () => `198.18.${Math.floor(counter / 250) % 250}.${(counter++ % 250) + 1}`;
const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${counter++}`;

const TEMPLATE_HTML = "<html><body><h1>{{TITLE}}</h1><p>A's own template</p></body></html>";

interface Ids {
  project: string;
  job: string;
  sessionId: string;
  progression: string;
  lookbook: string;
  board: string | null;
  comment: string | null;
  deck: string | null;
  template: string;
  templateR2Key: string;
  deletion: string | null;
  upload: string;
}

const routes = await appRoutes();
const has = (l: string) => routes.some((r) => label(r) === l);

let a: OwnedKey;
let b: OwnedKey;
/** A's read-only key (its id is the `keys/:id` A owns). */
let aReader: OwnedKey;
let ids: Ids;
let bProject: string;
/** What A reads on every parameterised GET before B's attempts: status and body. */
const before = new Map<string, { status: number; body: unknown }>();

async function json<T>(res: Response, status: number): Promise<T> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  return JSON.parse(text) as T;
}

async function createProjectAs(key: string, name: string): Promise<string> {
  return (
    await json<{ id: string }>(await call("/api/projects", { method: "POST", key, body: { name } }), 201)
  ).id;
}

/** A's value for a path parameter, by the resource it follows (`projects/:id`, `jobs/:jobId`, …). */
function valueOfA(route: AppRoute, param: string): string {
  const segment = new RegExp(`/([^/]+)/:${param}(?:\\{[^}]*\\})?(?:/|$)`).exec(route.pattern)?.[1];
  const value = ((): string | null | undefined => {
    switch (`${segment}/:${param}`) {
      case "projects/:id":
        return ids.project;
      case "jobs/:jobId":
        return ids.job;
      case "progressions/:id":
        return ids.progression;
      case "artifacts/:id":
        // Comments live on review boards and votes on voting decks; every other route takes any artifact.
        if (route.params.includes("commentId")) return ids.board;
        return route.pattern.endsWith("/votes") ? ids.deck : ids.lookbook;
      case "comments/:commentId":
        return ids.comment;
      case "keys/:id":
        return aReader.id;
      case "deletions/:id":
        return ids.deletion;
      case "templates/:name":
        return ids.template;
      case "stream/:sessionId":
        return ids.sessionId;
      case "knowledge/:key":
        return "owners.test.tip";
      case "uploads/:id":
        return ids.upload;
      default:
        return undefined;
    }
  })();
  if (value === undefined)
    throw new Error(`${label(route)}: no id of A's for :${param}; teach valueOfA in owners.test.ts`);
  if (value === null) throw new Error(`${label(route)}: A has no row for :${param} (setup skipped it)`);
  return value;
}

const pathOfA = (route: AppRoute) =>
  pathWith(route, Object.fromEntries(route.params.map((p) => [p, valueOfA(route, p)])));

/** A body that passes each route's validation, so the ownership check (after it) is what answers. */
function bodyFor(route: AppRoute): { body?: unknown; rawBody?: string; headers: Record<string, string> } {
  const headers: Record<string, string> = { "cf-connecting-ip": ip() };
  switch (label(route)) {
    case "PATCH /api/projects/:id":
      return { body: { name: "renamed by B" }, headers };
    case "POST /api/projects/:id/jobs":
      return {
        body: { prompt: "B's prompt", providers: ["local"], variants: 1, sessionId: unique("b-session") },
        headers,
      };
    case "POST /api/artifacts/:id/associate":
      return { body: { projectId: bProject }, headers };
    case "POST /api/artifacts/:id/customize":
      return { body: { sessionId: unique("b-customize"), input: "make the title red" }, headers };
    case "PUT /api/templates/:name":
      return { rawBody: "<p>B's {{TITLE}}</p>", headers: { ...headers, "content-type": "text/html" } };
    case "PUT /api/knowledge/:key":
      return { body: { value: { provider: "local", tips: ["from B"] } }, headers };
  }
  if (route.method === "GET" || route.method === "DELETE") return { headers };
  return { body: {}, headers };
}

/** Every GET with a parameter, as A, with A's ids. */
async function readAllAsA(): Promise<Map<string, { status: number; body: unknown }>> {
  const seen = new Map<string, { status: number; body: unknown }>();
  for (const route of routes.filter((r) => r.method === "GET" && r.params.length > 0 && r.scope === "read")) {
    const res = await call(pathOfA(route), { key: a.key });
    const body: unknown = res.status === 200 ? await res.json() : await res.body?.cancel();
    seen.set(label(route), { status: res.status, body });
  }
  return seen;
}

const keysOf = async (key: string) =>
  (
    await json<{ keys: { id: string; revokedAt: number | null; name: string }[] }>(
      await call("/api/keys", { key }),
      200,
    )
  ).keys;

beforeAll(async () => {
  a = await createOwner();
  b = await createOwner();
  expect(a.ownerId).not.toBe(b.ownerId);
  aReader = await createKey(["read"], { by: a.key, name: "A's reader" });
  bProject = await createProjectAs(b.key, "B's project");
  const project = await createProjectAs(a.key, "A's project");

  const sessionId = unique("owners-a");
  const accepted = await json<{ jobId: string }>(
    await call(`/api/projects/${project}/jobs`, {
      method: "POST",
      key: a.key,
      body: { prompt: "a red kite over dunes", providers: ["local"], variants: 1, sessionId },
      headers: { "cf-connecting-ip": ip() },
    }),
    202,
  );
  await waitFor("A's job to complete", async () => {
    const job = await json<{ status: string }>(
      await call(`/api/jobs/${accepted.jobId}`, { key: a.key }),
      200,
    );
    if (job.status === "failed" || job.status === "cancelled") throw new Error(`A's job ended ${job.status}`);
    return job.status === "complete" ? job : undefined;
  });
  const { progressions } = await json<{ progressions: { id: string }[] }>(
    await call(`/api/projects/${project}/progressions`, { key: a.key }),
    200,
  );
  const progression = progressions[0]?.id;
  if (!progression) throw new Error("A's job made no progression");

  const lookbook = await json<{ id: string }>(
    await call(`/api/projects/${project}/artifacts/lookbook`, { method: "POST", key: a.key, body: {} }),
    201,
  );

  // A visitor's comment on a review board of A's, for the routes that take a comment id.
  let board: string | null = null;
  let comment: string | null = null;
  if (routes.some((r) => r.params.includes("commentId"))) {
    const created = await json<{ id: string; publicSlug: string; status: string }>(
      await call("/api/artifacts", {
        method: "POST",
        key: a.key,
        body: { type: "review-board", title: "A's board", projectIds: [project] },
      }),
      201,
    );
    board = created.id;
    const posted = await json<{ id: string }>(
      await call(`/public/artifact/${created.publicSlug}/comments`, {
        method: "POST",
        key: null,
        body: { text: "a visitor's note", progressionId: progression },
        headers: { "cf-connecting-ip": ip() },
      }),
      201,
    );
    comment = posted.id;
  }

  // A voting deck of A's, for the routes that read votes.
  let deck: string | null = null;
  if (routes.some((r) => r.pattern.startsWith("/api/artifacts/:id/votes")))
    deck = (
      await json<{ id: string }>(
        await call("/api/artifacts", {
          method: "POST",
          key: a.key,
          body: { type: "voting-deck", title: "A's deck", projectIds: [project] },
        }),
        201,
      )
    ).id;

  const template = "owners-a-template";
  const stored = await json<{ templateR2Key: string }>(
    await call(`/api/templates/${template}`, {
      method: "PUT",
      key: a.key,
      rawBody: TEMPLATE_HTML,
      headers: { "content-type": "text/html" },
    }),
    201,
  );

  // A finished deletion of a project of A's, for the routes that take a deletion id.
  let deletion: string | null = null;
  if (has("DELETE /api/projects/:id") && has("GET /api/deletions/:id")) {
    const doomed = await createProjectAs(a.key, "A's doomed project");
    deletion = (
      await json<{ id: string }>(await call(`/api/projects/${doomed}`, { method: "DELETE", key: a.key }), 202)
    ).id;
    await waitFor("A's deletion to finish", async () => {
      const d = await json<{ status: string }>(await call(`/api/deletions/${deletion}`, { key: a.key }), 200);
      return d.status === "complete" ? d : undefined;
    });
  }

  const upload = await json<{ id: string }>(
    await call("/api/uploads", {
      method: "POST",
      key: a.key,
      rawBody: await renderPng(),
      headers: { "content-type": "image/png" },
    }),
    201,
  );
  ids = {
    upload: upload.id,
    project,
    job: accepted.jobId,
    sessionId,
    progression,
    lookbook: lookbook.id,
    board,
    comment,
    deck,
    template,
    templateR2Key: stored.templateR2Key,
    deletion,
  };
  for (const [k, v] of await readAllAsA()) before.set(k, v);
}, 60_000);

/** Routes whose parameter is a name each owner has their own of: B reaches B's, never A's. */
const NAMESPACED = new Set(["PUT /api/templates/:name", "GET /api/stream/:sessionId"]);

describe("B with A's ids: every route that takes one answers 404 like an unknown id", () => {
  const attacked = routes.filter(
    (r) => r.params.length > 0 && r.scope !== "public" && !r.pattern.startsWith("/api/dev/"),
  );

  it("covers the routes that take an id (read from the route table)", () => {
    expect(attacked.length).toBeGreaterThanOrEqual(15);
    expect(attacked.map(label)).toEqual(
      expect.arrayContaining([
        "GET /api/projects/:id",
        "GET /api/jobs/:jobId",
        "GET /api/progressions/:id",
        "GET /api/artifacts/:id",
        "DELETE /api/keys/:id",
      ]),
    );
  });

  for (const route of attacked.filter((r) => !NAMESPACED.has(label(r)))) {
    const expected = route.scope === "root" ? "403 forbidden (not a root key)" : "404 not_found";
    it(`${label(route)} → ${expected}`, async () => {
      const { body, rawBody, headers } = bodyFor(route);
      const res = await call(pathOfA(route), { method: route.method, key: b.key, body, rawBody, headers });
      if (route.scope === "root") {
        await expectError(res, 403, "forbidden");
        return;
      }
      const refused = await expectError(res, 404, "not_found");
      // The control for reads: A reads the same path (before B's attempts began).
      if (route.method === "GET") expect(before.get(label(route))?.status, "A's own read").toBe(200);
      // Nothing of A's in the answer: not the id's owner, not the row.
      expect(JSON.stringify(refused)).not.toContain(a.ownerId);
      // No existence oracle: an id that exists nowhere gets the very same answer.
      const unknown = bodyFor(route);
      const missing = await call(route.path, { method: route.method, key: b.key, ...unknown });
      expect((await expectError(missing, 404, "not_found")).error.message).toBe(refused.error.message);
    });
  }

  it("PUT /api/templates/:name with A's template name creates B's own (201), A's is untouched", async () => {
    const route = routes.find((r) => label(r) === "PUT /api/templates/:name");
    if (!route) throw new Error("no template route");
    const { rawBody, headers } = bodyFor(route);
    const res = await call(pathOfA(route), { method: "PUT", key: b.key, rawBody, headers });
    const stored = await json<{ templateR2Key: string }>(res, 201);
    expect(stored.templateR2Key).not.toBe(ids.templateR2Key);
    expect(await (await env.BUCKET.get(ids.templateR2Key))?.text()).toBe(TEMPLATE_HTML);
    // B cannot build an artifact on A's template key either.
    await expectError(
      await call("/api/artifacts", {
        method: "POST",
        key: b.key,
        body: { type: "lookbook", title: "B's", projectIds: [bProject], templateR2Key: ids.templateR2Key },
      }),
      404,
      "not_found",
    );
  });

  it("GET /api/stream/:sessionId with A's session opens B's own: none of A's events replay", async () => {
    const complete = (e: Envelope) => e.type === "complete" && e.data.jobId === ids.job;
    const mine = await openStream(ids.sessionId, 0, { key: a.key });
    await waitFor("A's replay", async () => (mine.envelopes.some(complete) ? true : undefined), 5000);
    const theirs = await openStream(ids.sessionId, 0, { key: b.key });
    // A ping answered proves the socket is open and every replayed frame was already sent.
    theirs.ws.send("ping");
    expect(await theirs.nextText()).toBe("pong");
    expect(theirs.envelopes).toEqual([]);
    mine.ws.close();
    theirs.ws.close();
  });
});

describe("ids in bodies", () => {
  it("POST /api/artifacts with A's project → 404", async () => {
    const res = await call("/api/artifacts", {
      method: "POST",
      key: b.key,
      body: { type: "lookbook", title: "B's", projectIds: [ids.project] },
    });
    await expectError(res, 404, "not_found");
  });

  it("associating A's project with B's artifact → 404", async () => {
    const mine = await json<{ id: string }>(
      await call(`/api/projects/${bProject}/artifacts/lookbook`, { method: "POST", key: b.key, body: {} }),
      201,
    );
    const res = await call(`/api/artifacts/${mine.id}/associate`, {
      method: "POST",
      key: b.key,
      body: { projectId: ids.project },
    });
    await expectError(res, 404, "not_found");
  });

  it("a job on B's project continuing from A's progression answers like an unknown one", async () => {
    const attempt = async (parentProgressionId: string) => {
      const res = await call(`/api/projects/${bProject}/jobs`, {
        method: "POST",
        key: b.key,
        body: { prompt: "x", providers: ["local"], sessionId: unique("b-job"), parentProgressionId },
        headers: { "cf-connecting-ip": ip() },
      });
      return (await expectError(res, 400, "invalid_request")).error.message;
    };
    expect(await attempt(ids.progression)).toBe(await attempt("no-such-progression-id"));
  });

  it("POST /api/keys for A's owner with B's key → 403", async () => {
    const res = await call("/api/keys", {
      method: "POST",
      key: b.key,
      body: { name: "into A", scopes: ["read"], owner: a.ownerId },
    });
    await expectError(res, 403, "forbidden");
  });
});

describe("A afterwards", () => {
  it("reads every one of its rows exactly as before", async () => {
    expect([...before.values()].filter((v) => v.status === 200).length).toBeGreaterThanOrEqual(5);
    const after = await readAllAsA();
    for (const [route, then] of before) expect(after.get(route), route).toEqual(then);
    const project = await json<{ name: string }>(
      await call(`/api/projects/${ids.project}`, { key: a.key }),
      200,
    );
    expect(project.name).toBe("A's project");
    expect(await (await env.BUCKET.get(ids.templateR2Key))?.text()).toBe(TEMPLATE_HTML);
    const reader = (await keysOf(a.key)).find((k) => k.id === aReader.id);
    expect(reader?.revokedAt).toBeNull();
  });

  it("lists are disjoint: projects and keys", async () => {
    const projects = async (key: string) =>
      (
        await json<{ projects: { id: string }[] }>(await call("/api/projects?limit=100", { key }), 200)
      ).projects.map((p) => p.id);
    const mine = await projects(a.key);
    const theirs = await projects(b.key);
    expect(mine).toContain(ids.project);
    expect(theirs).toContain(bProject);
    expect(mine.filter((id) => theirs.includes(id))).toEqual([]);
    const aKeys = (await keysOf(a.key)).map((k) => k.id);
    const bKeys = (await keysOf(b.key)).map((k) => k.id);
    expect(aKeys).toEqual(expect.arrayContaining([a.id, aReader.id]));
    expect(bKeys).toContain(b.id);
    expect(bKeys.filter((id) => aKeys.includes(id))).toEqual([]);
  });
});

/** One JSON-RPC tools/call to the stateless MCP server with `key` as a Bearer; the tool's result. */
async function mcpTool(key: string, name: string, args: Record<string, unknown>) {
  const res = await call("/mcp", {
    method: "POST",
    key: null,
    body: { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name, arguments: args } },
    headers: {
      authorization: `Bearer ${key}`,
      accept: "application/json, text/event-stream",
      "cf-connecting-ip": ip(),
    },
  });
  const text = await res.text();
  expect(res.status, text).toBe(200);
  // A JSON body, or one server-sent event whose data is the JSON-RPC response.
  const data = text.trimStart().startsWith("{")
    ? text
    : text
        .split("\n")
        .filter((line) => line.startsWith("data:"))
        .map((line) => line.slice(5).trim())
        .join("");
  const message = JSON.parse(data) as {
    result?: { isError?: boolean; content: { type: string; text?: string }[] };
    error?: unknown;
  };
  if (!message.result) throw new Error(`${name}: no result: ${data}`);
  const texts = message.result.content.map((c) => c.text ?? "");
  return { isError: message.result.isError === true, summary: texts[0] ?? "", text: texts.join("\n") };
}

describe("/mcp as B on A's rows", () => {
  const calls = (): [string, Record<string, unknown>][] => [
    ["get_job", { jobId: ids.job }],
    ["cancel_job", { jobId: ids.job }],
    ["view_progression", { progressionId: ids.progression }],
    ["rollback_progression", { progressionId: ids.progression }],
    ["list_progressions", { projectId: ids.project }],
    [
      "generate_images",
      { projectId: ids.project, prompt: "B's", providers: ["local"], sessionId: unique("b-mcp") },
    ],
    ["create_artifact", { type: "lookbook", title: "B's", projectIds: [ids.project] }],
  ];

  it("each tool that reads or changes A's rows answers isError not_found", async () => {
    for (const [name, args] of calls()) {
      const result = await mcpTool(b.key, name, args);
      expect({ name, ...result }).toMatchObject({
        name,
        isError: true,
        summary: expect.stringMatching(/^not_found: /),
      });
    }
  });

  it("the control: A reads the same through the same tools", async () => {
    for (const [name, args] of calls().filter(([n]) =>
      ["get_job", "view_progression", "list_progressions"].includes(n),
    )) {
      const result = await mcpTool(a.key, name, args);
      expect({ name, ...result }).toMatchObject({ name, isError: false });
    }
    expect((await mcpTool(a.key, "get_job", { jobId: ids.job })).text).toContain(ids.job);
  });

  it("list_projects as B lists none of A's projects", async () => {
    const listed = await mcpTool(b.key, "list_projects", {});
    expect(listed.isError).toBe(false);
    expect(listed.text).toContain(bProject);
    expect(listed.text).not.toContain(ids.project);
  });

  it("a tool call meets the REST route's scope: A's read key cannot generate (forbidden)", async () => {
    const result = await mcpTool(aReader.key, "generate_images", {
      projectId: ids.project,
      prompt: "x",
      providers: ["local"],
      sessionId: unique("reader-mcp"),
    });
    expect(result).toMatchObject({ isError: true, summary: expect.stringMatching(/^forbidden: /) });
    expect((await mcpTool(aReader.key, "view_progression", { progressionId: ids.progression })).isError).toBe(
      false,
    );
  });
});

describe("scopes and revocation of A's own keys", () => {
  it("a read key GETs A's project but cannot POST or PATCH it (403)", async () => {
    const res = await call(`/api/projects/${ids.project}`, { key: aReader.key });
    expect((await json<{ id: string }>(res, 200)).id).toBe(ids.project);
    await expectError(
      await call(`/api/projects/${ids.project}`, { method: "PATCH", key: aReader.key, body: { name: "x" } }),
      403,
      "forbidden",
    );
    await expectError(
      await call(`/api/projects/${ids.project}/jobs`, {
        method: "POST",
        key: aReader.key,
        body: { prompt: "x", providers: ["local"], sessionId: unique("reader") },
        headers: { "cf-connecting-ip": ip() },
      }),
      403,
      "forbidden",
    );
    await expectError(
      await call("/api/projects", { method: "POST", key: aReader.key, body: { name: "x" } }),
      403,
      "forbidden",
    );
  });

  it("revoking a key makes the very next request 401", async () => {
    const doomed = await createKey(["read", "write"], { by: a.key, name: "doomed" });
    expect((await call(`/api/projects/${ids.project}`, { key: doomed.key })).status).toBe(200);
    const revoked = await json<{ id: string; revokedAt: number | null }>(
      await call(`/api/keys/${doomed.id}`, { method: "DELETE", key: a.key }),
      200,
    );
    expect(revoked.revokedAt).toEqual(expect.any(Number));
    const refused = await expectError(
      await call(`/api/projects/${ids.project}`, { key: doomed.key }),
      401,
      "unauthorized",
    );
    expect(refused.error.message).toMatch(/revoked/);
    await expectError(await call("/api/projects", { key: doomed.key }), 401, "unauthorized");
  });
});
