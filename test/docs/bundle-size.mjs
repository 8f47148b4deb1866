// npm run size: `wrangler deploy --dry-run --outdir dist`, then the gzip size of the Worker bundle
// (every .js/.mjs/.wasm module wrangler wrote), printed, failing above the free plan's 3 MiB.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const OUT = "dist";
const LIMIT = 3 * 1024 * 1024;

rmSync(OUT, { recursive: true, force: true });
execFileSync("npx", ["wrangler", "deploy", "--dry-run", "--outdir", OUT], {
  stdio: ["ignore", "ignore", "inherit"],
});

const files = (dir) =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
const modules = files(OUT).filter((f) => /\.(m?js|wasm)$/.test(f));
const raw = modules.reduce((n, f) => n + statSync(f).size, 0);
const gzip = modules.reduce((n, f) => n + gzipSync(readFileSync(f), { level: 9 }).length, 0);
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
console.log(`bundle: ${modules.length} module(s), ${kib(raw)} raw, ${kib(gzip)} gzip (limit ${kib(LIMIT)})`);
if (gzip > LIMIT) {
  console.error("bundle: over the 3 MiB gzip limit of the Workers free plan");
  process.exit(1);
}
