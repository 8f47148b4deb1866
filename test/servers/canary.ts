/**
 * The SSRF canary: a loopback server that must never be reached. Every request counts as a hit,
 * except `GET /__canary/hits` (Node-side bookkeeping, never a URL under test), which answers the
 * count as JSON so a test can assert it is still 0 after its corpus ran.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { listen, type RunningServer } from "./listen";

declare module "vitest" {
  export interface ProvidedContext {
    /** Set by test/global-setup.ts from startCanary(). */
    canaryPort: number;
  }
}

/** The path that reads the counter; it is the only path not counted. */
export const CANARY_HITS_PATH = "/__canary/hits";

export interface CanaryServer extends RunningServer {
  /** Requests received so far (method and URL of each). */
  hits(): string[];
}

/** Starts the canary on 127.0.0.1 (its port reaches tests as `inject("canaryPort")`). */
export async function startCanary(): Promise<CanaryServer> {
  const hits: string[] = [];
  const server = await listen((req: IncomingMessage, res: ServerResponse) => {
    if (req.method === "GET" && req.url === CANARY_HITS_PATH) {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ hits }));
      return;
    }
    hits.push(`${req.method} ${req.url}`);
    // Looks like a prize: a valid answer would tell an attacker the request went through.
    res.writeHead(200, { "content-type": "application/json" });
    res.end('{"secret":"canary"}');
  });
  return { ...server, hits: () => [...hits] };
}
