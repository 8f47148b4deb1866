// Job latency benchmark against `wrangler dev --local`:
//  (1) one `local` job of N variants (zero delay): submit → job-level `complete`, next to a floor of the
//      same count of R2 puts, D1 writes and actor posts done directly by the Worker in the same run,
//      round by round (goal: median ≤ 1.5×, no round above 2×). One unmeasured warm-up round of both
//      comes first, so neither side pays the first-request costs (module load, engine start) in a round;
//  (2) submit → first `queued` event, next to the GET /health round trip.
// It also prints where the time went inside steps, by step kind, and the steps each job ran.
// Usage: node bench/job-latency.mjs [--variants 8] [--rounds 5]
import { parseArgs } from "node:util";
import WebSocket from "ws";
import { startDevServer } from "./dev-server.mjs";
import { emit, median } from "./figures.mjs";

const { values } = parseArgs({
  options: { variants: { type: "string", default: "8" }, rounds: { type: "string", default: "5" } },
});
const VARIANTS = Number(values.variants);
const ROUNDS = Number(values.rounds);

async function json(res) {
  const body = await res.json();
  if (!res.ok) throw new Error(`${res.status} ${JSON.stringify(body)}`);
  return body;
}

const server = await startDevServer({ vars: { LOCAL_PROVIDER_DELAY_MS: "0", RATE_LIMIT_BURST: "1000" } });
const headers = { "content-type": "application/json", "x-api-key": server.key };
try {
  const warmJobs = new Set();
  const jobIdOf = (events) => events.find((e) => e.type === "queued")?.data.jobId;
  const jobMs = [];
  const floorMs = [];
  const queuedMs = [];
  const healthMs = [];
  const ratios = [];
  for (let round = -1; round < ROUNDS; round++) {
    const project = await json(
      await fetch(`${server.base}/api/projects`, {
        method: "POST",
        headers,
        body: JSON.stringify({ name: `bench ${round}` }),
      }),
    );
    const sessionId = `bench-job-${Date.now()}-${round}`;
    const ws = new WebSocket(`${server.base.replace("http", "ws")}/api/stream/${sessionId}`, {
      headers: { "x-api-key": server.key },
    });
    await new Promise((resolve, reject) => ws.on("open", resolve).on("error", reject));
    const events = [];
    let firstQueuedAt = null;
    const done = new Promise((resolve) => {
      ws.on("message", (raw) => {
        const env = JSON.parse(raw.toString());
        events.push(env);
        if (env.type === "queued" && firstQueuedAt === null) firstQueuedAt = performance.now();
        if (env.type === "complete" && env.data.summary) resolve(performance.now());
      });
    });
    // A distinct prompt per round so nothing is skipped as a duplicate of an earlier round.
    const prompt = `benchmark round ${round} ${Date.now()}, teal and gold`;
    const t0 = performance.now();
    await json(
      await fetch(`${server.base}/api/projects/${project.id}/jobs`, {
        method: "POST",
        headers,
        body: JSON.stringify({ prompt, providers: ["local"], variants: VARIANTS, sessionId }),
      }),
    );
    const finished = await Promise.race([
      done,
      new Promise((_, r) => setTimeout(() => r(new Error("job timeout")), 120_000)),
    ]);
    ws.close();
    const jobTook = finished - t0;
    const queuedTook = firstQueuedAt - t0;

    // The floor: the same effects done directly by a bare Worker route, per variant concurrently —
    // an SVG rasterized by the Images binding, an R2 put, a 32×32 rendition, 2 D1 writes, 5 actor posts.
    const floor = await json(
      await fetch(`${server.base}/api/dev/floor`, {
        method: "POST",
        headers,
        body: JSON.stringify({
          sessionId: `${sessionId}-floor`,
          variants: VARIANTS,
          actorPostsPerVariant: 5,
        }),
      }),
    );
    const h0 = performance.now();
    await (await fetch(`${server.base}/health`)).json();
    const healthTook = performance.now() - h0;
    if (round < 0) {
      console.log(`warm-up: job ${Math.round(jobTook)} ms, floor ${Math.round(floor.ms)} ms (not counted)`);
      warmJobs.add(jobIdOf(events));
      continue;
    }
    jobMs.push(jobTook);
    queuedMs.push(queuedTook);
    floorMs.push(floor.ms);
    healthMs.push(healthTook);
    ratios.push(jobTook / floor.ms);
    console.log(
      `round ${round + 1}: job ${Math.round(jobTook)} ms (${events.length} events), floor ${Math.round(floor.ms)} ms, ` +
        `ratio ${(jobTook / floor.ms).toFixed(2)}, first queued ${queuedTook.toFixed(1)} ms, health ${healthTook.toFixed(1)} ms`,
    );
  }
  const job = median(jobMs);
  const floor = median(floorMs);
  const queued = median(queuedMs);
  const health = median(healthMs);
  // Where the job's time went: each workflow run's `steps` line (every attempt it made), by step kind.
  const byStep = new Map();
  const stepsOfJob = new Map();
  for (const line of server.output().split("\n")) {
    const start = line.indexOf('{"level"');
    if (start < 0 || !line.includes('"event":"steps"')) continue;
    try {
      const { steps, jobId } = JSON.parse(line.slice(start));
      if (warmJobs.has(jobId)) continue;
      if (!stepsOfJob.has(jobId)) stepsOfJob.set(jobId, new Set());
      for (const { step, ms } of steps) {
        stepsOfJob.get(jobId).add(step);
        const kind = step.split(" ")[0];
        const entry = byStep.get(kind) ?? { count: 0, ms: 0 };
        entry.count++;
        entry.ms += ms;
        byStep.set(kind, entry);
      }
    } catch {
      // not one of ours
    }
  }
  console.log("\nstep time inside steps, all rounds (count, total ms, mean ms):");
  for (const [kind, { count, ms }] of [...byStep].sort((a, b) => b[1].ms - a[1].ms)) {
    console.log(
      `  ${kind.padEnd(22)} ${String(count).padStart(4)} ${String(ms).padStart(7)} ${(ms / count).toFixed(1).padStart(7)}`,
    );
  }
  const steps = [...stepsOfJob.values()].map((s) => s.size);
  console.log(`  steps per job: ${steps.join(", ")}`);
  const ratio = job / floor;
  const worst = Math.max(...ratios);
  console.log(`\njob-latency: ${VARIANTS} variants, ${ROUNDS} rounds (medians)`);
  console.log(
    `  submit -> job complete: ${Math.round(job)} ms; floor ${Math.round(floor)} ms; ratio ${ratio.toFixed(2)} (goal <= 1.5); ` +
      `worst round ${worst.toFixed(2)} (goal <= 2)`,
  );
  console.log(
    `  submit -> first queued: ${queued.toFixed(1)} ms; /health ${health.toFixed(1)} ms; ratio ${(queued / health).toFixed(2)} (goal <= 5)`,
  );
  emit([
    {
      figure: `job overhead: one local job of ${VARIANTS} variants, submit → job-level complete (median of ${ROUNDS} rounds after a warm-up)`,
      goal: "median ≤ 1.5× the floor, no round above 2×",
      measured: `${Math.round(job)} ms; rounds ${ratios.map((r) => `${r.toFixed(2)}×`).join(" ")}`,
      floor: `${Math.round(floor)} ms (${VARIANTS} × {SVG rasterized, R2 put, 32×32 rendition, 2 D1 writes, 5 actor posts})`,
      ratio,
      met: ratio <= 1.5 && worst <= 2,
    },
    {
      figure: "submit → first queued event",
      goal: "≤ 5× a GET /health round trip",
      measured: `${queued.toFixed(1)} ms`,
      floor: `${health.toFixed(1)} ms (/health)`,
      ratio: queued / health,
      met: queued / health <= 5,
    },
  ]);
} finally {
  server.stop();
}
