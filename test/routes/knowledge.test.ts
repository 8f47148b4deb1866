import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, expectError } from "../helpers";

interface Tip {
  key: string;
  provider: string;
  tip: string;
  append?: string;
}

describe("GET /api/knowledge", () => {
  it("lists the seeded tips for every provider, 3 to 5 each", async () => {
    const res = await call("/api/knowledge");
    expect(res.status).toBe(200);
    const { tips } = (await res.json()) as { tips: Tip[] };
    for (const provider of ["openai", "gemini", "workers", "local"]) {
      const count = tips.filter((t) => t.provider === provider).length;
      expect(count).toBeGreaterThanOrEqual(3);
      expect(count).toBeLessThanOrEqual(5);
    }
  });

  it("filters by provider", async () => {
    const { tips } = (await (await call("/api/knowledge?provider=gemini")).json()) as { tips: Tip[] };
    expect(tips.length).toBeGreaterThan(0);
    expect(tips.every((t) => t.provider === "gemini" && t.key.startsWith("gemini."))).toBe(true);
  });

  it("rejects an unknown provider", async () => {
    const body = await expectError(await call("/api/knowledge?provider=dalle"), 400, "invalid_request");
    expect(body.error.message).toMatch(/^provider: /);
  });

  it("skips a stored value that is not a valid tip instead of failing the list", async () => {
    await env.DB.prepare("INSERT INTO knowledge_base (key, value) VALUES ('broken', 'not json')").run();
    const res = await call("/api/knowledge");
    expect(res.status).toBe(200);
    const { tips } = (await res.json()) as { tips: Tip[] };
    expect(tips.find((t) => t.key === "broken")).toBeUndefined();
  });
});

describe("PUT /api/knowledge/:key", () => {
  it("creates and then replaces a tip", async () => {
    const value = { provider: "openai", tip: "Say the lens.", append: "85mm lens" };
    const res = await call("/api/knowledge/openai.lens", { method: "PUT", body: { value } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ key: "openai.lens", ...value });

    const replaced = await call("/api/knowledge/openai.lens", {
      method: "PUT",
      body: { value: { provider: "openai", tip: "v2" } },
    });
    expect(await replaced.json()).toEqual({ key: "openai.lens", provider: "openai", tip: "v2" });
    const { tips } = (await (await call("/api/knowledge?provider=openai")).json()) as { tips: Tip[] };
    expect(tips.filter((t) => t.key === "openai.lens")).toEqual([
      { key: "openai.lens", provider: "openai", tip: "v2" },
    ]);
  });

  it("rejects a value without a tip and a key with odd characters", async () => {
    const missing = await expectError(
      await call("/api/knowledge/openai.x", { method: "PUT", body: { value: { provider: "openai" } } }),
      400,
      "invalid_request",
    );
    expect(missing.error.message).toMatch(/^value\.tip: /);
    await expectError(
      await call("/api/knowledge/bad%20key", {
        method: "PUT",
        body: { value: { provider: "openai", tip: "t" } },
      }),
      400,
      "invalid_request",
    );
  });

  it("requires the API key", async () => {
    const res = await call("/api/knowledge/openai.nokey", {
      method: "PUT",
      body: { value: { provider: "openai", tip: "t" } },
      key: null,
    });
    await expectError(res, 401, "unauthorized");
    expect(
      await env.DB.prepare("SELECT 1 FROM knowledge_base WHERE key = 'openai.nokey'").first(),
    ).toBeNull();
  });
});
