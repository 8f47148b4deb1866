// Scale on paper and in a bench (issue 20): what one session actor sustains, what one 8-variant job
// costs in D1 rows, Workflow steps, actor messages, R2 and Images operations, priced at Cloudflare's
// published rates, and where the first ceiling is.
//  (1) K local jobs of V variants submitted back to back on ONE session (one actor): first submit →
//      last job-level `complete` → jobs/min and images/min; the events the client received → events/s.
//  (2) a burst through the dev publish route with the event log on (batches of 50, then one event per
//      request, 8 in flight) → what the actor itself moves, next to what the jobs asked of it.
//  (3) from the server's own log lines: `d1` (D1_METER=1: statements and rows from each statement's
//      meta, per request and, once the workflow logs it, per workflow run) and `step` (distinct step
//      names per job). Workers/workerd CPU and memory from /proc for the server's process group.
// Usage: node bench/scale.mjs [--jobs 12] [--variants 8] [--events 2000] [--singles 400]
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import WebSocket from "ws";
import { startDevServer } from "./dev-server.mjs";
import { emit, median } from "./figures.mjs";
import { api } from "./helpers.mjs";

const { values } = parseArgs({
  options: {
    jobs: { type: "string", default: "12" },
    variants: { type: "string", default: "8" },
    events: { type: "string", default: "2000" },
    singles: { type: "string", default: "400" },
  },
});
const JOBS = Number(values.jobs);
const VARIANTS = Number(values.variants);
const EVENTS = Number(values.events);
const SINGLES = Number(values.singles);

/**
 * Cloudflare's published prices (USD, Workers Paid, the rate past the monthly included amount) and
 * limits, read on 2026-12-07 from the pages named here. Costs below are marginal: the included
 * amounts (e.g. 10 M Workers requests, 50 M D1 rows written a month) are left out.
 */
const PRICES = {
  workersRequest: { usd: 0.3 / 1e6, src: "https://developers.cloudflare.com/workers/platform/pricing/" },
  workersCpuMs: { usd: 0.02 / 1e6, src: "https://developers.cloudflare.com/workers/platform/pricing/" },
  // Workflows are billed as Workers Standard: invocations, CPU ms, and stored step state.
  workflowInvocation: {
    usd: 0.3 / 1e6,
    src: "https://developers.cloudflare.com/workflows/reference/pricing/",
  },
  workflowStorageGbMonth: { usd: 0.2, src: "https://developers.cloudflare.com/workflows/reference/pricing/" },
  // Every RPC method call on a stub is one request; incoming WebSocket messages 20:1; outgoing free.
  doRequest: { usd: 0.15 / 1e6, src: "https://developers.cloudflare.com/durable-objects/platform/pricing/" },
  doGbSecond: { usd: 12.5 / 1e6, src: "https://developers.cloudflare.com/durable-objects/platform/pricing/" },
  // SQLite-backed Durable Object storage (billed since January 2026), the same rates as D1's.
  doRowWritten: {
    usd: 1.0 / 1e6,
    src: "https://developers.cloudflare.com/durable-objects/platform/pricing/",
  },
  d1RowRead: { usd: 0.001 / 1e6, src: "https://developers.cloudflare.com/d1/platform/pricing/" },
  d1RowWritten: { usd: 1.0 / 1e6, src: "https://developers.cloudflare.com/d1/platform/pricing/" },
  d1StorageGbMonth: { usd: 0.75, src: "https://developers.cloudflare.com/d1/platform/pricing/" },
  r2ClassA: { usd: 4.5 / 1e6, src: "https://developers.cloudflare.com/r2/pricing/" },
  r2ClassB: { usd: 0.36 / 1e6, src: "https://developers.cloudflare.com/r2/pricing/" },
  // Images binding / transformations: per unique transformation (first 5,000 a month included).
  imagesTransformation: { usd: 0.5 / 1e3, src: "https://developers.cloudflare.com/images/pricing/" },
  // One write + one read + one delete per message under 64 KB.
  queueOperation: { usd: 0.4 / 1e6, src: "https://developers.cloudflare.com/queues/platform/pricing/" },
};
const LIMITS = {
  d1DatabaseBytes: 10e9, // 10 GB per database (Paid), https://developers.cloudflare.com/d1/platform/limits/
  // "Each individual D1 database is inherently single-threaded"; "if your average query takes 1 ms,
  // you can run approximately 1,000 queries per second" (same page, FAQ).
  d1QueriesPerSecondAt1ms: 1000,
  // WebSocket Hibernation API, https://developers.cloudflare.com/durable-objects/api/state/ (acceptWebSocket)
  socketsPerActor: 32768,
  // "An individual Object has a soft limit of 1,000 requests per second", DO limits / FAQ.
  actorRequestsPerSecond: 1000,
  isolateMemoryMb: 128, // per isolate, https://developers.cloudflare.com/workers/platform/limits/
  workflowRetentionDays: 7, // completed instance state kept 7 days by default (Paid)
};

