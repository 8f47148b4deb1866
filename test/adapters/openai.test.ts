/** The live OpenAI adapter against the loopback provider stub: request shapes, results and every fault. */
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, inject, it, vi } from "vitest";
import { z } from "zod";
import { OPENAI_DEFAULT_MODEL, openaiAdapter } from "../../src/adapters/openai/openai.adapter";
import { type ImageOp, ProviderError } from "../../src/adapters/provider.types";
import { ProviderRateLimitError } from "../../src/adapters/provider-errors";
import type { AppEnv } from "../../src/lib/env";

afterEach(() => {
  vi.restoreAllMocks();
});

const STUB = `http://127.0.0.1:${inject("providerStubPort")}`;
const KEY = "sk-test-secret";

const RecordedSchema = z.array(
  z.object({
    method: z.string(),
    path: z.string(),
    headers: z.record(z.string(), z.string()),
    json: z.record(z.string(), z.unknown()).optional(),
    fields: z
      .array(
        z.object({
          name: z.string(),
          size: z.number(),
          filename: z.string().optional(),
          contentType: z.string().optional(),
          value: z.string().optional(),
        }),
      )
      .optional(),
  }),
);

function liveEnv(extra: Partial<AppEnv> = {}): AppEnv {
  return { ...(env as unknown as AppEnv), OPENAI_API_KEY: KEY, OPENAI_BASE_URL: `${STUB}/v1`, ...extra };
}

/** A prompt labelled for `/__requests?tag=`, with optional faults. */
function tagged(text: string, ...markers: string[]): { tag: string; prompt: string } {
  const tag = crypto.randomUUID();
  return { tag, prompt: [text, `[tag:${tag}]`, ...markers].join(" ") };
}

async function recorded(tag: string) {
  return RecordedSchema.parse(await (await fetch(`${STUB}/__requests?tag=${tag}`)).json());
}

