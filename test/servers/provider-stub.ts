/**
 * Loopback stand-in for the OpenAI images API and Gemini's generateContent: answers with a real PNG,
 * records every request, and injects faults named in the prompt so parallel tests never collide.
 *
 * Faults (in the prompt, or the `x-stub-fault` header): `[fault:429-once:<id>]` (first call per id
 * 429 with `Retry-After: 1`, then success), `[fault:500]`, `[fault:401]`, `[fault:400]` (the error
 * bodies echo the caller's key, as a careless upstream might), `[fault:hang]` (never answers),
 * `[fault:malformed]` (200 with invalid JSON), `[fault:noimage]` (valid JSON without image data).
 * `[tag:<id>]` in the prompt labels the request for `GET /__requests?tag=<id>`; `POST /__reset`
 * forgets requests and 429-once state; `GET /__png` returns the PNG it answers with (`{ base64 }`).
 * Multipart files are recorded with their bytes (`base64`), so tests can decode a sent mask; GPT
 * image models answer with a `usage` block and Gemini with `usageMetadata`, as the real APIs do.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { crc32, deflateSync } from "node:zlib";
import { z } from "zod";
import { listen, type RunningServer } from "./listen";

/** One recorded multipart field: files by size (and their bytes), text fields by value. */
export interface StubField {
  name: string;
  size: number;
  filename?: string;
  contentType?: string;
  value?: string;
  /** A file's bytes, base64. */
  base64?: string;
}

/** One request as the stub saw it (returned by `GET /__requests`). */
export interface StubRequest {
  tag: string | null;
  method: string;
  path: string;
  headers: Record<string, string>;
  json?: unknown;
  fields?: StubField[];
  prompt: string;
}

/** A real 16×16 RGB PNG (a gradient), built once. */
function makePng(): Buffer {
  const size = 16;
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit depth, truecolour, default compression/filter/interlace
  const raw = Buffer.alloc(size * (1 + size * 3));
  for (let y = 0; y < size; y++) {
    const row = y * (1 + size * 3);
    for (let x = 0; x < size; x++) raw.set([x * 16, y * 16, 160], row + 1 + x * 3);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(raw)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

/** The PNG every successful call returns, base64 (tests compare the adapter's bytes with it). */
export const STUB_PNG_BASE64 = makePng().toString("base64");

const requests: StubRequest[] = [];
const rateLimited = new Set<string>();

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(typeof body === "string" ? body : JSON.stringify(body));
}

const GeminiBody = z.object({
  contents: z.array(z.object({ parts: z.array(z.object({ text: z.string().optional() }).loose()) })),
});
const OpenAiBody = z.object({ prompt: z.string().default(""), model: z.string().default("") }).loose();

/** Text of every `parts[].text` of a Gemini request. */
function geminiPrompt(json: unknown): string {
  const parsed = GeminiBody.safeParse(json);
  if (!parsed.success) return "";
  return parsed.data.contents
    .flatMap((c) => c.parts)
    .map((p) => p.text ?? "")
    .join("\n");
}

async function parseMultipart(req: IncomingMessage, body: Buffer): Promise<StubField[]> {
  // Node's fetch Request parses multipart bodies, so the stub needs no dependency.
  const form = await new Request("http://stub.local/", {
    method: "POST",
    headers: { "content-type": req.headers["content-type"] ?? "" },
    body,
  }).formData();
  const fields: StubField[] = [];
  for (const [name, value] of form.entries()) {
    if (typeof value === "string") fields.push({ name, size: value.length, value });
    else {
      const base64 = Buffer.from(await value.arrayBuffer()).toString("base64");
      fields.push({ name, size: value.size, filename: value.name, contentType: value.type, base64 });
    }
  }
  return fields;
}

function faultOf(req: IncomingMessage, prompt: string): string | null {
  const header = req.headers["x-stub-fault"];
  if (typeof header === "string") return header;
  return /\[fault:([^\]]+)\]/.exec(prompt)?.[1] ?? null;
}

function authKey(req: IncomingMessage): string {
  const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
  const goog = req.headers["x-goog-api-key"];
  return bearer ?? (typeof goog === "string" ? goog : "");
}

/** Answers a fault in the API's own error shape; true when the request was handled. */
function answerFault(res: ServerResponse, fault: string, gemini: boolean, key: string): boolean {
  const error = (status: number, message: string, headers: Record<string, string> = {}) =>
    send(
      res,
      status,
      gemini
        ? { error: { code: status, message, status: status === 429 ? "RESOURCE_EXHAUSTED" : "ERROR" } }
        : { error: { message, type: "stub_error", param: null, code: null } },
      headers,
    );
  if (fault.startsWith("429-once:")) {
    if (rateLimited.has(fault)) return false;
    rateLimited.add(fault);
    error(429, "Rate limit reached for images per minute.", { "retry-after": "1" });
  } else if (fault === "500") error(500, "The server had an error while processing your request.");
  else if (fault === "401") error(401, `Incorrect API key provided: ${key}.`);
  else if (fault === "400") error(400, `Invalid request (key ${key}): size must be one of 1024x1024.`);
  else if (fault === "malformed") send(res, 200, '{"created": 1, "data": [ {"b64_json": ');
  else if (fault === "hang")
    return true; // never answered: the client's timeout must end the call
  else return false;
  return true;
}