const scriptStarted = performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const fmt = (n, digits = 0) =>
  Number.isFinite(n) ? n.toLocaleString("en-US", { maximumFractionDigits: digits }) : "—";
const usd = (n) => (n >= 0.01 ? `$${n.toFixed(2)}` : `$${n.toPrecision(2)}`);

/** JSON log lines the Worker printed (one per line, after whatever prefix wrangler adds). */
function logLines(output, event) {
  const rows = [];
  for (const line of output.split("\n")) {
    const start = line.indexOf('{"level"');
    if (start < 0 || !line.includes(`"event":"${event}"`)) continue;
    try {
      rows.push(JSON.parse(line.slice(start)));
    } catch {
      // not one of ours
    }
  }
  return rows;
}

/** The server's process group (wrangler, its node helpers, workerd), found through its port. */
function processGroup(port) {
  try {
    const out = execFileSync("ss", ["-ltnpH", `sport = :${port}`], { encoding: "utf8" });
    const pid = Number(/pid=(\d+)/.exec(out)?.[1]);
    if (!pid) return null;
    const pgrp = Number(statOf(pid)?.[2]);
    return Number.isFinite(pgrp) ? pgrp : null;
  } catch {
    return null;
  }
}

/** Fields of /proc/<pid>/stat after the command name (index 0 = state, 2 = pgrp, 11/12 = utime/stime). */
function statOf(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    return text.slice(text.lastIndexOf(")") + 2).split(" ");
  } catch {
    return null;
  }
}

