/**
 * /mcp through the official MCP client (Streamable HTTP), inside workerd: the client's fetch is the
 * worker's own default export, so every request runs the whole app on the real local bindings.
 */

import { exports } from "cloudflare:workers";
import { Client, type ClientOptions, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { BASE, call, callWithEnv, expectError, KEY, ROTATED_KEY } from "./helpers";

const TOOLS = (
  "cancel_job create_artifact create_project generate_images get_job list_artifact_types " +
  "list_progressions list_projects rollback_progression upload_image view_progression"
).split(" ");
/** generate_images' own arguments: the REST body's fields (minus sessionId) plus three of its own. */
const GENERATE_ARGS = (
  "projectId prompt providers variants kind startImageUrl parentProgressionId autoRetry sessionId " +
  "idempotencyKey startImageUploadId aspectRatio seed negativePrompt strength models maskUploadId outpaint upscale"
).split(" ");

const open: Client[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

let counter = 0;
/** Each test submits from its own IP, so the per-IP job budget of one test never limits another. */
const clientIp = () => `198.51.100.${(counter++ % 250) + 1}`;

async function connect(headers: Record<string, string>, options: ClientOptions = {}): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL(`${BASE}/mcp`), {
    // close() aborts the signal of every request the transport made, answered or not; tied to the
    // in-isolate worker call, that errors already-read SSE bodies under the client's own stream
    // pipes, which workerd reports as unhandled rejections. Over a network it only drops sockets.
    fetch: (url, init) => exports.default.fetch(new Request(url, { ...init, signal: null })),
    requestInit: { headers: { "cf-connecting-ip": clientIp(), ...headers } },
  });
  const client = new Client({ name: "picasso-test", version: "1.0.0" }, options);
  await client.connect(transport);
  open.push(client);
  return client;
}

const bearer = () => connect({ authorization: `Bearer ${KEY}` });

const JsonObject = z.record(z.string(), z.unknown());

/** A tool call's parts: the result, its first text (the summary) and its structured content. */
async function tool(client: Client, name: string, args: Record<string, unknown> = {}) {
  const result = await client.callTool({ name, arguments: args });
  const texts = result.content.flatMap((c) => (c.type === "text" ? [c.text] : []));
  return { result, summary: texts[0] ?? "", structured: JsonObject.parse(result.structuredContent ?? {}) };
}

const listTools = { jsonrpc: "2.0", id: 2, method: "tools/list", params: {} };

function post(body: unknown, headers: Record<string, string> = {}) {
  return call("/mcp", {
    method: "POST",
    key: null,
    body,
    headers: { accept: "application/json, text/event-stream", ...headers },
  });
}

describe("/mcp auth", () => {
  it("answers 401 in the error envelope without a key, with a wrong one, and lists no tool", async () => {
    const refused: Record<string, string>[] = [
      {},
      { authorization: "Bearer wrong-key" },
      { "x-api-key": "wrong-key" },
      { authorization: `Basic ${btoa(`user:${KEY}`)}` },
    ];
    for (const headers of refused) {
      const res = await post(listTools, headers);
      const body = await expectError(res, 401, "unauthorized");
      expect(res.headers.get("www-authenticate")).toBe('Bearer realm="picasso-mcp"');
      expect(JSON.stringify(body)).not.toContain("list_projects");
    }
    await expect(connect({})).rejects.toThrow();
  });

  it("accepts Authorization: Bearer, X-Api-Key and a rotated key", async () => {
    const accepted: Record<string, string>[] = [
      { authorization: `Bearer ${KEY}` },
      { "x-api-key": KEY },
      { authorization: `bearer ${ROTATED_KEY}` },
    ];
    for (const headers of accepted) {
      const client = await connect(headers);
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name).sort()).toEqual(TOOLS);
    }
  });

  it("answers 503 not_configured when no key is configured, like the REST API", async () => {
    const res = await callWithEnv({ API_KEYS: "" }, "/mcp", {
      method: "POST",
      headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
      body: JSON.stringify(listTools),
    });
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("not_configured");
  });
});

