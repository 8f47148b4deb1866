// Progressions listing at 1k and at 100k rows in one project (rows inserted directly before the
// server starts): the first page and a deep cursor page, time(100k) / time(1k).
// Usage: node bench/listing.mjs [--big 100000] [--small 1000] [--requests 20]
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { startDevServer } from "./dev-server.mjs";
import { emit, median } from "./figures.mjs";

const { values } = parseArgs({
  options: {
    big: { type: "string", default: "100000" },
    small: { type: "string", default: "1000" },
    requests: { type: "string", default: "20" },
  },
});
const BIG = Number(values.big);
const SMALL = Number(values.small);
const T0 = 1_700_000_000_000;

function seedSql(projectId, count) {
  const lines = [
    `INSERT OR IGNORE INTO projects (id, name, created_at, updated_at) VALUES ('${projectId}', 'listing ${count}', ${T0}, ${T0});`,
  ];
  for (let i = 0; i < count; i += 500) {
    const rows = [];
    for (let j = i; j < Math.min(count, i + 500); j++) {
      rows.push(
        `('${projectId}-${j}', '${projectId}', 'prompt ${j} a lighthouse', 'https://x/images/${projectId}-${j}', 'project/${projectId}/orig/${j}', 'local', '[]', '[]', '${j % 3 ? "pass" : "fail"}', ${T0 + j})`,
      );
    }
    lines.push(
      `INSERT OR IGNORE INTO image_progressions (id, project_id, prompt, generated_image_url, original_image_r2_key, ai_provider, ai_notes, ai_tags, judgment, created_at) VALUES ${rows.join(",")};`,
    );
  }
  return lines.join("\n");
}

const cursorAt = (projectId, count, depth) => {
  const j = Math.floor(count * (1 - depth));
  return Buffer.from(JSON.stringify({ t: T0 + j, id: `${projectId}-${j}` })).toString("base64url");
};

const dir = mkdtempSync(path.join(tmpdir(), "listing-"));
const server = await startDevServer({
  persist: ".wrangler/bench-listing",
  vars: { RATE_LIMIT_BURST: "1000" },
  setup: (persist) => {
    for (const [id, count] of [
      ["listing-small", SMALL],
      ["listing-big", BIG],
    ]) {
      const file = path.join(dir, `${id}.sql`);
      writeFileSync(file, seedSql(id, count));
      execFileSync(
        "npx",
        ["wrangler", "d1", "execute", "picasso-backend", "--local", "--persist-to", persist, "--file", file],
        {
          stdio: "ignore",
        },
      );
    }
  },
});
rmSync(dir, { recursive: true, force: true });
try {
  const time = async (url) => {
    const ms = [];
    for (let i = 0; i < Number(values.requests); i++) {
      const t0 = performance.now();
      const res = await fetch(url, { headers: { "x-api-key": server.key } });
      const body = await res.json();
      if (res.status !== 200 || body.progressions.length === 0) throw new Error(`${url}: ${res.status}`);
      ms.push(performance.now() - t0);
    }
    return median(ms);
  };
  const page = (id, cursor) =>
    `${server.base}/api/projects/${id}/progressions?limit=20${cursor ? `&cursor=${cursor}` : ""}`;
  // Interleaved A/B: small, big, small, big.
  const smallFirst = await time(page("listing-small"));
  const bigFirst = await time(page("listing-big"));
  const smallDeep = await time(page("listing-small", cursorAt("listing-small", SMALL, 0.9)));
  const bigDeep = await time(page("listing-big", cursorAt("listing-big", BIG, 0.9)));
  console.log(
    `first page: ${smallFirst.toFixed(1)} / ${bigFirst.toFixed(1)} ms; deep page: ${smallDeep.toFixed(1)} / ${bigDeep.toFixed(1)} ms`,
  );
  emit([
    {
      figure: `progressions listing, first page: ${BIG} vs ${SMALL} rows in one project`,
      goal: "time(100k) / time(1k) ≤ 1.5",
      measured: `${bigFirst.toFixed(1)} ms`,
      floor: `${smallFirst.toFixed(1)} ms (${SMALL} rows)`,
      ratio: bigFirst / smallFirst,
      met: bigFirst / smallFirst <= 1.5,
    },
    {
      figure: "progressions listing, a deep cursor page (90% down)",
      goal: "time(100k) / time(1k) ≤ 1.5",
      measured: `${bigDeep.toFixed(1)} ms`,
      floor: `${smallDeep.toFixed(1)} ms`,
      ratio: bigDeep / smallDeep,
      met: bigDeep / smallDeep <= 1.5,
    },
  ]);
} finally {
  server.stop();
}
