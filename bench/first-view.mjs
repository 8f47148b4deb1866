// First view of a freshly published page with its images, vs a second view of the same.
// Usage: node bench/first-view.mjs [--variants 6] [--rounds 3]
import { parseArgs } from "node:util";
import { startDevServer } from "./dev-server.mjs";
import { emit, median } from "./figures.mjs";
import { publishedLookbook } from "./helpers.mjs";

const { values } = parseArgs({
  options: { variants: { type: "string", default: "6" }, rounds: { type: "string", default: "3" } },
});

/** The page and every image it references (src and srcset), fetched as a browser would, in parallel. */
async function view(base, url) {
  const t0 = performance.now();
  const html = await (await fetch(url)).text();
  const refs = new Set();
  for (const m of html.matchAll(/(?:src|srcset)="([^"]+)"/g)) {
    for (const part of m[1].split(",")) {
      const ref = part.trim().split(/\s+/)[0]?.replaceAll("&amp;", "&");
      if (ref?.startsWith("/images/") || ref?.startsWith(`${base}/images/`)) refs.add(ref);
    }
  }
  const statuses = await Promise.all(
    [...refs].map(async (ref) => {
      const res = await fetch(ref.startsWith("http") ? ref : `${base}${ref}`, {
        headers: { accept: "image/avif,image/webp,*/*" },
      });
      await res.arrayBuffer();
      return res.status;
    }),
  );
  return { ms: performance.now() - t0, images: refs.size, failed: statuses.filter((s) => s !== 200).length };
}

const server = await startDevServer({ vars: { RATE_LIMIT_BURST: "1000" } });
try {
  const first = [];
  const second = [];
  let images = 0;
  let failed = 0;
  for (let round = 0; round < Number(values.rounds); round++) {
    const { artifact } = await publishedLookbook(server, Number(values.variants));
    const url = `${server.base}${new URL(artifact.publicUrl).pathname}`;
    const a = await view(server.base, url);
    const b = await view(server.base, url);
    first.push(a.ms);
    second.push(b.ms);
    images = a.images;
    failed += a.failed + b.failed;
    console.log(
      `round ${round + 1}: first ${a.ms.toFixed(0)} ms, second ${b.ms.toFixed(0)} ms, ${a.images} images`,
    );
  }
  const ratio = median(first) / median(second);
  emit([
    {
      figure: `first view of a freshly published lookbook with its ${images} images vs a second view`,
      goal: "≤ 2×",
      measured: `${median(first).toFixed(0)} ms${failed ? ` (${failed} image requests failed)` : ""}`,
      floor: `${median(second).toFixed(0)} ms (second view)`,
      ratio,
      met: ratio <= 2 && failed === 0,
    },
  ]);
} finally {
  server.stop();
}
