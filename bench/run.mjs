// npm run bench [-- --smoke]: every benchmark, one after another, each against its own
// `wrangler dev --local` on a free loopback port (measured against its floor in the same run), then
// BENCHMARKS.md with figure, goal, measured, floor, ratio and a machine line. `--smoke` (CI) runs one
// short round of each so the scripts cannot rot, and writes nothing.
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";

const smoke = process.argv.includes("--smoke");
const scripts = [
  ["job-latency.mjs", smoke ? ["--variants", "4", "--rounds", "1"] : ["--variants", "8", "--rounds", "5"]],
  [
    "ws-fanout.mjs",
    smoke ? ["--clients", "50", "--events", "100"] : ["--clients", "500", "--events", "1000"],
  ],
  ["public-pages.mjs", smoke ? ["--seconds", "2"] : ["--seconds", "10", "--connections", "20"]],
  ["first-view.mjs", smoke ? ["--rounds", "1", "--variants", "2"] : ["--rounds", "3"]],
  ["view-log.mjs", smoke ? ["--messages", "300"] : ["--messages", "10000", "--fail-rate", "0.05"]],
  ["image-cost.mjs", smoke ? ["--rounds", "5"] : ["--rounds", "30"]],
  ["listing.mjs", smoke ? ["--big", "5000", "--small", "500", "--requests", "5"] : []],
  ["submit-load.mjs", smoke ? ["--jobs", "4", "--variants", "4"] : ["--jobs", "25", "--variants", "8"]],
  [
    "scale.mjs",
    smoke
      ? ["--jobs", "2", "--variants", "4", "--events", "200", "--singles", "50"]
      : ["--jobs", "12", "--variants", "8"],
  ],
];

function run(script, args) {
  return new Promise((resolve) => {
    const child = spawn("node", [`bench/${script}`, ...args], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      process.stdout.write(d);
    });
    child.on("exit", (code) => {
      const line = out.split("\n").find((l) => l.startsWith("BENCH_JSON "));
      const rows = line ? JSON.parse(line.slice("BENCH_JSON ".length)) : [];
      if (rows.length === 0)
        rows.push({
          figure: script,
          goal: "runs",
          measured: `exited ${code} without figures`,
          floor: "—",
          ratio: null,
          met: false,
        });
      resolve({ rows, code });
    });
  });
}

const started = Date.now();
const rows = [];
for (const [script, args] of scripts) {
  const { rows: figures } = await run(script, args);
  rows.push(...figures);
}
const cell = (s) => String(s).replaceAll("|", "\\|").replaceAll("\n", " ");
const table = rows
  .map(
    (r) =>
      `| ${cell(r.figure)} | ${cell(r.goal)} | ${cell(r.measured)} | ${cell(r.floor)} | ${r.ratio == null ? "—" : `${r.ratio.toFixed(2)}×`} | ${r.met ? "met" : "**not met**"} |`,
  )
  .join("\n");
const machine = `${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`;
console.log(
  `\n| figure | goal | measured | floor | ratio | |\n|---|---|---|---|---|---|\n${table}\n\n${machine}`,
);
if (!smoke) {
  const notes = readFileSync("bench/NOTES.md", "utf8");
  writeFileSync(
    "BENCHMARKS.md",
    `# Benchmarks\n\nWritten by \`npm run bench\` (${((Date.now() - started) / 60000).toFixed(0)} min). Each script starts its own \`wrangler dev --local\` on a free loopback port and measures its figure against its floor in the same run; nothing leaves 127.0.0.1.\n\n| figure | goal | measured | floor | ratio | |\n|---|---|---|---|---|---|\n${table}\n\nMachine: ${machine}.\n\n${notes}`,
  );
}
process.exit(smoke && rows.some((r) => r.measured.includes("without figures")) ? 1 : 0);
