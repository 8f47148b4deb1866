// Who may see what, black-box: against its own `wrangler dev --local` (production-like, ENVIRONMENT
// is not development) on 127.0.0.1, generated from the served /openapi.json so a new route cannot
// escape it. Every /api operation × { no key, a wrong key, a revoked key } → 401; every operation
// whose declared scope is write/admin/root × a read-only key → 403; every operation that takes an
// id, called by owner B with owner A's ids → 404, and A's data intact afterwards; streams without a
// credential → 401, a token for another session → 403.
// Usage: node test/security/access-blackbox.mjs   (part of npm run test:security)
import WebSocket from "ws";
import { startDevServer } from "../../bench/dev-server.mjs";

const server = await startDevServer({
  persist: ".wrangler/security-access",
  vars: { ENVIRONMENT: "test", RATE_LIMIT_BURST: "1000" },
});
const failures = [];
let checks = 0;
const expect = (what, ok, detail = "") => {
  checks++;
  if (!ok) failures.push(`${what}${detail ? `: ${detail}` : ""}`);
};

async function call(method, path, key, body) {
  const headers = { "content-type": "application/json" };
  if (key) headers["x-api-key"] = key;
  const res = await fetch(`${server.base}${path}`, {
    method,
    headers,
    body: method === "GET" ? undefined : JSON.stringify(body ?? {}),
  });
  const text = await res.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, json };
}

