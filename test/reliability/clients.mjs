// Stream and HTTP clients for the reliability suite: WebSocket subscribers that record every
// envelope (and can reconnect with ?since=), and small JSON helpers. Loopback only.
import WebSocket from "ws";

/**
 * A subscriber that keeps every envelope it receives; `reconnect()` resumes from its last seq. With
 * `autoReconnect`, a socket the server drops is reopened with `?since=<last seq>`, as the stream
 * contract tells clients to do; `reconnects` counts how often that happened.
 */
export function subscriber(base, sessionId, { autoReconnect = false, key = "bench-key" } = {}) {
  const wsBase = base.replace(/^http/, "ws");
  const sub = { envelopes: [], closes: 0, reconnects: 0, ws: null, closing: false };
  const open = (since) =>
    new Promise((resolve, reject) => {
      const qs = since === undefined ? "" : `?since=${since}`;
      // Streams need a credential: the key in a header (never in the URL).
      const ws = new WebSocket(`${wsBase}/api/stream/${sessionId}${qs}`, { headers: { "x-api-key": key } });
      sub.ws = ws;
      ws.on("message", (raw) => {
        const text = raw.toString();
        if (text === "pong") return;
        sub.envelopes.push(JSON.parse(text));
      });
      ws.on("close", () => {
        sub.closes++;
        if (autoReconnect && !sub.closing && sub.ws === ws) {
          sub.reconnects++;
          setTimeout(() => sub.open(sub.lastSeq()).catch(() => undefined), 200);
        }
      });
      ws.once("open", () => resolve(sub));
      ws.once("error", reject);
    });
  sub.open = open;
  sub.lastSeq = () => sub.envelopes.at(-1)?.seq ?? 0;
  sub.reconnect = () => open(sub.lastSeq());
  sub.close = () => {
    sub.closing = true;
    sub.ws?.close();
  };
  sub.isOpen = () => sub.ws?.readyState === WebSocket.OPEN;
  return sub;
}

/** Opens `count` subscribers, a few at a time so the accept queue never overflows. */
export async function subscribers(base, sessionId, count, since, options) {
  const all = [];
  for (let i = 0; i < count; i += 25) {
    const batch = Array.from({ length: Math.min(25, count - i) }, () => subscriber(base, sessionId, options));
    await Promise.all(batch.map((s) => s.open(since)));
    all.push(...batch);
  }
  return all;
}

/** Every envelope once and in seq order from 1 to `last`? Returns a description of what is wrong, or null. */
export function seqProblem(envelopes, last) {
  const seqs = envelopes.map((e) => e.seq);
  if (new Set(seqs).size !== seqs.length) return `duplicates (${seqs.length - new Set(seqs).size})`;
  for (let i = 0; i < seqs.length; i++) if (seqs[i] !== i + 1) return `seq ${seqs[i]} at position ${i + 1}`;
  if (seqs.length !== last) return `${seqs.length} of ${last} events`;
  return null;
}

export function api(base, key) {
  const request = async (method, path, body, headers = {}) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { "content-type": "application/json", "x-api-key": key, ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let json = null;
    try {
      json = JSON.parse(text);
    } catch {
      // not JSON (e.g. a 503 page from the runtime)
    }
    return { status: res.status, json, text, headers: res.headers };
  };
  return {
    request,
    get: (path) => request("GET", path),
    post: (path, body, headers) => request("POST", path, body, headers),
    async project(name) {
      const res = await request("POST", "/api/projects", { name });
      if (res.status !== 201) throw new Error(`project: ${res.status} ${res.text}`);
      return res.json.id;
    },
  };
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until it returns a value, or throws after `timeoutMs`. */
export async function until(what, probe, timeoutMs, everyMs = 500) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}
