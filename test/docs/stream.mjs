// npm run stream -- <sessionId> [--since <seq>] [--until-complete] [--api <base URL>] [--key <API key>]
// Prints a session's live events, one JSON envelope per line, from GET /api/stream/:sessionId
// (the `ws` package: Node 20 has no global WebSocket). --since replays the stored events after
// that seq first; --until-complete exits after the first job-level `complete` event.
import { parseArgs } from "node:util";
import WebSocket from "ws";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    since: { type: "string" },
    "until-complete": { type: "boolean", default: false },
    api: { type: "string", default: process.env.API ?? "http://localhost:8787" },
    key: { type: "string", default: process.env.API_KEY ?? process.env.KEY ?? "dev-key-change-me" },
  },
});
const [sessionId] = positionals;
if (!sessionId) {
  console.error(
    "usage: npm run stream -- <sessionId> [--since <seq>] [--until-complete] [--api <url>] [--key <key>] (or API_KEY=…)",
  );
  process.exit(2);
}
const url = new URL(`/api/stream/${encodeURIComponent(sessionId)}`, values.api.replace(/^http/, "ws"));
if (values.since !== undefined) url.searchParams.set("since", values.since);

// The key goes in a header, never in the URL (browsers, which cannot, use a stream token instead).
const socket = new WebSocket(url, { headers: { "x-api-key": values.key } });
const heartbeat = setInterval(() => socket.readyState === WebSocket.OPEN && socket.send("ping"), 20_000);
socket.on("open", () => console.error(`connected to ${url}`));
socket.on("message", (raw) => {
  const text = raw.toString();
  if (text === "pong") return;
  console.log(text);
  if (!values["until-complete"]) return;
  try {
    const event = JSON.parse(text);
    if (event.type === "complete" && event.data?.summary) socket.close(1000);
  } catch {
    // not an envelope: printed as it came
  }
});
socket.on("close", () => {
  clearInterval(heartbeat);
  process.exit(0);
});
socket.on("error", (err) => {
  console.error(`stream error: ${err.message}`);
  process.exit(1);
});
