// The reliability scenarios. Each returns rows { figure, goal, measured, pass } for RELIABILITY.md.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { api, seqProblem, sleep, subscriber, subscribers, until } from "./clients.mjs";

const TERMINAL = new Set(["complete", "failed", "cancelled"]);
let sessions = 0;
const sessionId = (name) => `rel-${name}-${Date.now()}-${sessions++}`;

async function waitTerminal(http, jobIds, timeoutMs) {
  const jobs = new Map();
  await until(
    "every job terminal",
    async () => {
      for (const id of jobIds) {
        if (jobs.has(id) && TERMINAL.has(jobs.get(id).status)) continue;
        const res = await http.get(`/api/jobs/${id}`);
        if (res.status === 200) jobs.set(id, res.json);
      }
      return jobIds.every((id) => TERMINAL.has(jobs.get(id)?.status));
    },
    timeoutMs,
    2000,
  ).catch(() => undefined);
  return jobs;
}

const pct = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
};

/** Subscribers on one session, then jobs × local variants back to back. */
export async function load(server, { subs, jobs, variants }) {
  const http = api(server.base, server.key);
  const project = await http.project("reliability load");
  const session = sessionId("load");
  const clients = await subscribers(server.base, session, subs, undefined, { autoReconnect: true });
  const statuses = [];
  const latencies = [];
  const jobIds = [];
  for (let i = 0; i < jobs; i++) {
    const started = performance.now();
    const res = await http.post(`/api/projects/${project}/jobs`, {
      prompt: `reliability load ${i}: a harbour at dusk with ${i % 5} boats, teal and gold`,
      providers: ["local"],
      variants,
      sessionId: session,
    });
    latencies.push(performance.now() - started);
    statuses.push(res.status);
    if (res.status === 202) jobIds.push(res.json.jobId);
  }
  const final = await waitTerminal(http, jobIds, 8 * 60_000);
  const tasks = [...final.values()].flatMap((j) => j.tasks);
  const failed = tasks.filter((t) => t.status === "failed");
  const terminal = jobIds.filter((id) => TERMINAL.has(final.get(id)?.status)).length;
  // Every job has ended: its job-level complete is the last event it streams.
  const completesOf = (c) =>
    c.envelopes.filter((e) => e.type === "complete" && e.data.provider === undefined).length;
  await until(
    "every client holding every job-level complete",
    async () => clients.every((c) => completesOf(c) >= jobIds.length),
    60_000,
  ).catch(() => undefined);
  await sleep(1000);
  const last = Math.max(...clients.map((c) => c.lastSeq()));
  const problems = clients.map((c) => seqProblem(c.envelopes, last)).filter(Boolean);
  const completes = Math.min(...clients.map(completesOf));
  const reconnects = clients.reduce((n, c) => n + c.reconnects, 0);
  for (const c of clients) c.close();
  const accepted = statuses.filter((s) => s === 202).length;
  return [
    {
      figure: `load: ${jobs} jobs × ${variants} local variants, ${subs} subscribers on one session — submissions`,
      goal: `${jobs} × 202`,
      measured: `${accepted} × 202${accepted < jobs ? ` (others: ${statuses.filter((s) => s !== 202).join(", ")})` : ""}; POST latency p50 ${pct(latencies, 50).toFixed(0)} ms, p99 ${pct(latencies, 99).toFixed(0)} ms`,
      pass: accepted === jobs,
    },
    {
      figure: "load — tasks and jobs",
      goal: "0 failed tasks, every job terminal",
      measured: `${failed.length} failed of ${tasks.length} tasks${failed[0] ? ` (e.g. "${failed[0].error}")` : ""}; ${terminal}/${jobIds.length} jobs terminal; ${completes} job-level completes streamed`,
      pass: failed.length === 0 && terminal === jobs && completes === jobs,
    },
    {
      figure: "load — delivery",
      goal: "every client receives every event once, in seq order",
      measured: `${clients.length - problems.length}/${clients.length} clients got all ${last} events once and in order${problems[0] ? ` (first problem: ${problems[0]})` : ""}; ${reconnects} reconnects with ?since= after the server dropped sockets`,
      pass: problems.length === 0,
    },
  ];
}

