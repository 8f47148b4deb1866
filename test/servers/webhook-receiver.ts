/**
 * A loopback webhook receiver: `POST /hooks/<token>?fail=N` answers 500 to the first N requests of
 * that token and 200 after; `?status=410` always answers 410. `GET /received/<token>` lists what
 * arrived (headers and raw body), so tests can verify signatures and count deliveries.
 */
import { listen, type RunningServer } from "./listen";

interface Received {
  headers: Record<string, string>;
  body: string;
  answered: number;
}

export async function startWebhookReceiver(): Promise<RunningServer> {
  const received = new Map<string, Received[]>();
  return listen((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const [, kind, token = ""] = url.pathname.split("/");
    if (req.method === "GET" && kind === "received") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(received.get(token) ?? []));
      return;
    }
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => {
      body += chunk;
    });
    req.on("end", () => {
      const list = received.get(token) ?? [];
      const fixed = Number(url.searchParams.get("status") ?? 0);
      const answered = fixed || (list.length < Number(url.searchParams.get("fail") ?? 0) ? 500 : 200);
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
      list.push({ headers, body, answered });
      received.set(token, list);
      res.writeHead(answered, { "content-type": "text/plain" });
      res.end(answered === 200 ? "ok" : "no");
    });
  });
}
