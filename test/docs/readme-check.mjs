// npm run docs:check: runs the README's shell examples, in order, in one bash session against a
// fresh `wrangler dev --local` on a free loopback port (bench/dev-server.mjs), with the vars a new
// user gets from .dev.vars.example. Every curl must answer 2xx/3xx unless the README says which
// error it shows (a 4xx/5xx code in the comment on its line or the line before). A block right
// after `<!-- docs:check skip -->` is not run (installs, deploys, destructive resets). The server's
// terminal must stay quiet through the whole walk: no exception dump, no "Aborting engine", no
// Request.cf download attempt (ALARMING below) — a healthy run prints nothing alarming.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { startDevServer } from "../../bench/dev-server.mjs";
import { alarmingLines } from "./quiet.mjs";

const REPO = resolve(import.meta.dirname, "../..");
const STATE = ".wrangler/docs-check";
const SKIP = "<!-- docs:check skip -->";

/** The README's ```sh blocks: { line, code }, skipping the marked ones. */
export function shellBlocks(markdown) {
  const lines = markdown.split("\n");
  const blocks = [];
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i].startsWith("```sh")) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !lines[end].startsWith("```")) end++;
    const skipped =
      lines
        .slice(0, i)
        .reverse()
        .find((l) => l.trim() !== "")
        ?.trim() === SKIP;
    if (!skipped) blocks.push({ line: start + 1, code: lines.slice(start, end) });
    i = end;
  }
  return blocks;
}

/** Marks the curl calls whose comment names an error status: `DOCS_EXPECT=401 curl …`. */
export function annotate(code) {
  return code.map((line, i) => {
    if (!/(^|[\s(])curl\s/.test(line)) return line;
    const comment = `${line.split(" # ").slice(1).join(" ")} ${/^\s*#/.test(code[i - 1] ?? "") ? code[i - 1] : ""}`;
    const expected = comment.match(/\b([45]\d\d)\b/);
    return expected ? line.replace(/(^|[\s(])curl\s/, `$1DOCS_EXPECT=${expected[1]} curl `) : line;
  });
}

const PRELUDE = readFileSync(join(REPO, "test/docs/prelude.sh"), "utf8");

function devVars() {
  const vars = {};
  for (const line of readFileSync(join(REPO, ".dev.vars.example"), "utf8").split("\n")) {
    const match = line.match(/^([A-Z][A-Z0-9_]*)=(.*)$/);
    if (match) vars[match[1]] = match[2];
  }
  return vars;
}

const blocks = shellBlocks(readFileSync(join(REPO, "README.md"), "utf8"));
const script = [
  PRELUDE,
  ...blocks.flatMap((b) => [`echo "--- README.md:${b.line}" >&2`, ...annotate(b.code)]),
].join("\n");

rmSync(join(REPO, STATE), { recursive: true, force: true });
const vars = devVars();
const server = await startDevServer({ persist: STATE, vars });
const work = mkdtempSync(join(tmpdir(), "picasso-docs-"));
let status = 1;
try {
  const run = spawnSync("bash", ["-c", script], {
    cwd: work,
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, API: server.base, KEY: vars.API_KEYS ?? server.key, DOCS_REPO: REPO },
    timeout: 240_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  const out = run.stdout?.toString() ?? "";
  status = run.status ?? 1;
  if (status !== 0) {
    console.error(out.slice(-4000));
    console.error(`docs:check: failed (exit ${status}${run.error ? `, ${run.error.message}` : ""})`);
  } else {
    console.log(
      `docs:check: ${blocks.length} README blocks ran against ${server.base} (${out.length} bytes of output)`,
    );
    // Late lines (a workflow still finishing) count too.
    await new Promise((r) => setTimeout(r, 3000));
    const alarming = alarmingLines(server.output());
    if (alarming.length > 0) {
      console.error(alarming.slice(0, 20).join("\n---\n"));
      console.error(`docs:check: the server printed ${alarming.length} alarming line(s) during the walk`);
      status = 1;
    } else {
      console.log("docs:check: the server's terminal stayed quiet (no exception dumps)");
    }
  }
} finally {
  server.stop();
  rmSync(work, { recursive: true, force: true });
}
process.exit(status);