/** Jobs against the misbehaving OpenAI stub: every job ends, GET agrees with the stream, no key leaks. */
export async function providerFaults(server, stub, secret, { jobs, variants }) {
  const http = api(server.base, server.key);
  const project = await http.project("reliability faults");
  const session = sessionId("faults");
  const client = subscriber(server.base, session, { autoReconnect: true });
  await client.open();
  const jobIds = [];
  for (let i = 0; i < jobs; i++) {
    const res = await http.post(`/api/projects/${project}/jobs`, {
      prompt: `fault drill ${i}`,
      providers: ["openai"],
      variants,
      sessionId: session,
    });
    if (res.status === 202) jobIds.push(res.json.jobId);
  }
  const final = await waitTerminal(http, jobIds, 6 * 60_000);
  await sleep(1500);
  let disagreements = 0;
  let checked = 0;
  const outcome = { complete: 0, failed: 0 };
  for (const id of jobIds) {
    const job = final.get(id);
    for (const t of job?.tasks ?? []) {
      checked++;
      outcome[t.status === "complete" ? "complete" : "failed"]++;
      const events = client.envelopes.filter(
        (e) =>
          e.data.jobId === id &&
          e.data.provider === t.provider &&
          e.data.variantIndex === t.variantIndex &&
          (e.data.attempt ?? 0) === (t.attempt ?? 0),
      );
      const lastType = events.at(-1)?.type;
      const agrees =
        (t.status === "complete" && lastType === "complete") ||
        (t.status === "failed" && lastType === "fail");
      if (!agrees) disagreements++;
    }
  }
  const everything = JSON.stringify([...final.values()]) + JSON.stringify(client.envelopes);
  const leaks = everything.split(secret).length - 1;
  const terminal = jobIds.filter((id) => TERMINAL.has(final.get(id)?.status)).length;
  client.close();
  return [
    {
      figure: `provider faults: ${jobs} jobs × ${variants} openai variants against a stub answering 30% 500, 10% never, 5% malformed (${JSON.stringify(stub.counts)} requests)`,
      goal: "every job terminal; each task's GET status agrees with its last stream event; no key in any error",
      measured: `${terminal}/${jobIds.length} terminal; ${checked - disagreements}/${checked} tasks agree (${outcome.complete} complete, ${outcome.failed} failed); key found ${leaks} times`,
      pass: terminal === jobs && jobIds.length === jobs && disagreements === 0 && leaks === 0,
    },
  ];
}

/** The job's status read straight from the local D1 file (no API call, so nothing reconciles it). */
function statusFromD1(persist, jobId) {
  return rowFromD1(persist, `SELECT status FROM jobs WHERE id = '${jobId}'`)?.status;
}

/** The first row of a query on the local D1 file (no API call), or undefined when it cannot be read. */
function rowFromD1(persist, sql) {
  try {
    const out = execFileSync(
      "npx",
      [
        "wrangler",
        "d1",
        "execute",
        "picasso-backend",
        "--local",
        "--persist-to",
        persist,
        "--json",
        "--command",
        sql,
      ],
      { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] },
    );
    return JSON.parse(out)[0]?.results?.[0];
  } catch {
    return undefined;
  }
}

/** kill -9 of the dev server mid-job, restart on the same state, nobody asks: the job ends by itself. */
export async function killMidJob(start) {
  const persist = ".wrangler/reliability-kill";
  let server = await start({ persist, vars: { LOCAL_PROVIDER_DELAY_MS: "4000" } });
  let http = api(server.base, server.key);
  const project = await http.project("reliability kill");
  const session = sessionId("kill");
  const watcher = subscriber(server.base, session);
  await watcher.open();
  const res = await http.post(`/api/projects/${project}/jobs`, {
    prompt: "killed mid-way",
    providers: ["local"],
    variants: 3,
    sessionId: session,
  });
  const jobId = res.json.jobId;
  await until("a running task", async () => watcher.envelopes.some((e) => e.type === "running"), 30_000, 100);
  await server.kill9();
  const restartedAt = Date.now();
  server = await start({ persist, prepare: false, vars: { LOCAL_PROVIDER_DELAY_MS: "4000" } });
  http = api(server.base, server.key);
  const status = await until(
    "the job terminal (read from D1, no API call)",
    async () => {
      const s = statusFromD1(persist, jobId);
      return TERMINAL.has(s) ? s : undefined;
    },
    150_000,
    3000,
  ).catch(() => "still not terminal");
  const endedAfterS = (Date.now() - restartedAt) / 1000;
  const job = (await http.get(`/api/jobs/${jobId}`)).json;
  const replay = subscriber(server.base, session);
  await replay.open(0);
  await sleep(1500);
  const jobEvents = replay.envelopes.filter((e) => e.data.jobId === jobId);
  const ended = jobEvents.some((e) => e.type === "complete" && e.data.provider === undefined);
  const gap = seqProblem(replay.envelopes, replay.lastSeq());
  replay.close();
  writeFileSync(`${persist}/server.log`, server.output());
  server.stop();
  const how = job?.metadata?.recovery ? JSON.stringify(job.metadata.recovery) : "no recovery record";
  return [
    {
      figure: "kill -9 of wrangler dev mid-job (3 local variants, 4 s each), restart on the same state",
      goal: "job terminal within 2 minutes by itself; its events replayable by ?since=0",
      measured: `${status} after ${endedAfterS.toFixed(0)} s (tasks: ${job?.tasks?.map((t) => t.status).join(", ")}; recovery: ${how}); replay: ${jobEvents.length} events, job-level complete ${ended ? "present" : "missing"}, ${gap ?? "gapless"}`,
      pass: TERMINAL.has(status) && endedAfterS <= 120 && ended && gap === null,
    },
  ];
}

