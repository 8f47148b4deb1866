/** Loopback stand-in for hosts that serve start images: real images, bad bodies, redirects, hangs. */
import type { IncomingMessage, ServerResponse } from "node:http";
import { deflateSync } from "node:zlib";
import { listen, type RunningServer } from "./listen";

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Buffer): number {
  let c = 0xffffffff;
  for (const b of bytes) c = (CRC_TABLE[(c ^ b) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** An 8-bit RGB PNG with a diagonal gradient (filter 0 on every row). */
export function makePng(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const at = y * (width * 3 + 1) + 1 + x * 3;
      raw.set([(x * 255) / Math.max(1, width - 1), (y * 255) / Math.max(1, height - 1), 160], at);
    }
  }
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([
    signature,
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(raw)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

/** 4×4 images encoded once by libvips (sharp) and embedded, so the server needs no image library. */
const JPEG = Buffer.from(
  "/9j/2wBDAAYEBQYFBAYGBQYHBwYIChAKCgkJChQODwwQFxQYGBcUFhYaHSUfGhsjHBYWICwgIyYnKSopGR8tMC0oMCUoKSj/2wBDAQcHBwoIChMKChMoGhYaKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCj/wAARCAAEAAQDASIAAhEBAxEB/8QAFQABAQAAAAAAAAAAAAAAAAAAAAf/xAAaEAEAAQUAAAAAAAAAAAAAAAAAAQMEBRIi/8QAFQEBAQAAAAAAAAAAAAAAAAAAAwf/xAAgEQAABQMFAAAAAAAAAAAAAAAAAQIDBAUj0RITMVKR/9oADAMBAAIRAxEAPwCi0cbbaRwAm71Rl7irquex5CNQIugrSfCwP//Z",
  "base64",
);
const WEBP = Buffer.from(
  "UklGRloAAABXRUJQVlA4IE4AAACwAgCdASoEAAQAAUAmJbACdEyAfwDKAOcABgazb3AA/u4qgA5//O+V740eDg3//4aT+N93uDf//qCipb9wPq7/PYNbDwj9oE5LNfLMAAA=",
  "base64",
);
const GIF = Buffer.from(
  "R0lGODlhBAAEAIQAAExpcQDI/3DIj2DInyDI3xDI7/DID7DITzDIz6DIX1DIr5DIb4DIf+DIH9DIL8DIP0DIvwAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAACH5BAUAAAAALAAAAAAEAAQAAAUOYFAQCKQMArMkx+M0RggAOw==",
  "base64",
);
const SVG = Buffer.from(
  '<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16"><rect width="16" height="16" fill="teal"/></svg>',
);

/** Bytes of every fixed fixture, by path (tests compare what R2 holds against these). */
export const FIXTURES = {
  "/image.png": { body: makePng(16, 16), type: "image/png" },
  "/image.jpg": { body: JPEG, type: "image/jpeg" },
  "/image.webp": { body: WEBP, type: "image/webp" },
  "/image.gif": { body: GIF, type: "image/gif" },
  // Served with a misleading Content-Type: the bytes decide.
  "/png-as-text": { body: makePng(16, 16), type: "text/plain" },
  "/wide.png": { body: makePng(8193, 1), type: "image/png" },
  "/corrupt.png": {
    body: Buffer.concat([makePng(16, 16).subarray(0, 33), Buffer.alloc(64, 7)]),
    type: "image/png",
  },
  "/image.svg": { body: SVG, type: "image/svg+xml" },
  "/text.txt": { body: Buffer.from("just some text, not an image\n"), type: "text/plain" },
} as const satisfies Record<string, { body: Buffer; type: string }>;

const MIB = 1024 * 1024;

/** Streams `total` bytes (a PNG signature, then filler) in chunks, chunked, with no Content-Length. */
function streamHuge(res: ServerResponse, total: number): void {
  res.writeHead(200, { "content-type": "image/png" });
  const block = Buffer.alloc(64 * 1024, 0x41);
  makePng(1, 1).copy(block, 0, 0, 8);
  let sent = 0;
  const pump = () => {
    while (sent < total && !res.destroyed) {
      sent += block.length;
      if (!res.write(block)) return void res.once("drain", pump);
    }
    res.end();
  };
  pump();
}

function redirect(res: ServerResponse, location: string, status = 302): void {
  res.writeHead(status, { location, "content-type": "text/plain" });
  res.end(`see ${location}`);
}

const PNG = FIXTURES["/image.png"].body;

/** Everything that is not a plain file or a numbered redirect chain. */
const ROUTES: Record<string, (res: ServerResponse) => void> = {
  "/redirect-private": (res) => redirect(res, "http://10.0.0.1/image.png"),
  "/redirect-metadata": (res) => redirect(res, "http://169.254.169.254/latest/meta-data/"),
  "/redirect-ftp": (res) => redirect(res, "ftp://127.0.0.1/image.png"),
  "/redirect-nowhere": (res) => {
    res.writeHead(302);
    res.end();
  },
  "/huge": (res) => streamHuge(res, 21 * MIB),
  "/declared-huge": (res) => {
    // Announces 30 MiB and sends a small image: refused on the header, before any byte is read.
    res.writeHead(200, { "content-type": "image/png", "content-length": String(30 * MIB) });
    res.write(PNG);
  },
  "/lying-length": (res) => {
    // Announces the PNG's length, then sends 25 MiB more: the client must stop at the announced
    // length. `connection: close`, because a client that pooled this connection would read the
    // excess as the next response.
    res.writeHead(200, { "content-type": "image/png", "content-length": PNG.length, connection: "close" });
    res.end(Buffer.concat([PNG, Buffer.alloc(25 * MIB, 0x42)]));
  },
  "/truncated": (res) => {
    // Announces more than it sends, then drops the connection.
    res.writeHead(200, { "content-type": "image/png", "content-length": "4096" });
    res.write(PNG.subarray(0, 40), () => res.destroy());
  },
  "/hang": () => {
    // Never answers: the client's time budget must end it.
  },
  "/hang-body": (res) => {
    // Headers and a few of the announced bytes, then silence.
    res.writeHead(200, { "content-type": "image/png", "content-length": PNG.length });
    res.write(PNG.subarray(0, 16));
  },
  "/chunked.png": (res) => {
    // No Content-Length: the client counts the bytes as they arrive.
    res.writeHead(200, { "content-type": "image/png" });
    res.write(PNG.subarray(0, 20));
    setTimeout(() => res.end(PNG.subarray(20)), 20);
  },
};

function handle(req: IncomingMessage, res: ServerResponse): void {
  const path = new URL(req.url ?? "/", "http://fixture").pathname;
  const fixture = FIXTURES[path as keyof typeof FIXTURES];
  if (fixture) {
    res.writeHead(200, { "content-type": fixture.type, "content-length": fixture.body.length });
    res.end(fixture.body);
    return;
  }
  const hops = /^\/redirect\/(\d+)$/.exec(path)?.[1];
  if (hops !== undefined) {
    const left = Number(hops) - 1;
    // Alternates absolute and relative Locations and the redirect statuses along the chain.
    const statuses = [301, 302, 303, 307, 308];
    const next = left > 0 ? `/redirect/${left}` : "/image.png";
    const location = left % 2 === 0 ? `http://127.0.0.1:${req.socket.localPort}${next}` : next;
    redirect(res, location, statuses[left % statuses.length]);
    return;
  }
  const route = ROUTES[path];
  if (route) {
    route(res);
    return;
  }
  const status = /^\/status\/(\d{3})$/.exec(path)?.[1];
  res.writeHead(status ? Number(status) : 404, { "content-type": "text/plain" });
  res.end(status ? `status ${status}` : "not found");
}

/** Starts the fixture server on 127.0.0.1 (its port reaches tests as `inject("fixturePort")`). */
export function startFixtureServer(): Promise<RunningServer> {
  return listen(handle);
}
