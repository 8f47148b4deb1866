/**
 * upload_image through the official MCP client (Streamable HTTP) inside workerd: the tool decodes
 * base64 and calls POST /api/uploads with the raw bytes as the caller, so the route's checks, scopes
 * and owners are what answer.
 */
import { env, exports } from "cloudflare:workers";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { z } from "zod";
import { MAX_MCP_UPLOAD_BYTES } from "../src/mcp/tools/uploads";
import { BASE, call, createKey, createOwner, type OwnedKey } from "./helpers";
import { pngDeclaring } from "./security/png";

const open: Client[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

async function connect(key: string): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL(`${BASE}/mcp`), {
    // As in test/mcp.test.ts: no abort signal tied to the in-isolate call.
    fetch: (url, init) => exports.default.fetch(new Request(url, { ...init, signal: null })),
    requestInit: { headers: { authorization: `Bearer ${key}`, "cf-connecting-ip": "198.51.100.201" } },
  });
  const client = new Client({ name: "picasso-test", version: "1.0.0" });
  await client.connect(transport);
  open.push(client);
  return client;
}

const JsonObject = z.record(z.string(), z.unknown());

async function tool(client: Client, name: string, args: Record<string, unknown>) {
  const result = await client.callTool({ name, arguments: args });
  const texts = result.content.flatMap((c) => (c.type === "text" ? [c.text] : []));
  return { result, summary: texts[0] ?? "", structured: JsonObject.parse(result.structuredContent ?? {}) };
}

function base64(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

let png: Uint8Array;
let jpeg: Uint8Array;
let owner: OwnedKey;

beforeAll(async () => {
  const fixture = (path: string) => `http://127.0.0.1:${inject("fixturePort")}${path}`;
  png = new Uint8Array(await (await fetch(fixture("/image.png"))).arrayBuffer());
  jpeg = new Uint8Array(await (await fetch(fixture("/image.jpg"))).arrayBuffer());
  owner = await createOwner();
});

describe("upload_image", () => {
  it("is listed with its size cap in the description and described arguments", async () => {
    const { tools } = await (await connect(owner.key)).listTools();
    const upload = tools.find((t) => t.name === "upload_image");
    expect(upload?.description).toContain(`${MAX_MCP_UPLOAD_BYTES / 1024} KiB`);
    expect(upload?.inputSchema.required).toEqual(expect.arrayContaining(["data", "contentType"]));
    for (const schema of Object.values(upload?.inputSchema.properties ?? {}))
      expect(JsonObject.parse(schema).description).toEqual(expect.any(String));
    expect(upload?.annotations?.readOnlyHint).toBe(false);
  });

  it("stores the decoded bytes as the caller's upload; the same bytes again are the same upload", async () => {
    const client = await connect(owner.key);
    const first = await tool(client, "upload_image", { data: base64(png), contentType: "image/png" });
    expect(first.result.isError).toBeFalsy();
    expect(first.structured).toMatchObject({
      contentType: "image/png",
      width: 16,
      height: 16,
      bytes: png.byteLength,
    });
    const id = String(first.structured.id);
    expect(first.summary).toMatch(new RegExp(`^Uploaded ${id} \\(image/png, 16×16 px`));
    // The tool's result is the REST route's body, under the caller's owner.
    const rest = await call(`/api/uploads/${id}`, { key: owner.key });
    expect(await rest.json()).toEqual(first.structured);
    const object = await env.BUCKET.get(`uploads/${owner.ownerId}/${id}`);
    expect(new Uint8Array((await object?.arrayBuffer()) ?? new ArrayBuffer(0))).toEqual(png);

    const again = await tool(client, "upload_image", {
      data: `data:image/png;base64,${base64(png)}`,
      contentType: "image/png",
    });
    expect(again.structured).toEqual(first.structured);
    expect(again.summary).toMatch(/^These bytes were uploaded before/);
  });

  it("answers the route's refusals as tool errors: a lying type, SVG, a bomb", async () => {
    const client = await connect(owner.key);
    const lying = await tool(client, "upload_image", { data: base64(jpeg), contentType: "image/png" });
    expect(lying.result.isError).toBe(true);
    expect(lying.summary).toBe(
      "unsupported_media_type: upload: Content-Type says image/png but the bytes are image/jpeg",
    );
    const svg = new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg"/>');
    const refused = await tool(client, "upload_image", { data: base64(svg), contentType: "image/png" });
    expect(refused.summary).toMatch(/^unsupported_media_type: /);
    const bomb = await tool(client, "upload_image", {
      data: base64(await pngDeclaring(100_000, 100_000, 2)),
      contentType: "image/png",
    });
    expect(bomb.summary).toMatch(/^payload_too_large: upload: the image is 100000×100000 px/);
    expect(bomb.structured).toMatchObject({ error: { code: "payload_too_large" } });
  });

  it("refuses bad arguments as invalid_request and an image over its cap as payload_too_large", async () => {
    const client = await connect(owner.key);
    const notBase64 = await tool(client, "upload_image", { data: "not base64!", contentType: "image/png" });
    expect(notBase64.summary).toBe("invalid_request: data: not valid base64");
    const badType = await tool(client, "upload_image", { data: base64(png), contentType: "image/svg+xml" });
    expect(badType.summary).toMatch(/^invalid_request: contentType: /);
    const big = new Uint8Array(MAX_MCP_UPLOAD_BYTES + 1);
    big.set(png);
    const tooBig = await tool(client, "upload_image", { data: base64(big), contentType: "image/png" });
    expect(tooBig.summary).toMatch(
      new RegExp(
        `^payload_too_large: data: the image is ${big.byteLength} bytes; upload_image takes at most ${MAX_MCP_UPLOAD_BYTES} `,
      ),
    );
  });

  it("meets the route's scope: a read-only key is refused (forbidden), nothing stored", async () => {
    const who = await createOwner();
    const reader = await createKey(["read"], { by: who.key, name: "mcp reader" });
    const refused = await tool(await connect(reader.key), "upload_image", {
      data: base64(png),
      contentType: "image/png",
    });
    expect(refused.result.isError).toBe(true);
    expect(refused.summary).toMatch(/^forbidden: /);
    expect((await env.BUCKET.list({ prefix: `uploads/${who.ownerId}/` })).objects).toEqual([]);
  });
});
