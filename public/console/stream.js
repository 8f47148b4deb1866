/**
 * The session's live stream: one WebSocket to /api/stream/:sessionId. A browser cannot put
 * X-Api-Key on a WebSocket and the key never goes in a URL, so every connection first asks
 * POST /api/stream-tokens for a short-lived token bound to this session, and opens
 * `?token=<token>`; after a drop it asks for a fresh token and reconnects with `&since=<last seq>`,
 * so the actor replays what was missed (no gap, no duplicate).
 */
import { ApiFailure, api, describe } from "./api.js";

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

let active = null;

/** Closes the stream for good (the key was refused or changed owner). */
export function stopStream() {
  if (!active) return;
  active.stopped = true;
  clearTimeout(active.retry);
  clearInterval(active.heartbeat);
  active.socket?.close(1000, "closed by the console");
  active = null;
}

/**
 * Opens the stream of `ownerId`'s session (sessions belong to an owner: the same id under another
 * owner is another stream) and keeps it open until stopStream(). `onEvent(envelope)` gets every
 * event once, in seq order; `onState(text)` gets "connecting…", "live", "reconnecting in 2 s…".
 */
export function startStream(ownerId, onEvent, onState) {
  stopStream();
  const id = sessionId();
  const seqKey = `${SEQ_STORAGE}.${ownerId}.${id}`;
  const self = { stopped: false, socket: null, retry: 0, heartbeat: 0 };
  active = self;
  let lastSeq = Number(localStorage.getItem(seqKey) ?? "0") || 0;
  let backoff = 500;

  const later = (why) => {
    if (self.stopped) return;
    const wait = backoff;
    backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    onState(`${why}: reconnecting in ${Math.round(wait / 100) / 10} s…`);
    self.retry = setTimeout(connect, wait);
  };

  async function connect() {
    if (self.stopped) return;
    onState(lastSeq > 0 ? `connecting (catching up after event ${lastSeq})…` : "connecting…");
    let token;
    try {
      ({ token } = await api("POST", "/api/stream-tokens", { sessionId: id }));
    } catch (err) {
      if (self.stopped) return;
      // A refused key brings the key prompt back (api.js); retrying with it would not help.
      if (err instanceof ApiFailure && (err.status === 401 || err.status === 403))
        return onState(`stopped: ${describe(err)}`);
      return later(`no stream token (${describe(err)})`);
    }
    if (self.stopped) return;
    const base = `${location.origin.replace(/^http/, "ws")}/api/stream/${encodeURIComponent(id)}`;
    const url = `${base}?token=${encodeURIComponent(token)}${lastSeq > 0 ? `&since=${lastSeq}` : ""}`;
    const socket = new WebSocket(url);
    self.socket = socket;
    socket.addEventListener("open", () => {
      backoff = 500;
      onState("live");
      self.heartbeat = setInterval(
        () => socket.readyState === WebSocket.OPEN && socket.send("ping"),
        HEARTBEAT_MS,
      );
    });
    socket.addEventListener("message", (message) => {
      if (self.stopped || message.data === "pong") return;
      let envelope;
      try {
        envelope = JSON.parse(message.data);
      } catch {
        return;
      }
      if (typeof envelope?.seq !== "number" || envelope.seq <= lastSeq) return;
      lastSeq = envelope.seq;
      localStorage.setItem(seqKey, String(lastSeq));
      onEvent(envelope);
    });
    socket.addEventListener("close", () => {
      clearInterval(self.heartbeat);
      later("disconnected");
    });
  }
  connect();
}
