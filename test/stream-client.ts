/** A test subscriber: opens /api/stream/:sessionId through the worker and collects envelopes. */
import { exports } from "cloudflare:workers";
import { BASE, KEY } from "./helpers";

export interface Envelope {
  sessionId: string;
  type: string;
  ts: number;
  seq: number;
  /** The publisher's event id, when it gave one. */
  id?: string;
  data: Record<string, unknown>;
}

export interface StreamClient {
  ws: WebSocket;
  envelopes: Envelope[];
  texts: string[];
  closed: Promise<CloseEvent>;
  /** Resolves once `count` envelopes have arrived (rejects after `timeoutMs`). */
  waitFor(count: number, timeoutMs?: number): Promise<Envelope[]>;
  /** Resolves with the next non-JSON text frame (e.g. "pong"). */
  nextText(timeoutMs?: number): Promise<string>;
}

/** Opens a session's stream with `key` (X-Api-Key; default the root key), or with a stream token. */
export async function openStream(
  sessionId: string,
  since?: number,
  credential: { key?: string; token?: string } = {},
): Promise<StreamClient> {
  const query = new URLSearchParams();
  if (since !== undefined) query.set("since", String(since));
  if (credential.token !== undefined) query.set("token", credential.token);
  const qs = query.size > 0 ? `?${query}` : "";
  const headers: Record<string, string> = { Upgrade: "websocket" };
  if (credential.token === undefined) headers["x-api-key"] = credential.key ?? KEY;
  const res = await exports.default.fetch(new Request(`${BASE}/api/stream/${sessionId}${qs}`, { headers }));
  const ws = res.webSocket;
  if (!ws) throw new Error(`no websocket: ${res.status} ${await res.text()}`);
  ws.accept();
  const envelopes: Envelope[] = [];
  const texts: string[] = [];
  const listeners = new Set<() => void>();
  ws.addEventListener("message", (event) => {
    const text = typeof event.data === "string" ? event.data : new TextDecoder().decode(event.data);
    if (text.startsWith("{")) envelopes.push(JSON.parse(text) as Envelope);
    else texts.push(text);
    for (const listener of listeners) listener();
  });
  const closed = new Promise<CloseEvent>((resolve) => ws.addEventListener("close", resolve));

  const until = <T>(ready: () => T | undefined, timeoutMs: number, what: string) =>
    new Promise<T>((resolve, reject) => {
      const check = () => {
        const value = ready();
        if (value === undefined) return;
        listeners.delete(check);
        clearTimeout(timer);
        resolve(value);
      };
      const timer = setTimeout(() => {
        listeners.delete(check);
        reject(new Error(`timed out waiting for ${what} (have ${envelopes.length} envelopes)`));
      }, timeoutMs);
      listeners.add(check);
      check();
    });

  return {
    ws,
    envelopes,
    texts,
    closed,
    waitFor: (count, timeoutMs = 5000) =>
      until(
        () => (envelopes.length >= count ? envelopes.slice(0, count) : undefined),
        timeoutMs,
        `${count} envelopes`,
      ),
    nextText: (timeoutMs = 5000) => {
      const seen = texts.length;
      return until(() => texts[seen], timeoutMs, "a text frame");
    },
  };
}
