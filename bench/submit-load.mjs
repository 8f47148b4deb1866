// POST /jobs latency while jobs × local variants run (submitted back to back): p50/p99 and 5xx.
// Usage: node bench/submit-load.mjs [--jobs 25] [--variants 8]
import { parseArgs } from "node:util";
import { startDevServer } from "./dev-server.mjs";
import { emit, median, percentile } from "./figures.mjs";
import { api } from "./helpers.mjs";

const { values } = parseArgs({
  options: { jobs: { type: "string", default: "25" }, variants: { type: "string", default: "8" } },
});
const JOBS = Number(values.jobs);

const server = await startDevServer({ vars: { RATE_LIMIT_BURST: "100000" } });
try {
  const project = await api(server, "/api/projects", {
    method: "POST",
    body: JSON.stringify({ name: "submit under load" }),
  });
  const idle = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    await fetch(`${server.base}/health`);
    idle.push(performance.now() - t0);
  }
  const latencies = [];
  const statuses = [];
  const jobIds = [];
  for (let i = 0; i < JOBS; i++) {
    const t0 = performance.now();
    const res = await fetch(`${server.base}/api/projects/${project.id}/jobs`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": server.key },
      body: JSON.stringify({
        prompt: `load ${i} ${Date.now()}`,
        providers: ["local"],
        variants: Number(values.variants),
        sessionId: `submit-load-${Date.now()}`,
      }),
    });
    latencies.push(performance.now() - t0);
    statuses.push(res.status);
    const body = await res.json().catch(() => null);
    if (res.status === 202) jobIds.push(body.jobId);
  }
  for (const id of jobIds) {
    for (let i = 0; i < 600; i++) {
      if ((await api(server, `/api/jobs/${id}`)).finishedAt) break;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  const fives = statuses.filter((s) => s >= 500).length;
  emit([
    {
      figure: `submissions during load: POST /jobs latency while ${JOBS} jobs × ${values.variants} local variants run`,
      goal: "p99 reported, and no 5xx",
      measured: `p50 ${median(latencies).toFixed(0)} ms, p99 ${percentile(latencies, 99).toFixed(0)} ms; ${fives} × 5xx of ${JOBS}`,
      floor: `${median(idle).toFixed(1)} ms (GET /health, idle)`,
      ratio: percentile(latencies, 99) / median(idle),
      met: fives === 0,
    },
  ]);
} finally {
  server.stop();
}
