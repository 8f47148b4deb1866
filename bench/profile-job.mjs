// Where the Worker's isolate spends its CPU during jobs: a DevTools CPU profile over N local jobs.
// Starts `wrangler dev --local --inspector-port`, runs one unmeasured warm-up job, then profiles N
// jobs of V variants one after another and prints the busiest functions (self time) and the
// isolate's idle share. The session actor runs in the same isolate, so its work is in the profile;
// the local Workflows engine runs in another one and shows up as idle here.
// Usage: node bench/profile-job.mjs [--jobs 4] [--variants 8] [--out .wrangler/job.cpuprofile]
// The .cpuprofile file opens in Chrome DevTools (Performance → Load profile) for the full call tree.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { parseArgs } from "node:util";
import WebSocket from "ws";
import { freePort, startDevServer } from "./dev-server.mjs";
import { api } from "./helpers.mjs";

const { values } = parseArgs({
  options: {
    jobs: { type: "string", default: "4" },
    variants: { type: "string", default: "8" },
    out: { type: "string", default: ".wrangler/job.cpuprofile" },
    top: { type: "string", default: "25" },
  },
});

/**
 * One DevTools protocol session through wrangler's inspector proxy. The proxy echoes each command
 * back with its id and does not always forward the runtime's empty replies, so `send` resolves on the
 * echo; `request` waits for the reply that carries a result (Profiler.stop's profile).
 */
async function inspect(url) {
  const ws = new WebSocket(url);
  await new Promise((resolve, reject) => ws.on("open", resolve).on("error", reject));
  let next = 0;
  const pending = new Map();
  ws.on("message", (raw) => {
    const message = JSON.parse(raw.toString());
    const waiter = pending.get(message.id);
    if (!waiter || (waiter.needsResult && !("result" in message || "error" in message))) return;
    pending.delete(message.id);
    waiter.resolve(message);
  });
  const call = (method, params, needsResult) =>
    new Promise((resolve) => {
      const id = ++next;
      pending.set(id, { resolve, needsResult });
      ws.send(JSON.stringify({ id, method, params }));
    });
  return {
    send: (method, params = {}) => call(method, params, false),
    request: (method, params = {}) => call(method, params, true),
    close: () => ws.close(),
  };
}

/** Self time per function (ms), the idle share and the profile's span, from a V8 CPU profile. */
function summarize(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const { callFrame } = byId.get(profile.samples[i]);
    const where = callFrame.url ? ` ${callFrame.url}:${callFrame.lineNumber + 1}` : "";
    const name = `${callFrame.functionName || "(anonymous)"}${where}`;
    self.set(name, (self.get(name) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  }
  const span = (profile.endTime - profile.startTime) / 1000;
  return { span, idle: self.get("(idle)") ?? 0, self: [...self].sort((a, b) => b[1] - a[1]) };
}

const inspectorPort = await freePort();
const server = await startDevServer({
  vars: { LOCAL_PROVIDER_DELAY_MS: "0", RATE_LIMIT_BURST: "1000" },
  extraArgs: ["--inspector-port", String(inspectorPort)],
});

async function runJob(label) {
  const project = await api(server, "/api/projects", {
    method: "POST",
    body: JSON.stringify({ name: `profile ${label}` }),
  });
  const sessionId = `profile-${Date.now()}-${label}`;
  const ws = new WebSocket(`${server.base.replace("http", "ws")}/api/stream/${sessionId}`, {
    headers: { "x-api-key": server.key },
  });
  await new Promise((resolve, reject) => ws.on("open", resolve).on("error", reject));
  const done = new Promise((resolve) =>
    ws.on("message", (raw) => {
      const env = JSON.parse(raw.toString());
      if (env.type === "complete" && env.data.summary) resolve();
    }),
  );
  const started = performance.now();
  await api(server, `/api/projects/${project.id}/jobs`, {
    method: "POST",
    body: JSON.stringify({
      prompt: `profile ${label} ${Date.now()}, teal and gold`,
      providers: ["local"],
      variants: Number(values.variants),
      sessionId,
    }),
  });
  await Promise.race([
    done,
    new Promise((_, reject) => setTimeout(() => reject(new Error("job timeout")), 120_000)),
  ]);
  ws.close();
  return performance.now() - started;
}

try {
  console.log(`warm-up job: ${Math.round(await runJob("warm-up"))} ms (not profiled)`);
  const [target] = await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json();
  const session = await inspect(target.webSocketDebuggerUrl);
  await session.send("Profiler.enable");
  await session.send("Profiler.setSamplingInterval", { interval: 200 });
  await session.send("Profiler.start");
  for (let i = 0; i < Number(values.jobs); i++)
    console.log(`job ${i + 1}: ${Math.round(await runJob(i))} ms`);
  const { result } = await session.request("Profiler.stop");
  session.close();
  mkdirSync(dirname(values.out), { recursive: true });
  writeFileSync(values.out, JSON.stringify(result.profile));
  const { span, idle, self } = summarize(result.profile);
  console.log(
    `\nisolate: ${Math.round(span)} ms profiled, ${Math.round(span - idle)} ms busy (${((100 * (span - idle)) / span).toFixed(0)} %)`,
  );
  console.log(`busiest functions by self time (ms), of ${values.jobs} jobs:`);
  for (const [name, ms] of self.filter(([n]) => n !== "(idle)").slice(0, Number(values.top))) {
    console.log(`  ${ms.toFixed(1).padStart(8)}  ${name}`);
  }
  console.log(`\nprofile written to ${values.out} (open it in Chrome DevTools for the call tree)`);
} finally {
  server.stop();
}