describe("/mcp tools/list", () => {
  it("describes every tool with a zod-derived object schema", async () => {
    const client = await bearer();
    // The default (2025) handshake, which Claude Desktop and mcp-remote speak.
    expect(client.getProtocolEra()).toBe("legacy");
    expect(client.getInstructions()).toContain("generate_images");
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(TOOLS);
    for (const t of tools) {
      expect(t.name).toMatch(/^[a-z]+(_[a-z]+)+$/);
      expect(t.description?.length ?? 0).toBeGreaterThan(40);
      expect(t.inputSchema.type).toBe("object");
    }
    // Every argument is described for the assistant (generate_images: those it adds to the REST body).
    for (const t of tools) {
      const properties = Object.entries(t.inputSchema.properties ?? {});
      for (const [arg, schema] of properties.filter(
        ([a]) => t.name !== "generate_images" || GENERATE_ARGS.includes(a),
      ))
        expect({ arg, description: JsonObject.parse(schema).description }).toEqual({
          arg,
          description: expect.any(String),
        });
    }
    const generate = tools.find((t) => t.name === "generate_images");
    expect(Object.keys(generate?.inputSchema.properties ?? {})).toEqual(
      expect.arrayContaining(GENERATE_ARGS),
    );
    expect(generate?.inputSchema.required).toEqual(expect.arrayContaining(["projectId", "prompt"]));
    expect(generate?.inputSchema.required).not.toContain("sessionId");
    expect(tools.find((t) => t.name === "get_job")?.annotations?.readOnlyHint).toBe(true);
  });

  it("serves the 2026 protocol era too (server/discover negotiation)", async () => {
    const client = await connect(
      { authorization: `Bearer ${KEY}` },
      { versionNegotiation: { mode: "auto" } },
    );
    expect(client.getProtocolEra()).toBe("modern");
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(TOOLS);
    const { result } = await tool(client, "list_artifact_types");
    expect(result.isError).toBeFalsy();
  });

  it("is described in /openapi.json with both key schemes", async () => {
    const doc = (await (await call("/openapi.json")).json()) as {
      paths: Record<string, { post?: { security?: unknown[] } }>;
      components: { securitySchemes: Record<string, unknown> };
    };
    expect(doc.paths["/mcp"]?.post?.security).toEqual([{ ApiKey: [] }, { Bearer: [] }]);
    expect(doc.components.securitySchemes.Bearer).toMatchObject({ type: "http", scheme: "bearer" });
  });
});

