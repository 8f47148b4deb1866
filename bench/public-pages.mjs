// Public page throughput: a published lookbook, as a visitor reloading it sees it (the Cache API's
// copy, the view already counted), next to a static file from ASSETS on the same
// `wrangler dev --local`, in the same run, with autocannon. Goal (issue 20): a public page about as
// cheap as a file: ≥ 0.8× its throughput and a p99 ≤ 1.5× its p99.
// The two are measured in alternating slices (page, file, file, page, …) and compared slice pair by
// slice pair, the median ratio counting: on a shared 2-core machine, a compiler or test run that
// starts in the middle of one long window would otherwise decide the figure (seen here: the same
// code measured 0.58× and 1.35× in two back-to-back runs of two 10 s windows).
// Usage: node bench/public-pages.mjs [--seconds 10] [--connections 20]  (seconds per URL in all)
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import { startDevServer } from "./dev-server.mjs";
import { emit, median } from "./figures.mjs";
import { publishedLookbook } from "./helpers.mjs";

const { values } = parseArgs({
  options: { seconds: { type: "string", default: "10" }, connections: { type: "string", default: "20" } },
});

const GOAL_THROUGHPUT = 0.8;
const GOAL_P99 = 1.5;
const seconds = Number(values.seconds);
/** Slice pairs: 2 s slices, at most 5 pairs (10 s per URL by default), at least one. */
const PAIRS = Math.max(1, Math.min(5, Math.floor(seconds / 2)));

const run = (url, duration) => autocannon({ url, duration, connections: Number(values.connections) });

const server = await startDevServer();
try {
  const { artifact } = await publishedLookbook(server);
  const slugUrl = `${server.base}${new URL(artifact.publicUrl).pathname}`;
  const staticUrl = `${server.base}/`; // public/index.html, served by ASSETS
  // Warm-up, both alike: the page's first requests miss the Cache API (D1 + R2, once per 5 minutes
  // per slug) and count the view; what is measured is the steady state a reloading visitor sees.
  await run(staticUrl, seconds);
  await run(slugUrl, seconds);
  const pairs = [];
  for (let i = 0; i < PAIRS; i++) {
    // ABBA order: whichever goes second in a pair is not always the same one.
    const [first, second] = i % 2 === 0 ? [slugUrl, staticUrl] : [staticUrl, slugUrl];
    const a = await run(first, seconds / PAIRS);
    const b = await run(second, seconds / PAIRS);
    pairs.push(first === slugUrl ? { page: a, file: b } : { page: b, file: a });
  }
  const sum = (side, pick) => pairs.reduce((n, p) => n + pick(p[side]), 0);
  const line = (name, side) => {
    const rates = pairs.map((p) => p[side].requests.average);
    return (
      `  ${name.padEnd(14)} ${Math.round(median(rates))} req/s (slices ${rates.map(Math.round).join(" ")}), ` +
      `p99 ${median(pairs.map((p) => p[side].latency.p99))} ms, ` +
      `${sum(side, (r) => r.non2xx)} non-2xx, ${sum(side, (r) => r.errors)} errors`
    );
  };
  console.log(
    `public-pages: ${values.connections} connections, ${PAIRS} slice pairs of ${seconds / PAIRS} s`,
  );
  console.log(line("lookbook slug", "page"));
  console.log(line("static file", "file"));
  const throughputs = pairs.map((p) => p.page.requests.average / p.file.requests.average);
  const p99s = pairs.map((p) => p.page.latency.p99 / Math.max(1, p.file.latency.p99));
  const throughput = median(throughputs);
  const p99 = median(p99s);
  const show = (xs) => xs.map((x) => x.toFixed(2)).join(" ");
  console.log(
    `  ratio (median of pairs): throughput ${throughput.toFixed(2)} (goal >= ${GOAL_THROUGHPUT}; ${show(throughputs)}), ` +
      `p99 ${p99.toFixed(2)} (goal <= ${GOAL_P99}; ${show(p99s)})`,
  );
  const pageNon2xx = sum("page", (r) => r.non2xx);
  emit([
    {
      figure: `public page (a published lookbook) vs a static ASSETS file, ${values.connections} connections, median of ${PAIRS} alternating slice pairs`,
      goal: `≥ ${GOAL_THROUGHPUT}× throughput`,
      measured: `${Math.round(median(pairs.map((p) => p.page.requests.average)))} req/s (${pageNon2xx} non-2xx)`,
      floor: `${Math.round(median(pairs.map((p) => p.file.requests.average)))} req/s (static file)`,
      ratio: throughput,
      met: throughput >= GOAL_THROUGHPUT && pageNon2xx === 0,
    },
    {
      figure: "public page p99 vs the static file's (median of the pairs)",
      goal: `≤ ${GOAL_P99}×`,
      measured: `${median(pairs.map((p) => p.page.latency.p99))} ms`,
      floor: `${median(pairs.map((p) => p.file.latency.p99))} ms`,
      ratio: p99,
      met: p99 <= GOAL_P99,
    },
  ]);
} finally {
  server.stop();
}
