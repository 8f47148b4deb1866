/** GET /api/providers: each provider, whether it can run here (from configuration only), its op kinds. */
import { describe, expect, it } from "vitest";
import { WORKERS_OFFLINE_MESSAGE } from "../../src/adapters/workers/workers.adapter";
import { call, callWithEnv, expectError, KEY } from "../helpers";

interface Provider {
  id: string;
  ready: boolean;
  reason?: string;
  supports: string[];
  parameters?: Record<string, string>;
  models?: string[];
  sizes?: string[] | "any";
}
const list = async (res: Response) => {
  expect(res.status).toBe(200);
  return ((await res.json()) as { providers: Provider[] }).providers;
};
const byId = (providers: Provider[]) => Object.fromEntries(providers.map((p) => [p.id, p]));

describe("GET /api/providers", () => {
  it("lists every provider, local first; offline only local is ready, the others say why", async () => {
    const providers = await list(await call("/api/providers"));
    expect(providers.map((p) => p.id)).toEqual(["local", "openai", "gemini", "workers"]);
    const p = byId(providers);
    expect(p.local).toMatchObject({
      id: "local",
      ready: true,
      supports: ["generate", "edit", "inpaint", "outpaint", "variation", "upscale"],
      sizes: "any",
    });
    expect(p.local && "reason" in p.local).toBe(false);
    // The parameter matrix: local honours every parameter; every provider states each one.
    const parameters = [
      "aspectRatio",
      "seed",
      "negativePrompt",
      "strength",
      "model",
      "mask",
      "outpaint",
      "upscale",
    ];
    expect(Object.values(p.local?.parameters ?? {})).toEqual(parameters.map(() => "native"));
    for (const provider of providers) {
      expect(Object.keys(provider.parameters ?? {}).sort()).toEqual([...parameters].sort());
      expect(provider.models?.length).toBeGreaterThan(0);
    }
    expect(p.openai).toMatchObject({ ready: false, reason: "openai is not configured: set OPENAI_API_KEY" });
    expect(p.gemini).toMatchObject({ ready: false, reason: "gemini is not configured: set GEMINI_API_KEY" });
    expect(p.workers).toMatchObject({ ready: false, reason: WORKERS_OFFLINE_MESSAGE });
    expect(p.workers?.supports).toContain("generate");
    expect(p.openai?.parameters?.upscale).toBe("unsupported");
  });

  it("follows the configuration: keys make openai and gemini ready, AI_REMOTE the workers provider", async () => {
    const p = byId(
      await list(
        await callWithEnv(
          { OPENAI_API_KEY: "sk-test", GEMINI_API_KEY: "g-test", AI_REMOTE: "true" },
          "/api/providers",
          { headers: { "x-api-key": KEY } },
        ),
      ),
    );
    expect(p.openai).toMatchObject({ ready: true });
    expect(p.openai && "reason" in p.openai).toBe(false);
    expect(p.gemini).toMatchObject({ ready: true });
    expect(p.workers).toMatchObject({ ready: true });
  });

  it("names a bad setting, without the key", async () => {
    const p = byId(
      await list(
        await callWithEnv(
          { OPENAI_API_KEY: "sk-secret-1234", OPENAI_BASE_URL: "ftp://nope" },
          "/api/providers",
          { headers: { "x-api-key": KEY } },
        ),
      ),
    );
    expect(p.openai).toMatchObject({
      ready: false,
      reason: "openai is misconfigured: OPENAI_BASE_URL must be an http(s) URL",
    });
    expect(JSON.stringify(p)).not.toContain("sk-secret-1234");
  });

  it("needs a key like every /api route, and is read-only", async () => {
    await expectError(await call("/api/providers", { key: "wrong-key" }), 401, "unauthorized");
    await expectError(await call("/api/providers", { key: null }), 401, "unauthorized");
    await expectError(await call("/api/providers", { method: "POST", body: {} }), 404, "not_found");
  });
});