/** Concurrent submissions with one Idempotency-Key. */
export async function idempotentBurst(server, count) {
  const http = api(server.base, server.key);
  const project = await http.project("reliability idempotency");
  const body = { prompt: "once only", providers: ["local"], sessionId: sessionId("idem") };
  const results = await Promise.all(
    Array.from({ length: count }, () =>
      http.post(`/api/projects/${project}/jobs`, body, { "idempotency-key": "one-key" }),
    ),
  );
  const bodies = new Set(results.map((r) => r.text));
  const jobs = new Set(results.map((r) => r.json?.jobId));
  const statuses = results.map((r) => r.status);
  return [
    {
      figure: `${count} concurrent submissions with one Idempotency-Key`,
      goal: `one job, ${count} identical 202 bodies`,
      measured: `${jobs.size} job(s), ${statuses.filter((s) => s === 202).length} × 202, ${bodies.size} distinct body/bodies`,
      pass: jobs.size === 1 && bodies.size === 1 && statuses.every((s) => s === 202),
    },
  ];
}

/** The session actor evicted while subscribers listen; they reconnect with ?since= and miss nothing. */
export async function eviction(server, { subs, batches, perBatch }) {
  const http = api(server.base, server.key);
  const session = sessionId("evict");
  const clients = await subscribers(server.base, session, subs, undefined, { autoReconnect: true });
  const event = {
    type: "progress",
    data: { jobId: "evict-drill", provider: "local", variantIndex: 0, progress: 1 },
  };
  let published = 0;
  for (let b = 0; b < batches; b++) {
    if (b === Math.floor(batches / 2)) {
      // Each subscriber reopens with ?since=<its last seq> when its socket drops (autoReconnect).
      await http.post(`/api/dev/sessions/${session}/evict`, {});
      await until(
        "every subscriber dropped",
        async () => clients.every((c) => c.closes > 0),
        15_000,
        100,
      ).catch(() => undefined);
      clients.dropped = clients.filter((c) => c.closes > 0).length;
    }
    // A publisher retries what the evicted actor refused; the event ids make a retry safe (an id
    // the actor already logged is not streamed again).
    const events = Array.from({ length: perBatch }, (_, i) => ({ ...event, id: `${session}/${b}/${i}` }));
    for (let attempt = 0; attempt < 10; attempt++) {
      const res = await http.post(`/api/dev/sessions/${session}/events`, { events });
      if (res.status === 202) {
        published += perBatch;
        break;
      }
      await sleep(300);
    }
  }
  await until(
    "every subscriber caught up",
    async () => clients.every((c) => c.envelopes.length >= published),
    60_000,
  ).catch(() => undefined);
  await sleep(500);
  const problems = clients.map((c) => seqProblem(c.envelopes, published)).filter(Boolean);
  for (const c of clients) c.close();
  return [
    {
      figure: `actor evicted while ${subs} subscribers listen (${published} events, eviction half-way)`,
      goal: "they reconnect with since → 0 events missing",
      measured: `${clients.dropped ?? 0} sockets dropped by the eviction; ${clients.length - problems.length}/${clients.length} clients hold all ${published} events in order${problems[0] ? ` (first problem: ${problems[0]})` : ""}`,
      pass: problems.length === 0 && published === batches * perBatch,
    },
  ];
}

