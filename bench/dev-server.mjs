// Starts `wrangler dev --local` on a free loopback port for a benchmark, with its own state dir,
// development mode and a bench API key. Returns { base, key, stop }.
import { execFileSync, spawn } from "node:child_process";
import { createServer } from "node:net";

/** A free loopback port (also for a second listener, e.g. the inspector of bench/profile-job.mjs). */
export async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const PERSIST = ".wrangler/bench";

/** Migrates and seeds a local state dir, as `npm run dev` does for the default one. */
function prepareState(persist) {
  const run = (args) =>
    execFileSync("npx", ["wrangler", ...args, "--local", "--persist-to", persist], { stdio: "ignore" });
  run(["d1", "migrations", "apply", "picasso-backend"]);
  run(["d1", "execute", "picasso-backend", "--file", "seed/knowledge_base.sql"]);
}

/**
 * `persist`: the state dir (default .wrangler/bench); `prepare: false` reuses it as it is (a restart
 * on the same state); `setup(persist)` runs before the server starts; `extraArgs` go to `wrangler dev`
 * (e.g. `--inspector-port` for bench/profile-job.mjs). `kill9()` kills the whole process group with SIGKILL, as a crash would.
 */
export async function startDevServer({
  vars = {},
  persist = PERSIST,
  prepare = true,
  setup,
  extraArgs = [],
} = {}) {
  if (prepare) prepareState(persist);
  // Extra state loaded before the server starts (e.g. 100k rows for the listing benchmark).
  if (setup) setup(persist);
  const port = await freePort();
  const key = "bench-key";
  const varArgs = Object.entries({ ENVIRONMENT: "development", API_KEYS: key, ...vars }).flatMap(([k, v]) => [
    "--var",
    `${k}:${v}`,
  ]);
  const child = spawn(
    "npx",
    [
      "wrangler",
      "dev",
      "--local",
      "--ip",
      "127.0.0.1",
      "--port",
      String(port),
      "--persist-to",
      persist,
      ...varArgs,
      ...extraArgs,
    ],
    // Offline: no attempt to download the Request.cf object (miniflare's placeholder is used).
    {
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
      env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false" },
    },
  );
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const res = await fetch(`${base}/health`);
      if (res.ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline || child.exitCode !== null) {
      throw new Error(`wrangler dev did not start:\n${output.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  const signalGroup = (signal) => {
    try {
      process.kill(-child.pid, signal);
    } catch {
      // already gone
    }
  };
  const stop = () => signalGroup("SIGTERM");
  const exited = new Promise((resolve) => child.once("exit", resolve));
  // Never leave a workerd behind when the benchmark is interrupted.
  for (const signal of ["SIGINT", "SIGTERM"]) {
    process.once(signal, () => {
      stop();
      process.exit(130);
    });
  }
  process.once("exit", stop);
  return {
    base,
    key,
    /** Everything wrangler dev printed so far (the Worker's JSON log lines included). */
    output: () => output,
    stop,
    /** SIGKILL to the whole group (workerd included); resolves once the process has exited. */
    async kill9() {
      signalGroup("SIGKILL");
      await exited;
    },
  };
}
