// The seed-replay-script end to end, outside workerd (it needs bash and two servers): a project with
// real local jobs (a failed provider, a continue-from with a hostile prompt, a rollback, a
// continue-from the rollback) on server A; its script passes `bash -n`; run against a fresh server B
// it recreates the project: the same lineage (prompts, providers, verdicts, link kinds) and
// byte-identical originals (the local provider is deterministic). Run: node --test test/node/
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { promisify } from "node:util";
import { startDevServer } from "../../bench/dev-server.mjs";

const run = promisify(execFile);
const dir = await mkdtemp(path.join(tmpdir(), "picasso-replay-"));
const marker = path.join(dir, "pwned");
const HOSTILE_PROMPT = `Dusk '; rm -rf /; ' $(touch ${marker}) \`touch ${marker}\` "quoted" <script>alert(1)</script>\nsecond line`;
const HOSTILE_NAME = `Launch '; touch ${marker}; ' $(touch ${marker}) "Q3"`;
const servers = [];

after(async () => {
  for (const server of servers) await server.kill9();
  await rm(dir, { recursive: true, force: true });
});

function client(server) {
  return async function api(method, route, body) {
    const res = await fetch(`${server.base}${route}`, {
      method,
      headers: { "x-api-key": server.key, ...(body ? { "content-type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, text, json: () => JSON.parse(text) };
  };
}

async function job(api, projectId, body) {
  const res = await api("POST", `/api/projects/${projectId}/jobs`, {
    sessionId: `replay-source-${Date.now()}`,
    providers: ["local"],
    ...body,
  });
  assert.equal(res.status, 202, res.text);
  const { jobId } = res.json();
  const deadline = Date.now() + 60_000;
  for (;;) {
    const status = (await api("GET", `/api/jobs/${jobId}`)).json();
    if (status.finishedAt !== null) return status.tasks;
    assert.ok(Date.now() < deadline, `job ${jobId} did not finish`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function artifact(api, type, projectId) {
  const res = await api("POST", "/api/artifacts", {
    type,
    title: `${type} of the replay test`,
    projectIds: [projectId],
  });
  assert.equal(res.status, 201, res.text);
  const { publicUrl, status } = res.json();
  assert.equal(status, "published");
  const page = await fetch(publicUrl);
  assert.equal(page.status, 200);
  return page.text();
}

/** What must match between the two servers: each step's content and how it links to its parent. */
function lineageShape(map) {
  const byId = new Map(map.nodes.map((n) => [n.id, n]));
  const kindOf = new Map(map.edges.map((e) => [e.to, e.kind]));
  return map.nodes
    .map((n) => {
      const parent = n.parentId ? byId.get(n.parentId) : null;
      return [n.prompt, n.provider, n.judgment, kindOf.get(n.id) ?? null, parent?.prompt ?? null].join(" | ");
    })
    .sort();
}

const originals = (csv) =>
  csv
    .split("\r\n")
    .filter((line) => line.includes("/orig/"))
    .map((line) => line.split(",")[3])
    .sort();

test("the replay script passes bash -n and recreates the project on a fresh server", {
  timeout: 420_000,
}, async () => {
  const source = await startDevServer({ persist: path.join(dir, "a") });
  servers.push(source);
  const a = client(source);
  const created = await a("POST", "/api/projects", {
    name: HOSTILE_NAME,
    description: "line one\n`uname` $(id)",
  });
  assert.equal(created.status, 201, created.text);
  const projectId = created.json().id;
  const first = await job(a, projectId, {
    prompt: "a teal lighthouse at dusk, gold sky",
    providers: ["local", "openai"],
    variants: 2,
  });
  assert.equal(first.filter((t) => t.status === "failed").length, 2);
  const head = first.find((t) => t.provider === "local" && t.variantIndex === 0).progressionId;
  await job(a, projectId, {
    prompt: HOSTILE_PROMPT,
    kind: "variation",
    variants: 2,
    autoRetry: 1,
    parentProgressionId: head,
  });
  const rollback = await a("POST", `/api/progressions/${head}/rollback`, {});
  assert.equal(rollback.status, 201, rollback.text);
  await job(a, projectId, {
    prompt: "a quiet harbour at noon, teal",
    autoRetry: 1,
    parentProgressionId: rollback.json().id,
  });

  const script = await artifact(a, "seed-replay-script", projectId);
  const sourceMap = JSON.parse(await artifact(a, "prompt-lineage-map", projectId));
  const sourceCsv = await artifact(a, "r2-archive-manifest", projectId);
  await source.kill9();
  servers.splice(servers.indexOf(source), 1);

  const file = path.join(dir, "replay.sh");
  await writeFile(file, script);
  await run("bash", ["-n", file]);
  assert.equal(existsSync(marker), false, "bash -n ran a hostile value");

  const target = await startDevServer({ persist: path.join(dir, "b") });
  servers.push(target);
  const replay = await run("bash", [file], {
    env: { PATH: process.env.PATH, BASE_URL: target.base, API_KEY: target.key, REPLAY_JOB_TIMEOUT: "120" },
    timeout: 300_000,
  });
  assert.equal(existsSync(marker), false, "the replay ran a hostile value");
  const newId = replay.stdout.trim();
  assert.match(newId, /^[A-Za-z0-9_-]{10,64}$/, `stdout: ${replay.stdout}\nstderr: ${replay.stderr}`);
  assert.match(
    replay.stderr,
    /done: 3 job\(s\) and 1 rollback\(s\) replayed, \d+ step\(s\) recreated, 0 skipped/,
  );

  const b = client(target);
  const project = (await b("GET", `/api/projects/${newId}`)).json();
  assert.equal(project.name, HOSTILE_NAME);
  assert.equal(project.description, "line one\n`uname` $(id)");
  const targetMap = JSON.parse(await artifact(b, "prompt-lineage-map", newId));
  assert.equal(targetMap.nodes.length, sourceMap.nodes.length);
  assert.deepEqual(lineageShape(targetMap), lineageShape(sourceMap));
  assert.deepEqual(targetMap.edges.map((e) => e.kind).sort(), sourceMap.edges.map((e) => e.kind).sort());
  const targetCsv = await artifact(b, "r2-archive-manifest", newId);
  assert.ok(originals(sourceCsv).length > 0);
  assert.deepEqual(originals(targetCsv), originals(sourceCsv));
});
