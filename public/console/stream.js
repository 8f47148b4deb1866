/**
 * The session's live stream: one WebSocket to /api/stream/:sessionId that reconnects after a drop
 * with ?since=<last seq>, so the actor replays what was missed (no gap, no duplicate).
 */

const SESSION_STORAGE = "picasso.sessionId";
const SEQ_STORAGE = "picasso.lastSeq";
const HEARTBEAT_MS = 20_000;
const MAX_BACKOFF_MS = 10_000;

/** This browser's session id (8..128 chars of [A-Za-z0-9_-]), made once and kept. */
export function sessionId() {
  let id = localStorage.getItem(SESSION_STORAGE);
  if (!id) {
    const bytes = crypto.getRandomValues(new Uint8Array(12));
    id = `console-${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
    localStorage.setItem(SESSION_STORAGE, id);
  }
  return id;
}

/**
 * Opens the stream and keeps it open. `onEvent(envelope)` gets every event once, in seq order;
 * `onState(text)` gets "connecting…", "live", "reconnecting in 2 s…".
 */
export function openStream(onEvent, onState) {
  const id = sessionId();
  let lastSeq = Number(localStorage.getItem(`${SEQ_STORAGE}.${id}`) ?? "0") || 0;
  let backoff = 500;
  let socket = null;
  let heartbeat = 0;

  const connect = () => {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const url = `${scheme}//${location.host}/api/stream/${id}${lastSeq > 0 ? `?since=${lastSeq}` : ""}`;
    onState(lastSeq > 0 ? `connecting (catching up after event ${lastSeq})…` : "connecting…");
    socket = new WebSocket(url);
    socket.addEventListener("open", () => {
      backoff = 500;
      onState("live");
      heartbeat = setInterval(
        () => socket?.readyState === WebSocket.OPEN && socket.send("ping"),
        HEARTBEAT_MS,
      );
    });
    socket.addEventListener("message", (message) => {
      if (message.data === "pong") return;
      let envelope;
      try {
        envelope = JSON.parse(message.data);
      } catch {
        return;
      }
      if (typeof envelope?.seq !== "number" || envelope.seq <= lastSeq) return;
      lastSeq = envelope.seq;
      localStorage.setItem(`${SEQ_STORAGE}.${id}`, String(lastSeq));
      onEvent(envelope);
    });
    socket.addEventListener("close", () => {
      clearInterval(heartbeat);
      const wait = backoff;
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      onState(`disconnected: reconnecting in ${Math.round(wait / 100) / 10} s…`);
      setTimeout(connect, wait);
    });
  };
  connect();
}