/** Rows left in D1 that belong to a project (read straight from the local D1 file). */
function projectRowsFromD1(persist, projectId, artifactId) {
  return rowFromD1(
    persist,
    `SELECT
    (SELECT COUNT(*) FROM projects WHERE id = '${projectId}') +
    (SELECT COUNT(*) FROM jobs WHERE project_id = '${projectId}') +
    (SELECT COUNT(*) FROM image_progressions WHERE project_id = '${projectId}') +
    (SELECT COUNT(*) FROM project_artifacts WHERE project_id = '${projectId}') +
    (SELECT COUNT(*) FROM artifacts WHERE id = '${artifactId}') +
    (SELECT COUNT(*) FROM artifact_views WHERE artifact_id = '${artifactId}') AS n,
    (SELECT status FROM deletions WHERE id = '${projectId}') AS status`,
  );
}

/**
 * kill -9 of the dev server right after a project deletion was accepted (a finished job, a published
 * lookbook and a job still running), restart on the same state, nobody asks: the deletion finishes
 * by itself (the maintenance actor's alarm survives the restart) and leaves no row and no object.
 */
export async function killMidDeletion(start) {
  const persist = ".wrangler/reliability-delete";
  const vars = { LOCAL_PROVIDER_DELAY_MS: "3000" };
  let server = await start({ persist, vars });
  let http = api(server.base, server.key);
  const project = await http.project("reliability delete");
  const done = await http.post(`/api/projects/${project}/jobs`, {
    prompt: "kept until deleted",
    providers: ["local"],
    variants: 2,
    sessionId: sessionId("delete"),
  });
  await waitTerminal(http, [done.json.jobId], 60_000);
  const lookbook = (await http.post(`/api/projects/${project}/artifacts/lookbook`, {})).json;
  const page = new URL(lookbook.publicUrl).pathname;
  await fetch(`${server.base}${page}`).then((r) => r.text());
  const running = await http.post(`/api/projects/${project}/jobs`, {
    prompt: "still running when deleted",
    providers: ["local"],
    variants: 3,
    sessionId: sessionId("delete"),
  });
  const prefixes = [`project/${project}/`, `renditions/project/${project}/`, `artifacts/${lookbook.id}/`];
  const objects = async () => {
    let n = 0;
    for (const prefix of prefixes)
      n += (await http.get(`/api/dev/objects?prefix=${encodeURIComponent(prefix)}`)).json.count;
    return n;
  };
  const objectsBefore = await objects();
  const accepted = await http.request("DELETE", `/api/projects/${project}`);
  const publicAfter = (await fetch(`${server.base}${page}`)).status;
  await sleep(300);
  await server.kill9();
  const restartedAt = Date.now();
  server = await start({ persist, prepare: false, vars });
  http = api(server.base, server.key);
  const finished = await until(
    "the deletion complete (read from D1, no API call)",
    async () => {
      const row = projectRowsFromD1(persist, project, lookbook.id);
      return row?.status === "complete" ? row : undefined;
    },
    180_000,
    3000,
  ).catch(() => projectRowsFromD1(persist, project, lookbook.id));
  const endedAfterS = (Date.now() - restartedAt) / 1000;
  const objectsAfter = await objects();
  const publicNow = (await fetch(`${server.base}${page}`)).status;
  writeFileSync(`${persist}/server.log`, server.output());
  server.stop();
  return [
    {
      figure:
        "kill -9 of wrangler dev right after DELETE /api/projects/:id (a finished job, a published lookbook, a job still running), restart on the same state",
      goal: "202 and the public page 404 at once; the deletion completes by itself within 3 minutes; 0 D1 rows and 0 R2 objects of the project left",
      measured: `${accepted.status}, public page ${publicAfter}; deletion ${finished?.status ?? "unknown"} after ${endedAfterS.toFixed(0)} s; rows left ${finished?.n ?? "?"}; objects ${objectsBefore} → ${objectsAfter}; public page now ${publicNow} (running job ${running.status})`,
      pass:
        accepted.status === 202 &&
        publicAfter === 404 &&
        finished?.status === "complete" &&
        finished?.n === 0 &&
        objectsBefore > 0 &&
        objectsAfter === 0 &&
        publicNow === 404,
    },
  ];
}
