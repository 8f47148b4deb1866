/**
 * Limits: oversize bodies (declared and chunked) → 413 on every write route of the route table,
 * oversize templates, comments and votes refused, oversize WebSocket frames closed with 1009.
 */
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { INGEST_LIMITS } from "../../src/agents/tools/ingest";
import { MAX_INTERACTION_BYTES } from "../../src/routes/public";
import { MAX_TEMPLATE_BYTES } from "../../src/routes/templates";
import { BASE, callWithEnv, expectError, KEY } from "../helpers";
import { label, type WriteRoute, writeRoutes } from "./route-table";

const MIB = 1024 * 1024;

/** `total` bytes of a JSON-looking body, streamed in 64 KiB chunks with no Content-Length. */
function chunkedBody(total: number): { body: ReadableStream<Uint8Array>; done: Promise<unknown> } {
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
  const writer = writable.getWriter();
  const block = new TextEncoder().encode(`{"name":"${"y".repeat(64 * 1024)}`);
  // The worker stops reading at its cap, so later writes fail: that is the expected outcome.
  const done = (async () => {
    for (let sent = 0; sent < total; sent += block.byteLength) await writer.write(block);
    await writer.close();
  })().catch(() => "stopped early");
  return { body: readable, done };
}

/** The cap each write route enforces: 16 KiB public interactions, 512 KiB templates, else 1 MiB. */
function capOf(route: WriteRoute): number {
  if (route.pattern.startsWith("/public/")) return MAX_INTERACTION_BYTES;
  if (route.pattern.startsWith("/api/templates")) return MAX_TEMPLATE_BYTES;
  if (route.pattern === "/api/uploads") return INGEST_LIMITS.maxBytes;
  return MIB;
}

const typeOf = (route: WriteRoute) =>
  route.pattern.startsWith("/api/templates")
    ? "text/html"
    : route.pattern === "/api/uploads"
      ? "image/png"
      : "application/json";

function send(route: WriteRoute, body: BodyInit, headers: Record<string, string> = {}, dev = false) {
  return callWithEnv(dev ? { ENVIRONMENT: "development" } : {}, route.path, {
    method: route.method,
    body,
    headers: {
      "content-type": typeOf(route),
      accept: "application/json, text/event-stream",
      "x-api-key": KEY,
      "cf-connecting-ip": "198.51.100.77",
      ...headers,
    },
  });
}

const routes = await writeRoutes({ dev: true });

describe("oversize bodies → 413 on every write route", () => {
  for (const route of routes) {
    const dev = route.pattern.startsWith("/api/dev");
    it(`${label(route)}: chunked, no Content-Length, just over the cap`, async () => {
      const { body, done } = chunkedBody(capOf(route) + 64 * 1024);
      const res = await send(route, body, {}, dev);
      expect(res.headers.get("content-length")).toBeNull();
      await expectError(res, 413, "payload_too_large");
      await done;
    });
    it(`${label(route)}: declared length over the cap`, async () => {
      const res = await send(route, "y".repeat(capOf(route) + 1), {}, dev);
      await expectError(res, 413, "payload_too_large");
    });
  }
});

