/** Loopback stand-in for the outside world (filled in by its feature's tests). */
import { listen, type RunningServer } from "./listen";

export function startProviderStub(): Promise<RunningServer> {
  return listen((_req, res) => {
    res.writeHead(404, { "content-type": "text/plain" });
    res.end("not found");
  });
}