try {
  const root = server.key;
  const ownerA = (
    await call("POST", "/api/keys", root, { name: "A", scopes: ["read", "write", "admin"], owner: "new" })
  ).json;
  const ownerB = (
    await call("POST", "/api/keys", root, { name: "B", scopes: ["read", "write", "admin"], owner: "new" })
  ).json;
  const readerA = (await call("POST", "/api/keys", ownerA.key, { name: "A read", scopes: ["read"] })).json;
  const revoked = (await call("POST", "/api/keys", ownerA.key, { name: "A gone", scopes: ["read"] })).json;
  await call("DELETE", `/api/keys/${revoked.id}`, ownerA.key);

  // Owner A's data: a project, a finished job, a progression, a lookbook, a template.
  const project = (await call("POST", "/api/projects", ownerA.key, { name: "A secret launch" })).json;
  const sessionA = "access-session-A1";
  const job = (
    await call("POST", `/api/projects/${project.id}/jobs`, ownerA.key, {
      prompt: "unreleased product shot",
      providers: ["local"],
      variants: 1,
      sessionId: sessionA,
    })
  ).json;
  let status;
  for (let i = 0; i < 120; i++) {
    status = (await call("GET", `/api/jobs/${job.jobId}`, ownerA.key)).json;
    if (status?.status === "complete" || status?.status === "failed") break;
    await new Promise((r) => setTimeout(r, 500));
  }
  const progressionId = status?.tasks?.[0]?.progressionId;
  const artifact = (await call("POST", `/api/projects/${project.id}/artifacts/lookbook`, ownerA.key, {}))
    .json;
  const projectB = (await call("POST", "/api/projects", ownerB.key, { name: "B's own" })).json;
  const ids = {
    id: project.id,
    jobId: job.jobId,
    sessionId: sessionA,
    key: "black-box-tip",
    name: "black-box",
    commentId: "no-such-comment-000001",
  };
  // Which id a `{id}` means depends on the resource in front of it.
  const idFor = (path) => {
    if (path.startsWith("/api/progressions/")) return progressionId;
    if (path.startsWith("/api/artifacts/")) return artifact.id;
    if (path.startsWith("/api/keys/")) return ownerA.keyId ?? ownerA.id;
    return project.id;
  };
  const concrete = (path) =>
    path.replace(/\{([A-Za-z]+)\}/g, (_m, name) => (name === "id" ? idFor(path) : (ids[name] ?? "x")));
  const bodies = {
    "POST /api/projects/{id}/jobs": {
      prompt: "b",
      providers: ["local"],
      variants: 1,
      sessionId: "access-session-B1",
    },
    "POST /api/artifacts/{id}/associate": { projectId: projectB.id },
    "POST /api/artifacts/{id}/customize": { sessionId: "access-session-B1", input: "TITLE: x" },
    "PATCH /api/projects/{id}": { name: "taken over" },
  };

  const doc = (await call("GET", "/openapi.json")).json;
  const ops = Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => ["get", "post", "put", "patch", "delete"].includes(method))
      .map(([method, op]) => ({
        method: method.toUpperCase(),
        path,
        scope: (op.security ?? []).flatMap((s) => Object.values(s).flat())[0] ?? null,
      })),
  );
  const apiOps = ops.filter((o) => o.path.startsWith("/api/"));
  expect("the document lists the API", apiOps.length >= 30, `${apiOps.length} operations`);

  for (const op of apiOps) {
    const label = `${op.method} ${op.path}`;
    expect(
      `${label} declares one scope`,
      ["read", "write", "admin", "root"].includes(op.scope),
      String(op.scope),
    );
    const path = concrete(op.path);
    for (const [who, key] of [
      ["no key", null],
      ["a wrong key", "pk_wrongwrongwrongwrongwrongwrongwrongwrong"],
      ["a revoked key", revoked.key],
    ]) {
      const res = await call(op.method, path, key, bodies[label]);
      expect(
        `${label} with ${who} → 401`,
        res.status === 401 && res.json?.error?.code === "unauthorized",
        String(res.status),
      );
    }
    if (op.scope !== "read") {
      const res = await call(op.method, path, readerA.key, bodies[label]);
      expect(
        `${label} with a read-only key → 403`,
        res.status === 403 && res.json?.error?.code === "forbidden",
        String(res.status),
      );
    }
  }

  // Owner B with owner A's ids: 404 like an unknown id (the stream and templates address B's own
  // session and template names, the knowledge base is shared, keys/self has no id).
  const notOwned = apiOps.filter(
    (o) => /\{(id|jobId)\}/.test(o.path) && o.scope !== "root" && !o.path.startsWith("/api/dev/"),
  );
  for (const op of notOwned) {
    const label = `${op.method} ${op.path}`;
    const res = await call(op.method, concrete(op.path), ownerB.key, bodies[label]);
    expect(
      `${label} by another owner → 404`,
      res.status === 404 && res.json?.error?.code === "not_found",
      String(res.status),
    );
  }
  const listB = (await call("GET", "/api/projects?limit=100", ownerB.key)).json;
  expect("lists are disjoint", !listB.projects.some((p) => p.id === project.id));
  const after = (await call("GET", `/api/projects/${project.id}`, ownerA.key)).json;
  expect("A's project is untouched", after?.name === "A secret launch", JSON.stringify(after));
  const page = await fetch(artifact.publicUrl);
  expect("A's public page still serves", page.status === 200, String(page.status));

  // Streams: refused before the actor without a credential; a token opens its own session only.
  const wsBase = server.base.replace(/^http/, "ws");
  const open = (url, headers = {}) =>
    new Promise((resolve) => {
      const ws = new WebSocket(url, { headers });
      ws.on("open", () => {
        ws.close();
        resolve(101);
      });
      ws.on("unexpected-response", (_req, res) => resolve(res.statusCode));
      ws.on("error", () => resolve(0));
    });
  expect("stream without a credential → 401", (await open(`${wsBase}/api/stream/${sessionA}`)) === 401);
  expect(
    "stream with A's key → open",
    (await open(`${wsBase}/api/stream/${sessionA}`, { "x-api-key": ownerA.key })) === 101,
  );
  const token = (await call("POST", "/api/stream-tokens", readerA.key, { sessionId: sessionA })).json;
  expect("stream with its token → open", (await open(`${wsBase}${token.streamUrl}`)) === 101);
  expect(
    "a token on another session → 403",
    (await open(`${wsBase}/api/stream/access-session-other?token=${token.token}`)) === 403,
  );
  expect(
    "a token is no key elsewhere → 401",
    (await call("GET", `/api/projects?token=${token.token}`)).status === 401,
  );
} finally {
  server.stop();
}

console.log(`access (black-box): ${checks - failures.length}/${checks} checks passed`);
for (const f of failures) console.log(`  FAIL ${f}`);
process.exit(failures.length === 0 ? 0 : 1);
