// npm run test:reliability [-- --short]: starts its own `wrangler dev --local` servers on free
// loopback ports, runs the reliability scenarios and writes RELIABILITY.md. `--short` (CI) runs
// each scenario at a smaller size. Exits non-zero when a figure misses its goal.
import { writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { startDevServer } from "../../bench/dev-server.mjs";
import { startFaultStub } from "./fault-stub.mjs";
import {
  eviction,
  idempotentBurst,
  killMidDeletion,
  killMidJob,
  load,
  providerFaults,
} from "./scenarios.mjs";

const short = process.argv.includes("--short");
const size = short
  ? {
      load: { subs: 50, jobs: 4, variants: 4 },
      faults: { jobs: 6, variants: 2 },
      idem: 20,
      evict: { subs: 60, batches: 6, perBatch: 20 },
    }
  : {
      load: { subs: 300, jobs: 25, variants: 8 },
      faults: { jobs: 30, variants: 2 },
      idem: 50,
      evict: { subs: 500, batches: 10, perBatch: 50 },
    };
const SECRET = "sk-reliability-secret-9f2c1e";

const rows = [];
const started = Date.now();
const stub = await startFaultStub();
const server = await startDevServer({
  persist: ".wrangler/reliability",
  vars: {
    RATE_LIMIT_BURST: "100000",
    OPENAI_API_KEY: SECRET,
    OPENAI_BASE_URL: stub.url,
    PROVIDER_TIMEOUT_MS: "3000",
  },
});
const step = async (name, fn) => {
  const t = Date.now();
  try {
    rows.push(...(await fn()));
  } catch (err) {
    rows.push({
      figure: name,
      goal: "runs",
      measured: `error: ${err instanceof Error ? err.message : String(err)}`,
      pass: false,
    });
  }
  console.log(`${name}: ${((Date.now() - t) / 1000).toFixed(0)} s`);
};
try {
  await step("idempotency", () => idempotentBurst(server, size.idem));
  await step("eviction", () => eviction(server, size.evict));
  await step("load", () => load(server, size.load));
  await step("provider faults", () => providerFaults(server, stub, SECRET, size.faults));
} finally {
  // The server's log stays behind for diagnosis (.wrangler is not committed).
  writeFileSync(".wrangler/reliability/server.log", server.output());
  server.stop();
  stub.close();
}
await step("kill -9", () => killMidJob((options) => startDevServer(options)));
await step("kill -9 mid-deletion", () => killMidDeletion((options) => startDevServer(options)));

const machine = `${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`;
const cell = (s) => String(s).replaceAll("|", "\\|").replaceAll("\n", " ");
const table = rows
  .map(
    (r) =>
      `| ${cell(r.figure)} | ${cell(r.goal)} | ${cell(r.measured)} | ${r.pass ? "met" : "**not met**"} |`,
  )
  .join("\n");
const doc = `# Reliability

Written by \`npm run test:reliability${short ? " -- --short" : ""}\` (${short ? "the short CI form" : "the full run"}, ${((Date.now() - started) / 1000).toFixed(0)} s). Each run starts its own
\`wrangler dev --local\` on a free loopback port; the provider-fault figure uses a loopback
OpenAI-compatible stub. Nothing leaves 127.0.0.1.

| figure | goal | measured | |
|---|---|---|---|
${table}

Machine: ${machine}.
`;
if (!short) writeFileSync("RELIABILITY.md", doc);
console.log(doc);
process.exit(rows.every((r) => r.pass) ? 0 : 1);
