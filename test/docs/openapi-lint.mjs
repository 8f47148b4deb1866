// npm run lint:openapi: builds the Worker in-process (wrangler's startWorker, local mode, no
// persisted state, loopback only), reads GET /openapi.json as the app serves it, writes it to a
// temp file and runs `redocly lint` with the recommended rules on it. Fails on any error.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { unstable_startWorker } from "wrangler";

// Offline: miniflare's Request.cf placeholder, without trying (and failing) to download one.
process.env.CLOUDFLARE_CF_FETCH_ENABLED = "false";
const worker = await unstable_startWorker({
  config: "wrangler.toml",
  dev: {
    remote: false,
    server: { hostname: "127.0.0.1", port: 0 },
    inspector: false,
    persist: false,
    logLevel: "error",
  },
});
let document;
try {
  const timeout = new Promise((_, reject) =>
    setTimeout(() => reject(new Error("the Worker did not start within 60 s")), 60_000).unref(),
  );
  await Promise.race([worker.ready, timeout]);
  const res = await worker.fetch("http://localhost/openapi.json");
  if (res.status !== 200) throw new Error(`GET /openapi.json answered ${res.status}`);
  document = await res.text();
} finally {
  await worker.dispose();
}
const dir = mkdtempSync(join(tmpdir(), "picasso-openapi-"));
const file = join(dir, "openapi.json");
writeFileSync(file, document);
const lint = spawnSync("npx", ["redocly", "lint", "--extends", "recommended", "--format", "stylish", file], {
  stdio: ["ignore", "pipe", "pipe"],
  encoding: "utf8",
  env: { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true" },
});
rmSync(dir, { recursive: true, force: true });
// The lint result as Redocly prints it, minus its boxed "Node.js 20 support is ending" notice: this
// project is pinned to Node 20 (see the README), and the notice has no option to turn it off.
const withoutBox = (text) => text.replace(/^[ \t]*╔[\s\S]*?╚[^\n]*\n?/m, "");
process.stdout.write(withoutBox(lint.stdout ?? ""));
process.stderr.write(withoutBox(lint.stderr ?? ""));
process.exit(lint.status ?? 1);
