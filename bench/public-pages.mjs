// Public page throughput: a lookbook slug (D1 lookup + R2 stream + queue message) next to a static
// file from ASSETS on the same `wrangler dev --local`, in the same run, with autocannon.
// Usage: node bench/public-pages.mjs [--seconds 10] [--connections 20]
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import { startDevServer } from "./dev-server.mjs";
import { emit } from "./figures.mjs";
import { publishedLookbook } from "./helpers.mjs";

const { values } = parseArgs({
  options: { seconds: { type: "string", default: "10" }, connections: { type: "string", default: "20" } },
});

const run = (url) =>
  autocannon({ url, duration: Number(values.seconds), connections: Number(values.connections) });

const server = await startDevServer();
try {
  const { artifact } = await publishedLookbook(server);
  const slugUrl = `${server.base}${new URL(artifact.publicUrl).pathname}`;
  const staticUrl = `${server.base}/`; // public/index.html, served by ASSETS
  await run(staticUrl); // warm-up
  const page = await run(slugUrl);
  const file = await run(staticUrl);
  const line = (name, r) =>
    `  ${name.padEnd(14)} ${Math.round(r.requests.average)} req/s, p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, ` +
    `${r.non2xx} non-2xx, ${r.errors} errors`;
  console.log(`public-pages: ${values.connections} connections, ${values.seconds} s each`);
  console.log(line("lookbook slug", page));
  console.log(line("static file", file));
  const throughput = page.requests.average / file.requests.average;
  const p99 = page.latency.p99 / Math.max(1, file.latency.p99);
  console.log(
    `  ratio: throughput ${throughput.toFixed(2)} (goal >= 0.5), p99 ${p99.toFixed(2)} (goal <= 3)`,
  );
  emit([
    {
      figure: `public page (a published lookbook) vs a static ASSETS file, ${values.connections} connections`,
      goal: "≥ 0.5× throughput",
      measured: `${Math.round(page.requests.average)} req/s (${page.non2xx} non-2xx)`,
      floor: `${Math.round(file.requests.average)} req/s (static file)`,
      ratio: throughput,
      met: throughput >= 0.5 && page.non2xx === 0,
    },
    {
      figure: "public page p99 vs the static file's",
      goal: "≤ 3×",
      measured: `${page.latency.p99} ms`,
      floor: `${file.latency.p99} ms`,
      ratio: p99,
      met: p99 <= 3,
    },
  ]);
} finally {
  server.stop();
}