async function stubPng(): Promise<Uint8Array> {
  const { base64 } = z.object({ base64: z.string() }).parse(await (await fetch(`${STUB}/__png`)).json());
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

async function failure(run: Promise<unknown>): Promise<ProviderError> {
  try {
    await run;
  } catch (error) {
    if (error instanceof ProviderError) {
      expect(error.message).not.toContain(KEY);
      expect(error.message).not.toContain("sk-test");
      return error;
    }
    throw error;
  }
  throw new Error("expected a ProviderError");
}

const op = (prompt: string, extra: Partial<ImageOp> = {}): ImageOp => ({
  kind: "generate",
  prompt,
  variantIndex: 0,
  ...extra,
});

describe("openai adapter: requests and results", () => {
  it("generates with images.generate and returns the PNG with live metadata", async () => {
    const { tag, prompt } = tagged("a teal lighthouse at dusk");
    const result = await openaiAdapter.run(op(prompt), liveEnv());
    expect(result.contentType).toBe("image/png");
    expect(result.bytes).toEqual(await stubPng());
    expect(result.providerMeta).toEqual({
      mode: "live",
      model: OPENAI_DEFAULT_MODEL,
      latencyMs: expect.any(Number),
    });

    const [request, ...more] = await recorded(tag);
    expect(more).toEqual([]);
    expect(request?.method).toBe("POST");
    expect(request?.path).toBe("/v1/images/generations");
    expect(request?.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(request?.json).toEqual({ model: "gpt-image-1", prompt, size: "1024x1024", n: 1 });
  });

  it("asks dall-e models for b64_json and reports their revised prompt", async () => {
    const { tag, prompt } = tagged("a harbour in fog");
    const result = await openaiAdapter.run(op(prompt), liveEnv({ OPENAI_IMAGE_MODEL: "dall-e-3" }));
    expect(result.providerMeta).toMatchObject({ model: "dall-e-3", revisedPrompt: `${prompt} (revised)` });
    const [request] = await recorded(tag);
    expect(request?.json).toMatchObject({ model: "dall-e-3", response_format: "b64_json" });
  });

  it("edits with images.edit: the start image as a multipart file, the kind in the prompt", async () => {
    const start = await stubPng();
    const { tag, prompt } = tagged("make the sky gold");
    const result = await openaiAdapter.run(
      op(prompt, { kind: "edit", startImage: { bytes: start, contentType: "image/png" } }),
      liveEnv(),
    );
    expect(result.contentType).toBe("image/png");
    const [request] = await recorded(tag);
    expect(request?.path).toBe("/v1/images/edits");
    expect(request?.headers["content-type"]).toMatch(/^multipart\/form-data; boundary=/);
    const fields = new Map((request?.fields ?? []).map((f) => [f.name, f]));
    expect(fields.get("image")).toMatchObject({
      filename: "start.png",
      contentType: "image/png",
      size: start.length,
    });
    expect(fields.get("prompt")?.value).toBe(`Edit this image: ${prompt}`);
    expect(fields.get("model")?.value).toBe("gpt-image-1");
    expect(fields.get("size")?.value).toBe("1024x1024");
    expect(fields.has("mask")).toBe(false);
  });

  it("sends inpaint, outpaint and variation as edits, without a mask (ops carry none)", async () => {
    const start = await stubPng();
    for (const kind of ["inpaint", "outpaint", "variation"] as const) {
      const { tag, prompt } = tagged(`${kind} a boat`);
      await openaiAdapter.run(
        op(prompt, { kind, startImage: { bytes: start, contentType: "image/png" } }),
        liveEnv(),
      );
      const [request] = await recorded(tag);
      expect(request?.path).toBe("/v1/images/edits");
      expect(request?.fields?.map((f) => f.name).sort()).toEqual(["image", "model", "n", "prompt", "size"]);
    }
  });
});

describe("openai adapter: refusals before any request", () => {
  it("is not configured without OPENAI_API_KEY (the exact text jobs show)", async () => {
    for (const key of [undefined, "", "   "]) {
      const error = await failure(openaiAdapter.run(op("x"), liveEnv({ OPENAI_API_KEY: key })));
      expect(error.message).toBe("openai is not configured: set OPENAI_API_KEY");
      expect(error.retryable).toBe(false);
    }
  });

  it("is misconfigured with a bad base URL or timeout", async () => {
    const url = await failure(openaiAdapter.run(op("x"), liveEnv({ OPENAI_BASE_URL: "ftp://example" })));
    expect(url).toMatchObject({
      retryable: false,
      message: "openai is misconfigured: OPENAI_BASE_URL must be an http(s) URL",
    });
    const timeout = await failure(openaiAdapter.run(op("x"), liveEnv({ PROVIDER_TIMEOUT_MS: "soon" })));
    expect(timeout.retryable).toBe(false);
    expect(timeout.message).toMatch(/^openai is misconfigured: PROVIDER_TIMEOUT_MS/);
  });

  it("does not support upscale, and edit kinds need a start image", async () => {
    expect(openaiAdapter.supports).not.toContain("upscale");
    const { tag, prompt } = tagged("bigger");
    const upscale = await failure(openaiAdapter.run(op(prompt, { kind: "upscale" }), liveEnv()));
    expect(upscale).toMatchObject({ retryable: false, message: "openai does not support upscale" });
    const edit = await failure(openaiAdapter.run(op(prompt, { kind: "edit" }), liveEnv()));
    expect(edit).toMatchObject({ retryable: false, message: "openai: edit needs a start image" });
    expect(await recorded(tag)).toEqual([]);
  });
});

describe("openai adapter: faults", () => {
  it("429 is retryable and carries Retry-After; the next call succeeds", async () => {
    const { prompt } = tagged("busy", `[fault:429-once:${crypto.randomUUID()}]`);
    const error = await failure(openaiAdapter.run(op(prompt), liveEnv()));
    expect(error).toBeInstanceOf(ProviderRateLimitError);
    expect(error).toMatchObject({ retryable: true, status: 429, retryAfterSeconds: 1 });
    expect(error.message).toBe(
      "openai rate limited the request (HTTP 429; retry after 1 s): Rate limit reached for images per minute.",
    );
    const second = await openaiAdapter.run(op(prompt), liveEnv());
    expect(second.contentType).toBe("image/png");
  });

  it("500 is retryable", async () => {
    const error = await failure(openaiAdapter.run(op(tagged("x", "[fault:500]").prompt), liveEnv()));
    expect(error).toMatchObject({ retryable: true, status: 500 });
    expect(error.message).toBe(
      "openai failed with HTTP 500: The server had an error while processing your request.",
    );
  });

  it("a hanging call ends at PROVIDER_TIMEOUT_MS, retryable", async () => {
    const started = Date.now();
    const error = await failure(
      openaiAdapter.run(op(tagged("x", "[fault:hang]").prompt), liveEnv({ PROVIDER_TIMEOUT_MS: "300" })),
    );
    expect(error).toMatchObject({ retryable: true, message: "openai did not answer within 300 ms" });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("an unreachable host is retryable", async () => {
    // What the runtime's fetch answers for a refused connection (a real one makes workerd print a stack).
    vi.spyOn(globalThis, "fetch").mockRejectedValue(new TypeError("Network connection lost."));
    const error = await failure(
      openaiAdapter.run(op("x"), liveEnv({ OPENAI_BASE_URL: "http://127.0.0.1:1/v1" })),
    );
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/^openai could not be reached/);
  });

  it("malformed JSON and a response without an image are not retryable", async () => {
    const malformed = await failure(
      openaiAdapter.run(op(tagged("x", "[fault:malformed]").prompt), liveEnv()),
    );
    expect(malformed).toMatchObject({ retryable: false, message: "openai returned malformed JSON" });
    const empty = await failure(openaiAdapter.run(op(tagged("x", "[fault:noimage]").prompt), liveEnv()));
    expect(empty).toMatchObject({ retryable: false, message: "openai returned no image" });
  });

  it("401 and 400 are not retryable, and the key the upstream echoes is scrubbed", async () => {
    const denied = await failure(openaiAdapter.run(op(tagged("x", "[fault:401]").prompt), liveEnv()));
    expect(denied).toMatchObject({ retryable: false, status: 401 });
    expect(denied.message).toBe(
      "openai rejected the credentials (HTTP 401): Incorrect API key provided: [redacted].",
    );
    const invalid = await failure(openaiAdapter.run(op(tagged("x", "[fault:400]").prompt), liveEnv()));
    expect(invalid).toMatchObject({ retryable: false, status: 400 });
    expect(invalid.message).toMatch(
      /^openai rejected the request \(HTTP 400\): Invalid request \(key \[redacted\]\)/,
    );
  });

  it("scrubs a key without a recognisable prefix too", async () => {
    const key = "plainsecretvalue123";
    const error = await failure(
      openaiAdapter.run(op(tagged("x", "[fault:401]").prompt), liveEnv({ OPENAI_API_KEY: key })),
    );
    expect(error.message).not.toContain(key);
  });
});
