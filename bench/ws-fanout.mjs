// Fan-out benchmark: N WebSocket clients on one session, E events published; the session actor with
// its event log against the same actor broadcasting without the log ("bare"), in the same run.
// Usage: node bench/ws-fanout.mjs [--clients 200] [--events 1000] [--rounds 1] [--batch 50]
import { parseArgs } from "node:util";
import WebSocket from "ws";
import { startDevServer } from "./dev-server.mjs";
import { emit } from "./figures.mjs";

const { values } = parseArgs({
  options: {
    clients: { type: "string", default: "200" },
    events: { type: "string", default: "1000" },
    rounds: { type: "string", default: "1" },
    batch: { type: "string", default: "50" },
  },
});
const CLIENTS = Number(values.clients);
const EVENTS = Number(values.events);
const ROUNDS = Number(values.rounds);
const BATCH = Number(values.batch);

const event = (i) => ({
  type: "progress",
  data: { jobId: "bench", provider: "local", variantIndex: 0, progress: (i + 1) / EVENTS },
});

async function connectAll(base, sessionId, key) {
  const wsBase = base.replace("http", "ws");
  // 25 at a time: hundreds of simultaneous upgrades overflow the local runtime's accept queue.
  const clients = [];
  for (let n = 0; n < CLIENTS; n += 25) {
    clients.push(...(await connectSome(wsBase, sessionId, Math.min(25, CLIENTS - n), key)));
  }
  return clients;
}

function connectSome(wsBase, sessionId, count, key) {
  return Promise.all(
    Array.from({ length: count }, () => {
      // Order is checked on data.progress, which both modes carry (bare frames are not numbered by the log).
      const state = { received: 0, violations: 0, last: 0, done: null };
      const ws = new WebSocket(`${wsBase}/api/stream/${sessionId}`, { headers: { "x-api-key": key } });
      state.finished = new Promise((resolve) => (state.done = resolve));
      ws.on("message", (raw) => {
        const env = JSON.parse(raw.toString());
        const expected = (state.received + 1) / EVENTS;
        if (Math.abs(env.data.progress - expected) > 1e-9 || env.data.progress <= state.last)
          state.violations++;
        state.last = env.data.progress;
        state.received++;
        if (state.received === EVENTS) state.done();
      });
      return new Promise((resolve, reject) => {
        ws.on("open", () => resolve({ ws, state }));
        ws.on("error", reject);
      });
    }),
  );
}

async function runOnce(server, mode, round) {
  const sessionId = `bench-${mode}-${round}-${Date.now()}`;
  const clients = await connectAll(server.base, sessionId, server.key);
  const started = performance.now();
  for (let i = 0; i < EVENTS; i += BATCH) {
    const events = Array.from({ length: Math.min(BATCH, EVENTS - i) }, (_, k) => event(i + k));
    const res = await fetch(`${server.base}/api/dev/sessions/${sessionId}/events`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": server.key },
      body: JSON.stringify({ events, log: mode === "logged" }),
    });
    if (res.status !== 202) throw new Error(`publish failed: ${res.status} ${await res.text()}`);
    // Flow control, the same for both modes: the next batch goes out once every subscriber has the
    // last one. Without it, hundreds of slow readers make the runtime buffer frames until the
    // isolate is restarted ("Your worker restarted mid-request").
    const upTo = i + events.length;
    const deadline = Date.now() + 30_000;
    while (clients.some((c) => c.state.received < upTo) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 5));
    }
  }
  const timeout = new Promise((resolve) => setTimeout(resolve, 60_000, "timeout"));
  await Promise.race([Promise.all(clients.map((c) => c.state.finished)), timeout]);
  const seconds = (performance.now() - started) / 1000;
  const delivered = clients.reduce((n, c) => n + c.state.received, 0);
  const violations = clients.reduce((n, c) => n + c.state.violations, 0);
  for (const c of clients) c.ws.close();
  return { mode, delivered, expected: CLIENTS * EVENTS, violations, seconds, perSecond: delivered / seconds };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const server = await startDevServer();
try {
  const results = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const mode of round % 2 === 0 ? ["bare", "logged"] : ["logged", "bare"]) {
      const r = await runOnce(server, mode, round);
      results.push(r);
      console.log(
        `${mode.padEnd(6)} round ${round + 1}: ${r.delivered}/${r.expected} delivered, ${r.violations} order violations, ` +
          `${r.seconds.toFixed(2)} s, ${Math.round(r.perSecond)} deliveries/s`,
      );
    }
  }
  const summary = (mode) => {
    const rs = results.filter((r) => r.mode === mode);
    return {
      delivered: rs.reduce((n, r) => n + r.delivered, 0),
      expected: rs.reduce((n, r) => n + r.expected, 0),
      violations: rs.reduce((n, r) => n + r.violations, 0),
      perSecond: median(rs.map((r) => r.perSecond)),
    };
  };
  const logged = summary("logged");
  const bare = summary("bare");
  console.log(`\nws-fanout: ${CLIENTS} clients x ${EVENTS} events, ${ROUNDS} rounds (median deliveries/s)`);
  console.log(
    `  logged: ${logged.delivered}/${logged.expected} delivered, ${logged.violations} order violations, ${Math.round(logged.perSecond)}/s`,
  );
  console.log(
    `  bare:   ${bare.delivered}/${bare.expected} delivered, ${bare.violations} order violations, ${Math.round(bare.perSecond)}/s`,
  );
  console.log(
    `  ratio logged/bare: ${(logged.perSecond / bare.perSecond).toFixed(2)} (goal >= 0.5, 100% delivered, 0 violations)`,
  );
  const ratio = logged.perSecond / bare.perSecond;
  const complete = logged.delivered === logged.expected && logged.violations === 0;
  emit([
    {
      figure: `WS fan-out: ${CLIENTS} subscribers × ${EVENTS} events on one session`,
      goal: "100% delivered in seq order; ≥ 0.5× the same actor broadcasting without the log",
      measured: `${logged.delivered}/${logged.expected} delivered, ${logged.violations} out of order, ${Math.round(logged.perSecond)} deliveries/s`,
      floor: `${Math.round(bare.perSecond)} deliveries/s (bare broadcast)`,
      ratio,
      met: complete && ratio >= 0.5,
    },
  ]);
  process.exitCode = complete ? 0 : 1;
} finally {
  server.stop();
}