/** Polls get_job until the job has ended; returns the last status. */
async function untilEnded(client: Client, jobId: string, timeoutMs = 25_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { structured, summary } = await tool(client, "get_job", { jobId });
    if (["complete", "failed", "cancelled"].includes(String(structured.status)))
      return { structured, summary };
    if (Date.now() > deadline) throw new Error(`job ${jobId} did not end: ${summary}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe("/mcp tools, as a new user would use them", () => {
  it("creates a project, generates two local images, looks at one and publishes a lookbook", async () => {
    const client = await bearer();
    const created = await tool(client, "create_project", { name: "MCP lighthouses" });
    expect(created.result.isError).toBeFalsy();
    const project = created.structured as { id: string; name: string };
    expect(project).toMatchObject({ name: "MCP lighthouses", description: null, id: expect.any(String) });
    expect(created.summary).toBe(`Created project "MCP lighthouses" (${project.id}).`);

    const listed = await tool(client, "list_projects", { limit: 100 });
    expect((listed.structured.projects as { id: string }[]).map((p) => p.id)).toContain(project.id);

    const submitted = await tool(client, "generate_images", {
      projectId: project.id,
      prompt: "a teal lighthouse at dusk, gold sky",
      providers: ["local"],
      variants: 2,
    });
    expect(submitted.result.isError).toBeFalsy();
    const accepted = submitted.structured as { jobId: string; sessionId: string; statusUrl: string };
    expect(submitted.structured).toMatchObject({
      projectId: project.id,
      status: "queued",
      sessionId: expect.stringMatching(/^mcp-[A-Za-z0-9_-]{21}$/),
      statusUrl: `/api/jobs/${accepted.jobId}`,
      tasks: [
        { provider: "local", variantIndex: 0 },
        { provider: "local", variantIndex: 1 },
      ],
    });
    expect(submitted.summary).toContain(accepted.jobId);

    const ended = await untilEnded(client, accepted.jobId);
    expect(ended.structured.status).toBe("complete");
    expect(ended.summary).toMatch(new RegExp(`^Job ${accepted.jobId} is complete \\(2 task\\(s\\)`));
    // The tool's structured result is exactly the REST route's body.
    const rest = await (await call(`/api/jobs/${accepted.jobId}`)).json();
    expect(ended.structured).toEqual(rest);

    const progressions = await tool(client, "list_progressions", {
      projectId: project.id,
      provider: "local",
    });
    const items = progressions.structured.progressions as { id: string; jobId: string }[];
    expect(items).toHaveLength(2);
    expect(items.every((p) => p.jobId === accepted.jobId)).toBe(true);
    expect(progressions.summary).toMatch(/^2 progression\(s\)\./);
    const none = await tool(client, "list_progressions", { projectId: project.id, tags: ["no-such-tag"] });
    expect(none.structured.progressions).toEqual([]);

    const first = items[0]?.id ?? "";
    const viewed = await tool(client, "view_progression", { progressionId: first });
    expect(viewed.result.isError).toBeFalsy();
    expect(viewed.structured).toMatchObject({ id: first, projectId: project.id });
    const image = viewed.result.content.find((c) => c.type === "image");
    expect(image?.type === "image" && image.mimeType).toBe("image/png");
    const bytes = atob(image?.type === "image" ? image.data : "");
    expect([...bytes.slice(0, 8)].map((ch) => ch.charCodeAt(0))).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
    // IHDR width and height (big-endian at 16 and 20): the longest side is the requested 256 px.
    const u32 = (at: number) => [...bytes.slice(at, at + 4)].reduce((n, ch) => n * 256 + ch.charCodeAt(0), 0);
    expect(Math.max(u32(16), u32(20))).toBe(256);

    const rolled = await tool(client, "rollback_progression", { progressionId: first });
    expect(rolled.structured).toMatchObject({ parentProgressionId: first, projectId: project.id });

    const types = await tool(client, "list_artifact_types");
    expect((types.structured.types as { id: string }[]).map((t) => t.id)).toContain("lookbook");

    const artifact = await tool(client, "create_artifact", {
      type: "lookbook",
      title: "Lighthouses via MCP",
      projectIds: [project.id],
      options: { includeFailed: true },
    });
    expect(artifact.result.isError).toBeFalsy();
    const published = artifact.structured as { status: string; publicUrl: string };
    expect(published.status).toBe("published");
    expect(published.publicUrl).toMatch(/^http:\/\/picasso\.test\/public\/lookbook\/[A-Za-z0-9_-]{10,}$/);
    expect(artifact.summary).toContain(published.publicUrl);
    const page = await call(new URL(published.publicUrl).pathname, { key: null });
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(await page.text()).toContain("Lighthouses via MCP");
  });

  it("replays generate_images with the same idempotency key instead of starting new work", async () => {
    const client = await bearer();
    const project = (await tool(client, "create_project", { name: "Idempotent" })).structured;
    const args = {
      projectId: project.id,
      prompt: "one red kite",
      providers: ["local"],
      idempotencyKey: "kite-1",
    };
    const once = await tool(client, "generate_images", args);
    const twice = await tool(client, "generate_images", args);
    expect(twice.structured).toEqual(once.structured);
    expect(twice.summary).toContain("replayed");
    expect(once.summary).not.toContain("replayed");
    await untilEnded(client, String(once.structured.jobId));
  });
});

describe("/mcp errors are tool results, never transport failures", () => {
  it("maps API errors to isError '<code>: <message>' with the envelope", async () => {
    const client = await bearer();
    const missing = await tool(client, "get_job", { jobId: "no-such-job-000000000" });
    expect(missing.result.isError).toBe(true);
    expect(missing.summary).toBe("not_found: job not found");
    expect(missing.structured).toMatchObject({ error: { code: "not_found", message: "job not found" } });

    const project = (await tool(client, "create_project", { name: "Errors" })).structured;
    // Refused by the REST route's own capability check, not by the tool schema.
    const unsupported = await tool(client, "generate_images", {
      projectId: project.id,
      prompt: "sharper",
      providers: ["local"],
      kind: "upscale",
    });
    expect(unsupported.result.isError).toBe(true);
    expect(unsupported.summary).toMatch(/^invalid_request: /);
  });

  it("refuses arguments that fail the tool's schema as invalid_request, like the REST API", async () => {
    const client = await bearer();
    const tooMany = await tool(client, "generate_images", { projectId: "p1", prompt: "x", variants: 99 });
    expect(tooMany.result.isError).toBe(true);
    expect(tooMany.summary).toMatch(/^invalid_request: variants: /);
    expect(tooMany.structured).toMatchObject({
      error: { code: "invalid_request", details: [expect.objectContaining({ path: ["variants"] })] },
    });
    const noName = await tool(client, "create_project", {});
    expect(noName.summary).toMatch(/^invalid_request: name: /);
    const badSize = await tool(client, "view_progression", { progressionId: "x", size: 4096 });
    expect(badSize.summary).toMatch(/^invalid_request: size: /);
  });
});