describe("templates, comments and votes", () => {
  const template = (body: BodyInit) =>
    callWithEnv({}, "/api/templates/sec-limit", {
      method: "PUT",
      body,
      headers: { "content-type": "text/html", "x-api-key": KEY },
    });

  it("takes a template of exactly 512 KiB and refuses one byte more", async () => {
    const filler = (n: number) => `<p>{{TITLE}}</p>${"x".repeat(n - 16)}`;
    const ok = await template(filler(MAX_TEMPLATE_BYTES));
    expect(ok.status).toBe(201);
    await expectError(await template(filler(MAX_TEMPLATE_BYTES + 1)), 413, "payload_too_large");
  });

  const post = (kind: "comments" | "votes", body: unknown) =>
    callWithEnv({}, `/public/artifact/sec0test0param0value1/${kind}`, {
      method: "POST",
      body: typeof body === "string" ? body : JSON.stringify(body),
      headers: { "content-type": "application/json", "cf-connecting-ip": "198.51.100.78" },
    });

  it("refuses comments over 2,000 characters, authors over 80, and bodies over 16 KiB", async () => {
    const long = await expectError(
      await post("comments", { text: "c".repeat(2001) }),
      400,
      "invalid_request",
    );
    expect(JSON.stringify(long.error.details)).toContain("text");
    const author = await expectError(
      await post("comments", { text: "hi", author: "a".repeat(81) }),
      400,
      "invalid_request",
    );
    expect(JSON.stringify(author.error.details)).toContain("author");
    const padded = JSON.stringify({ text: "hi", pad: " ".repeat(MAX_INTERACTION_BYTES) });
    await expectError(await post("comments", padded), 413, "payload_too_large");
    await expectError(await post("comments", { text: "hi", extra: "x" }), 400, "invalid_request");
  });

  it("refuses votes with oversize bodies, unknown fields or a malformed id", async () => {
    const padded = JSON.stringify({ progressionId: "p".repeat(MAX_INTERACTION_BYTES + 1) });
    await expectError(await post("votes", padded), 413, "payload_too_large");
    await expectError(await post("votes", { progressionId: "x".repeat(500) }), 400, "invalid_request");
    await expectError(await post("votes", { progressionId: "abc", weight: 100 }), 400, "invalid_request");
  });
});

async function openSocket(sessionId: string) {
  const res = await exports.default.fetch(
    new Request(`${BASE}/api/stream/${sessionId}`, { headers: { Upgrade: "websocket", "x-api-key": KEY } }),
  );
  const ws = res.webSocket;
  if (!ws) throw new Error(`no websocket: ${res.status}`);
  ws.accept();
  const closed = new Promise<CloseEvent>((resolve) => ws.addEventListener("close", resolve));
  const texts: string[] = [];
  ws.addEventListener("message", (e) => {
    texts.push(typeof e.data === "string" ? e.data : "(binary)");
  });
  return { ws, closed, texts };
}

const pong = async (socket: Awaited<ReturnType<typeof openSocket>>) => {
  socket.ws.send("ping");
  for (let i = 0; i < 50 && !socket.texts.includes("pong"); i++) await new Promise((r) => setTimeout(r, 20));
  return socket.texts.includes("pong");
};

describe("WebSocket frames over 4 KiB are dropped with 1009", () => {
  const cases: [string, string | Uint8Array][] = [
    ["ASCII text of 4097 bytes", "x".repeat(4097)],
    ["multi-byte text of 1,366 characters (4,098 bytes)", "€".repeat(1366)],
    ["binary frame of 4097 bytes", new Uint8Array(4097)],
    ["text of 1 MiB", "x".repeat(MIB)],
  ];
  for (const [name, frame] of cases) {
    it(name, async () => {
      const socket = await openSocket(`sec-frames-${name.length}-${typeof frame}`);
      socket.ws.send(frame);
      expect((await socket.closed).code).toBe(1009);
    });
  }

  it("keeps a socket whose frames are at the cap", async () => {
    const socket = await openSocket("sec-frames-at-cap");
    socket.ws.send("x".repeat(4096));
    socket.ws.send("€".repeat(1365));
    expect(await pong(socket)).toBe(true);
    socket.ws.close(1000, "done");
  });
});

describe("a slow-loris request body", () => {
  it("is answered 400 once BODY_TIMEOUT_MS passes without the rest of the body", {
    timeout: 10_000,
  }, async () => {
    // A body that sends its first bytes and then nothing more, as a slow-loris client would.
    const stalled = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"name":"sl'));
      },
    });
    const started = Date.now();
    const res = await callWithEnv({ BODY_TIMEOUT_MS: "300" }, "/api/projects", {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": KEY, "content-length": "64" },
      body: stalled,
    });
    const body = await expectError(res, 400, "invalid_request");
    expect(body.error.message).toBe("Request body not received within 0.3 s");
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