/** The token usage a GPT image model reports (a fixed, recognisable answer). */
export const STUB_OPENAI_USAGE = {
  input_tokens: 50,
  input_tokens_details: { image_tokens: 40, text_tokens: 10 },
  output_tokens: 4160,
  total_tokens: 4210,
};

/** Gemini's `usageMetadata` (likewise fixed). */
export const STUB_GEMINI_USAGE = { promptTokenCount: 12, candidatesTokenCount: 1290, totalTokenCount: 1302 };

function answerOpenAi(res: ServerResponse, fault: string | null, model: string, prompt: string) {
  const revised = model === "dall-e-3" ? { revised_prompt: `${prompt} (revised)` } : {};
  const image = fault === "noimage" ? {} : { b64_json: STUB_PNG_BASE64 };
  const usage = model.startsWith("gpt-image") ? { usage: STUB_OPENAI_USAGE } : {};
  send(res, 200, {
    created: 1,
    data: [{ ...image, ...revised }],
    output_format: "png",
    size: "1024x1024",
    ...usage,
  });
}

function answerGemini(res: ServerResponse, fault: string | null, model: string) {
  const parts: unknown[] = [{ text: "Here is your image." }];
  if (fault !== "noimage") parts.push({ inlineData: { mimeType: "image/png", data: STUB_PNG_BASE64 } });
  send(res, 200, {
    candidates: [{ content: { role: "model", parts }, finishReason: "STOP", index: 0 }],
    modelVersion: model,
    usageMetadata: STUB_GEMINI_USAGE,
  });
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "http://stub.local");
  if (req.method === "GET" && url.pathname === "/__requests") {
    const tag = url.searchParams.get("tag");
    send(res, 200, tag === null ? requests : requests.filter((r) => r.tag === tag));
    return;
  }
  if (req.method === "GET" && url.pathname === "/__png") {
    send(res, 200, { base64: STUB_PNG_BASE64 });
    return;
  }
  if (req.method === "POST" && url.pathname === "/__reset") {
    requests.length = 0;
    rateLimited.clear();
    send(res, 200, { reset: true });
    return;
  }

  const body = await readBody(req);
  const multipart = (req.headers["content-type"] ?? "").startsWith("multipart/form-data");
  const fields = multipart ? await parseMultipart(req, body) : undefined;
  const json: unknown = !multipart && body.length > 0 ? JSON.parse(body.toString("utf8")) : undefined;
  const gemini = /^\/v1beta\/models\/[^/:]+:generateContent$/.test(url.pathname);
  const prompt = fields
    ? (fields.find((f) => f.name === "prompt")?.value ?? "")
    : gemini
      ? geminiPrompt(json)
      : (OpenAiBody.safeParse(json).data?.prompt ?? "");
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (typeof value === "string") headers[name] = value;
  }
  const tag = /\[tag:([^\]]+)\]/.exec(prompt)?.[1] ?? null;
  requests.push({ tag, method: req.method ?? "", path: url.pathname, headers, json, fields, prompt });

  const fault = faultOf(req, prompt);
  if (fault && answerFault(res, fault, gemini, authKey(req))) return;
  if (gemini && req.method === "POST") {
    answerGemini(res, fault, url.pathname.slice("/v1beta/models/".length).split(":")[0] ?? "");
    return;
  }
  const model = fields
    ? (fields.find((f) => f.name === "model")?.value ?? "")
    : (OpenAiBody.safeParse(json).data?.model ?? "");
  if (
    req.method === "POST" &&
    (url.pathname === "/v1/images/generations" || url.pathname === "/v1/images/edits")
  ) {
    answerOpenAi(res, fault, model, prompt);
    return;
  }
  send(res, 404, { error: { message: `stub: no route for ${req.method} ${url.pathname}` } });
}

/** Starts the stub on 127.0.0.1 and an ephemeral port. */
export function startProviderStub(): Promise<RunningServer> {
  return listen((req, res) => {
    handle(req, res).catch((error: unknown) => {
      // A stub bug must surface in the test that caused it, as a 599 it can see, not hang it.
      if (!res.headersSent) send(res, 599, { error: { message: `stub failure: ${String(error)}` } });
    });
  });
}