/** CPU ms so far and resident MB now, by command (workerd vs the node side: wrangler, miniflare, Images). */
function groupUsage(pgrp) {
  const usage = { workerdCpuMs: 0, nodeCpuMs: 0, workerdRssMb: 0 };
  if (pgrp === null) return usage;
  for (const entry of execFileSync("ls", ["/proc"], { encoding: "utf8" }).split("\n")) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statOf(entry);
    if (!fields || Number(fields[2]) !== pgrp) continue;
    const cpuMs = (Number(fields[11]) + Number(fields[12])) * 10; // CLK_TCK = 100
    let comm = "";
    try {
      comm = readFileSync(`/proc/${entry}/comm`, "utf8").trim();
    } catch {
      continue;
    }
    if (comm === "workerd") {
      usage.workerdCpuMs += cpuMs;
      const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${entry}/status`, "utf8"))?.[1];
      usage.workerdRssMb += Number(rss ?? 0) / 1024;
    } else usage.nodeCpuMs += cpuMs;
  }
  return usage;
}

function connect(server, sessionId, onEnvelope) {
  const ws = new WebSocket(`${server.base.replace("http", "ws")}/api/stream/${sessionId}`, {
    headers: { "x-api-key": server.key },
  });
  ws.on("message", (raw) => onEnvelope(JSON.parse(raw.toString()), performance.now()));
  return new Promise((resolve, reject) => ws.on("open", () => resolve(ws)).on("error", reject));
}

/** Events through the dev publish route, logged; resolves with events/s as the one client got them. */
async function burst(server, sessionId, count, perRequest, inFlight) {
  let received = 0;
  let last = 0;
  const ws = await connect(server, sessionId, (_env, at) => {
    received++;
    last = at;
  });
  const event = (i) => ({
    type: "progress",
    data: { jobId: "scale-burst", provider: "local", variantIndex: 0, progress: (i + 1) / count },
  });
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const from = next;
      next += perRequest;
      const events = Array.from({ length: Math.min(perRequest, count - from) }, (_, k) => event(from + k));
      const res = await fetch(`${server.base}/api/dev/sessions/${sessionId}/events`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-api-key": server.key },
        body: JSON.stringify({ events, log: true }),
      });
      if (res.status !== 202) throw new Error(`publish failed: ${res.status} ${await res.text()}`);
      // The same flow control as ws-fanout.mjs: never more than a few batches ahead of the reader.
      while (received < from - perRequest * inFlight * 4) await sleep(2);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const deadline = Date.now() + 30_000;
  while (received < count && Date.now() < deadline) await sleep(5);
  ws.close();
  const seconds = ((received === count ? last : performance.now()) - started) / 1000;
  return { received, count, perSecond: received / seconds, requestsPerSecond: count / perRequest / seconds };
}

// A fresh state dir: D1 size and the near-duplicate lookup's reads depend on what is already stored.
const PERSIST = ".wrangler/bench-scale";
rmSync(PERSIST, { recursive: true, force: true });
const server = await startDevServer({
  persist: PERSIST,
  vars: { LOCAL_PROVIDER_DELAY_MS: "0", RATE_LIMIT_BURST: "100000", D1_METER: "1" },
});
const port = Number(new URL(server.base).port);
const pgrp = processGroup(port);
try {
  const project = await api(server, "/api/projects", {
    method: "POST",
    body: JSON.stringify({ name: "scale" }),
  });
  // ---- (1) K jobs back to back on one session ----
  const sessionId = `scale-${Date.now()}`;
  const envelopes = [];
  const completes = new Map(); // jobId → time of its job-level complete
  const ws = await connect(server, sessionId, (env, at) => {
    envelopes.push({ env, at });
    if (env.type === "complete" && env.data?.summary) completes.set(env.data.jobId, at);
  });
  const before = groupUsage(pgrp);
  let peakRssMb = before.workerdRssMb;
  const sampler = setInterval(() => {
    peakRssMb = Math.max(peakRssMb, groupUsage(pgrp).workerdRssMb);
  }, 250);
  const jobIds = [];
  const submitMs = [];
  const t0 = performance.now();
  for (let i = 0; i < JOBS; i++) {
    const s0 = performance.now();
    const accepted = await api(server, `/api/projects/${project.id}/jobs`, {
      method: "POST",
      body: JSON.stringify({
        prompt: `scale ${i} ${Date.now()}, a harbour at dusk in teal and gold`,
        providers: ["local"],
        variants: VARIANTS,
        sessionId,
      }),
    });
    submitMs.push(performance.now() - s0);
    jobIds.push(accepted.jobId);
  }
  const deadline = Date.now() + 150_000;
  while (completes.size < JOBS && Date.now() < deadline) await sleep(20);
  clearInterval(sampler);
  const after = groupUsage(pgrp);
  const done = completes.size;
  if (done === 0) throw new Error(`no job ended within 150 s (${envelopes.length} events received)`);
  const t1 = Math.max(...completes.values());
  const runSeconds = (t1 - t0) / 1000;
  const jobsPerMinute = done / (runSeconds / 60);
  const jobEnvelopes = envelopes.filter((e) => jobIds.includes(e.env.data?.jobId));
  const eventsPerSecondJobs = jobEnvelopes.length / runSeconds;
  const eventsPerJob = jobEnvelopes.length / done;
  // A job can end with failed tasks: the figures below are only a job's when its images were made.
  const failedTasks = jobEnvelopes.filter((e) => e.env.type === "fail").length;
  ws.close();
  console.log(
    `(1) ${done}/${JOBS} jobs × ${VARIANTS} variants on one session in ${runSeconds.toFixed(1)} s: ` +
      `${fmt(jobsPerMinute, 1)} jobs/min, ${fmt(jobsPerMinute * VARIANTS)} images/min; ` +
      `${jobEnvelopes.length} events (${fmt(eventsPerJob, 1)}/job), ${fmt(eventsPerSecondJobs)} events/s; ` +
      `submit p50 ${median(submitMs).toFixed(0)} ms; ${failedTasks} tasks failed`,
  );

  // ---- (2) what the actor moves by itself ----
  const batched = await burst(server, `${sessionId}-burst`, EVENTS, 50, 1);
  const singles = await burst(server, `${sessionId}-singles`, SINGLES, 1, 8);
  console.log(
    `(2) burst: ${batched.received}/${batched.count} events in batches of 50: ${fmt(batched.perSecond)} events/s; ` +
      `one event per request, 8 in flight: ${singles.received}/${singles.count}, ${fmt(singles.perSecond)} events/s ` +
      `(= publish RPCs/s through the Worker)`,
  );

  // ---- (3) what the logs say ----
  await sleep(1500); // the last requests' d1 lines are written in waitUntil
  const output = server.output();
  const d1 = logLines(output, "d1");
  const submits = d1.filter(
    (l) => l.scope === "request" && l.method === "POST" && l.path === `/api/projects/${project.id}/jobs`,
  );
  const perWorkflow = new Map();
  for (const l of d1.filter((l) => l.scope === "workflow" && jobIds.includes(l.jobId))) {
    const sum = perWorkflow.get(l.jobId) ?? { statements: 0, rowsRead: 0, rowsWritten: 0, runs: 0 };
    sum.statements += l.statements;
    sum.rowsRead += l.rowsRead;
    sum.rowsWritten += l.rowsWritten;
    sum.runs++;
    perWorkflow.set(l.jobId, sum);
  }
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const request = {
    statements: mean(submits.map((l) => l.statements)),
    rowsRead: mean(submits.map((l) => l.rowsRead)),
    rowsWritten: mean(submits.map((l) => l.rowsWritten)),
  };
  const workflowRuns = jobIds.map((id) => perWorkflow.get(id)).filter(Boolean);
  const workflowMeasured = workflowRuns.length === done && done > 0;
  const workflow = {
    statements: mean(workflowRuns.map((w) => w.statements)),
    rowsRead: mean(workflowRuns.map((w) => w.rowsRead)),
    rowsWritten: mean(workflowRuns.map((w) => w.rowsWritten)),
  };
  const loggedIds = jobIds.filter((id) => perWorkflow.has(id));
  const firstWf = perWorkflow.get(loggedIds[0]);
  const lastWf = perWorkflow.get(loggedIds.at(-1));
  const perJob = {
    statements: request.statements + (workflowMeasured ? workflow.statements : 0),
    rowsRead: request.rowsRead + (workflowMeasured ? workflow.rowsRead : 0),
    rowsWritten: request.rowsWritten + (workflowMeasured ? workflow.rowsWritten : 0),
  };
  // The database only grows here: from its size after the project was made to its largest.
  const sizes = d1.map((l) => l.sizeAfter).filter((s) => typeof s === "number");
  const bytesPerJob = sizes.length > 0 ? (Math.max(...sizes) - Math.min(...sizes)) / done : Number.NaN;
  console.log(
    `(3) D1 per job: submit request ${fmt(request.statements, 1)} statements, ${fmt(request.rowsRead, 1)} rows read, ` +
      `${fmt(request.rowsWritten, 1)} written; workflow ${
        workflowMeasured
          ? `${fmt(workflow.statements, 1)} statements, ${fmt(workflow.rowsRead, 1)} read, ${fmt(workflow.rowsWritten, 1)} written ` +
            `(first job ${firstWf.rowsRead} read, last ${lastWf.rowsRead}; ${fmt(mean(workflowRuns.map((w) => w.runs)), 1)} run(s) per job)`
          : `NOT LOGGED (${workflowRuns.length}/${done} jobs have a workflow d1 line)`
      }; database grew ${fmt(bytesPerJob)} bytes/job`,
  );

  const steps = logLines(output, "steps")
    .filter((l) => jobIds.includes(l.jobId))
    .flatMap((l) => l.steps.map((s) => ({ ...s, jobId: l.jobId })));
  const namesByJob = new Map(jobIds.map((id) => [id, new Set()]));
  for (const l of steps) namesByJob.get(l.jobId)?.add(l.step);
  const stepCounts = jobIds.map((id) => namesByJob.get(id).size);
  const stepsPerJob = median(stepCounts);
  const byKind = new Map();
  for (const name of namesByJob.get(jobIds[0])) {
    const kind = name.split(" ")[0];
    byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
  }
  const stepKinds = [...byKind].map(([k, n]) => `${k} ${n}`).join(", ");
  console.log(
    `    Workflow steps per job: median ${stepsPerJob} (min ${Math.min(...stepCounts)}, max ${Math.max(...stepCounts)}); first job: ${stepKinds}`,
  );

  // Publish RPCs to the actor, from the stream itself: event ids are `<jobId>/<step name>/<index>` and
  // one step sends its events in one message; the `queued` events of all tasks go in one at submit.
  const rpcsByJob = jobIds.map((id) => {
    const names = new Set();
    for (const { env } of jobEnvelopes) {
      if (env.data?.jobId !== id || typeof env.id !== "string") continue;
      const name = env.id.slice(id.length + 1, env.id.lastIndexOf("/"));
      if (!name.startsWith("publish-queued")) names.add(name);
    }
    return names.size + 1;
  });
  const publishes = median(rpcsByJob);
  const images = jobEnvelopes.filter((e) => e.env.type === "complete" && !e.env.data?.summary).length / done;

  // Workflow state kept per instance (7 days by default): the local engine's SQLite per instance.
  let stateBytesPerJob = Number.NaN;
  try {
    const dir = `${PERSIST}/v3/workflows`;
    const files = execFileSync("find", [dir, "-name", "*.sqlite"], { encoding: "utf8" }).trim().split("\n");
    const copy = mkdtempSync(path.join(tmpdir(), "scale-wf-"));
    let bytes = 0;
    for (const file of files.filter(Boolean)) {
      const base = path.join(copy, path.basename(file));
      for (const suffix of ["", "-wal"]) {
        if (existsSync(file + suffix)) copyFileSync(file + suffix, base + suffix);
      }
      const [pages, size] = execFileSync("sqlite3", [base, "PRAGMA page_count", "PRAGMA page_size"], {
        encoding: "utf8",
      })
        .trim()
        .split("\n")
        .map(Number);
      bytes += pages * size;
    }
    rmSync(copy, { recursive: true, force: true });
    if (files.length >= done) stateBytesPerJob = bytes / done;
  } catch {
    // no sqlite3 here: the figure is left out
  }

  // ---- cost per job: counts × published prices; "measured" = counted in this run ----
  const cpuMsPerJob = (after.workerdCpuMs - before.workerdCpuMs) / done;
  const nodeCpuMsPerJob = (after.nodeCpuMs - before.nodeCpuMs) / done;
  // + the rate-limit bucket at submit, + at most one watch alarm (one every 10 s serves all the session's jobs).
  const doRequests = publishes + 2;
  const eventRowsWritten = eventsPerJob * 3; // the events row + the event_ids row + its primary-key index
  const lines = [
    [
      "Workers",
      "requests",
      1,
      PRICES.workersRequest,
      "1 POST /jobs (measured); the stream's upgrade is per session",
    ],
    [
      "Workers",
      "CPU ms, upper bound",
      cpuMsPerJob,
      PRICES.workersCpuMs,
      "workerd CPU per job (measured), which here also runs local D1, R2, DO and the Workflow engine",
    ],
    ["Workflows", "invocations", 1, PRICES.workflowInvocation, "1 instance per job"],
    [
      "Workflows",
      "GB-month of step state",
      ((stateBytesPerJob || 0) / 1e9) * (LIMITS.workflowRetentionDays / 30),
      PRICES.workflowStorageGbMonth,
      `${fmt(stateBytesPerJob / 1024)} KB per instance (measured, local engine) kept ${LIMITS.workflowRetentionDays} days`,
    ],
    [
      "Durable Objects",
      "requests",
      doRequests,
      PRICES.doRequest,
      `${publishes} publishes (measured from event ids) + rate bucket + ≤ 1 watch alarm (code)`,
    ],
    [
      "Durable Objects",
      "GB-s, upper bound",
      (runSeconds / done) * 0.128,
      PRICES.doGbSecond,
      "the actor awake for the whole run at 128 MB, shared by the jobs",
    ],
    [
      "Durable Objects",
      "SQLite rows written",
      eventRowsWritten,
      PRICES.doRowWritten,
      `${fmt(eventsPerJob, 1)} events (measured) × 3 rows (code)`,
    ],
    [
      "D1",
      "rows read",
      perJob.rowsRead,
      PRICES.d1RowRead,
      workflowMeasured ? "meta (measured)" : "submit only",
    ],
    [
      "D1",
      "rows written",
      perJob.rowsWritten,
      PRICES.d1RowWritten,
      workflowMeasured ? "meta (measured)" : "submit only",
    ],
    [
      "D1",
      "GB-month stored, first month",
      bytesPerJob / 1e9,
      PRICES.d1StorageGbMonth,
      `${fmt(bytesPerJob / 1024, 1)} KB of database per job (size_after, measured)`,
    ],
    [
      "R2",
      "Class A (put)",
      images,
      PRICES.r2ClassA,
      `${fmt(images, 1)} images (measured) × 1 put of the original (code)`,
    ],
    ["R2", "Class B (get)", 0, PRICES.r2ClassB, "0: the analysis works on the bytes in hand (code)"],
    [
      "Images",
      "transformations",
      0,
      PRICES.imagesTransformation,
      "0 for a provider PNG of ≤ 1 MP (decoded in the Worker, code); 1 rendition per larger or non-PNG image, +1 above 512 KB for the vision judge",
    ],
    ["Queues", "operations", 0, PRICES.queueOperation, "0 without a webhook; 3 per webhook delivery"],
  ];
  const byProduct = new Map();
  console.log("\n    cost per job at published prices (marginal, past the included amounts):");
  for (const [product, what, count, price, how] of lines) {
    const cost = (count || 0) * price.usd;
    byProduct.set(product, (byProduct.get(product) ?? 0) + cost);
    console.log(
      `      ${`${product} ${what}`.padEnd(44)} ${(count > 0 && count < 0.01 ? count.toExponential(1) : fmt(count, 2)).padStart(9)} × ${price.usd.toExponential(2)} = ${usd(cost).padStart(9)}  ${how}`,
    );
  }
  const total = [...byProduct.values()].reduce((a, b) => a + b, 0);
  const breakdown = [...byProduct]
    .sort((a, b) => b[1] - a[1])
    .map(([p, c]) => `${p} ${usd(c * 1000)}`)
    .join(", ");
  console.log(`      total ${usd(total)} per job, ${usd(total * 1000)} per 1,000 jobs: ${breakdown}`);
  console.log(
    `      node side (wrangler, miniflare, the local Images binding): ${fmt(nodeCpuMsPerJob)} CPU ms/job; workerd RSS peak ${fmt(peakRssMb)} MB`,
  );

  // ---- ceilings ----
  const jobsPerSecondD1 = LIMITS.d1QueriesPerSecondAt1ms / perJob.statements;
  const jobsUntilFull = LIMITS.d1DatabaseBytes / bytesPerJob;
  const actorJobsPerSecond = LIMITS.actorRequestsPerSecond / doRequests;
  console.log(
    `\n    ceilings: D1 at 1 ms/statement ≈ ${fmt(jobsPerSecondD1, 1)} jobs/s (${fmt(jobsPerSecondD1 * perJob.rowsWritten)} rows written/s) ` +
      `per database; 10 GB ≈ ${fmt(jobsUntilFull)} jobs (${fmt(jobsUntilFull / 86400, 1)} days at 1 job/s); ` +
      `one actor at 1,000 requests/s ≈ ${fmt(actorJobsPerSecond, 1)} jobs/s of one session; ` +
      `the jobs here used ${fmt((eventsPerSecondJobs / singles.perSecond) * 100)}% of the one-event-per-request rate`,
  );
  console.log(`\nscale: ${((performance.now() - scriptStarted) / 1000).toFixed(0)} s`);

  const measuredRun = done === JOBS && failedTasks === 0;
  emit([
    {
      figure: `jobs per minute one session actor sustains: ${JOBS} local jobs × ${VARIANTS} variants back to back on one session`,
      goal: "reported",
      measured: `${fmt(jobsPerMinute, 1)} jobs/min, ${fmt(jobsPerMinute * VARIANTS)} images/min (${done}/${JOBS} in ${runSeconds.toFixed(1)} s); bound by this machine's CPU (the Images work), not the actor`,
      floor: `the actor alone: ${fmt(singles.perSecond)} publishes/s through the Worker ≈ ${fmt((singles.perSecond / publishes) * 60)} jobs/min at ${publishes} publishes per job`,
      ratio: null,
      met: measuredRun,
    },
    {
      figure: "events per second per actor (published through the session actor, received by a client)",
      goal: "reported",
      measured: `${fmt(eventsPerSecondJobs)} events/s while the jobs ran (${fmt(eventsPerJob, 1)} per job, in ${publishes} messages); burst with the event log on: ${fmt(batched.perSecond)} events/s in batches of 50, ${fmt(singles.perSecond)} events/s one per request`,
      floor: "—",
      ratio: null,
      met: batched.received === batched.count && singles.received === singles.count,
    },
    {
      figure: `D1 rows per ${VARIANTS}-variant job (meta of each statement: the submit request + the workflow)`,
      goal: "reported",
      measured: workflowMeasured
        ? `${fmt(perJob.rowsWritten)} written, ${fmt(perJob.rowsRead)} read in ${fmt(perJob.statements)} statements (submit ${fmt(request.rowsWritten)} written / ${fmt(request.rowsRead)} read; workflow ${fmt(workflow.rowsWritten)} / ${fmt(workflow.rowsRead)}, its reads growing with the project: ${fmt(firstWf.rowsRead)} → ${fmt(lastWf.rowsRead)}); ${fmt(bytesPerJob / 1024, 1)} KB of database per job`
        : `the submit request only: ${fmt(request.rowsWritten)} written, ${fmt(request.rowsRead)} read in ${fmt(request.statements)} statements; the workflow logs no d1 line yet (${workflowRuns.length}/${done} jobs)`,
      floor: "—",
      ratio: null,
      met: measuredRun && workflowMeasured,
    },
    {
      figure: `Workflow steps per ${VARIANTS}-variant job (distinct step names in the run's steps log line)`,
      goal: "≤ 31 (half of 62)",
      measured: `${stepsPerJob} steps (${stepKinds})`,
      floor: "62 (6 + 7 × 8, before)",
      ratio: stepsPerJob / 62,
      met: measuredRun && stepsPerJob > 0 && stepsPerJob <= 31,
    },
    {
      figure:
        "platform cost per job at published prices (marginal, past the included amounts; providers not included)",
      goal: "reported",
      measured: `${usd(total)} per job, ${usd(total * 1000)} per 1,000 jobs: ${breakdown}${workflowMeasured ? "" : " (D1 without the workflow's rows)"}`,
      floor: "—",
      ratio: null,
      met: measuredRun && workflowMeasured,
    },
    {
      figure: "first ceilings, projected with the published limits",
      goal: "reported",
      measured: `D1, one database: 10 GB ≈ ${fmt(jobsUntilFull / 1e3)}k jobs at ${fmt(bytesPerJob / 1024, 1)} KB each; its single writer at 1 ms/statement ≈ ${fmt(jobsPerSecondD1, 1)} jobs/s (${fmt(perJob.statements)} statements/job); one session actor at 1,000 requests/s ≈ ${fmt(actorJobsPerSecond, 1)} jobs/s`,
      floor: "—",
      ratio: null,
      met: workflowMeasured,
    },
  ]);
} finally {
  server.stop();
}
