// View-log pipeline: N view messages through the real local queue and consumer, with a share of
// batches failing (VIEW_LOG_FAIL_RATE); every message must end as exactly one artifact_views row.
// Usage: node bench/view-log.mjs [--messages 10000] [--fail-rate 0.05]
import { parseArgs } from "node:util";
import { startDevServer } from "./dev-server.mjs";
import { emit } from "./figures.mjs";
import { api, publishedLookbook } from "./helpers.mjs";

const { values } = parseArgs({
  options: {
    messages: { type: "string", default: "10000" },
    "fail-rate": { type: "string", default: "0.05" },
  },
});
const MESSAGES = Number(values.messages);

const server = await startDevServer({ vars: { VIEW_LOG_FAIL_RATE: values["fail-rate"] } });
try {
  const { artifact } = await publishedLookbook(server, 1);
  const started = performance.now();
  // 1,000 per request: one request that enqueues all 10,000 hits the local runtime's limits.
  for (let sent = 0; sent < MESSAGES; sent += 1000) {
    await api(server, "/api/dev/views", {
      method: "POST",
      body: JSON.stringify({ artifactId: artifact.id, count: Math.min(1000, MESSAGES - sent) }),
    });
  }
  let total = 0;
  for (;;) {
    total = (await api(server, `/api/artifacts/${artifact.id}/views`)).total;
    if (total >= MESSAGES || performance.now() - started > 600_000) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  // Give late redeliveries a moment to prove they add nothing.
  await new Promise((r) => setTimeout(r, 5000));
  total = (await api(server, `/api/artifacts/${artifact.id}/views`)).total;
  const failures = (server.output().match(/views\.write_failed/g) ?? []).length;
  const seconds = (performance.now() - started) / 1000;
  console.log(`view-log: ${MESSAGES} messages, fail rate ${values["fail-rate"]}`);
  console.log(`  rows: ${total} (expected exactly ${MESSAGES}) ${total === MESSAGES ? "OK" : "MISMATCH"}`);
  console.log(`  failed batches retried: ${failures}; ${seconds.toFixed(1)} s end to end`);
  emit([
    {
      figure: `view logging: ${MESSAGES} views with ${Number(values["fail-rate"]) * 100}% of consumer batches failing`,
      goal: `${MESSAGES} rows, 0 duplicated`,
      measured: `${total} rows after ${failures} failed batches were retried (${seconds.toFixed(0)} s)`,
      floor: "—",
      ratio: total / MESSAGES,
      met: total === MESSAGES,
    },
  ]);
  process.exitCode = total === MESSAGES ? 0 : 1;
} finally {
  server.stop();
}
