/** Tests run inside workerd with the real local bindings (D1, R2, KV, Queues, Workflows, DOs, Images). */
import { readFileSync } from "node:fs";
import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

const migrations = await readD1Migrations(path.join(import.meta.dirname, "migrations"));
const seed = readFileSync(path.join(import.meta.dirname, "seed/knowledge_base.sql"), "utf8");

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.toml" },
      remoteBindings: false,
      miniflare: {
        bindings: {
          TEST_MIGRATIONS: migrations,
          TEST_SEED: seed,
          API_KEYS: "test-key-primary, test-key-rotated",
          ENVIRONMENT: "test",
          // A test secret (Standard Webhooks: whsec_ + base64); tests verify with the reference library.
          WEBHOOK_SECRET: "whsec_dGVzdC13ZWJob29rLXNlY3JldC0wMTIzNDU2Nzg5",
        },
        // The self-referencing script_name in wrangler.toml breaks the pool; redeclare the binding.
        durableObjects: { PICASSO_DO: { className: "PicassoDurableObject", useSQLite: true } },
      },
    }),
  ],
  test: {
    setupFiles: ["./test/setup.ts"],
    globalSetup: ["./test/global-setup.ts"],
    include: ["test/**/*.test.ts"],
    // Request logs are one JSON line each; show them only for failing tests.
    silent: "passed-only",
    testTimeout: 30_000,
  },
});
