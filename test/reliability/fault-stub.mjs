// A loopback OpenAI-compatible images stub that misbehaves on purpose: a share of requests answer
// 500, a share never answer (past PROVIDER_TIMEOUT_MS), a share answer malformed JSON; the rest get
// a real, distinct PNG. Deterministic per request number, so runs are comparable.
import { createServer } from "node:http";
import { crc32, deflateSync } from "node:zlib";

function chunk(type, data) {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, "latin1");
  data.copy(out, 8);
  out.writeUInt32BE(crc32(Buffer.concat([Buffer.from(type, "latin1"), data])), 8 + data.length);
  return out;
}

/** A 64×64 RGB PNG whose colours depend on `n` (distinct pictures, so none is a near-duplicate). */
export function png(n) {
  const size = 64;
  const raw = Buffer.alloc((size * 3 + 1) * size);
  for (let y = 0; y < size; y++) {
    raw[y * (size * 3 + 1)] = 0;
    for (let x = 0; x < size; x++) {
      const o = y * (size * 3 + 1) + 1 + x * 3;
      raw[o] = (x * ((n % 7) + 1) * 4 + n * 37) & 255;
      raw[o + 1] = (y * (((n >> 3) % 5) + 1) * 4 + n * 11) & 255;
      raw[o + 2] = ((x ^ y) * ((n % 3) + 1) * 2 + n * 53) & 255;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  const sig = Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]);
  return Buffer.concat([
    sig,
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(raw)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

/** Starts the stub on 127.0.0.1; `rates` are shares of 500s, hangs and malformed answers. */
export async function startFaultStub(rates = { error500: 0.3, hang: 0.1, malformed: 0.05 }) {
  let n = 0;
  const counts = { ok: 0, error500: 0, hang: 0, malformed: 0 };
  const hanging = new Set();
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      const i = n++;
      // A fixed pseudo-random draw per request number.
      const r = (((Math.sin(i * 12.9898 + 78.233) * 43758.5453) % 1) + 1) % 1;
      if (r < rates.error500) {
        counts.error500++;
        res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: { message: "stub: internal error", type: "server_error" } }));
      } else if (r < rates.error500 + rates.hang) {
        counts.hang++;
        hanging.add(res);
      } else if (r < rates.error500 + rates.hang + rates.malformed) {
        counts.malformed++;
        res.writeHead(200, { "content-type": "application/json" });
        res.end('{"data": [ {"b64_json": ');
      } else {
        counts.ok++;
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ created: 1, data: [{ b64_json: png(i).toString("base64") }] }));
      }
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/v1`,
    counts,
    close: () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      server.close();
    },
  };
}
