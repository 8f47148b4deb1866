/** Applies the real migrations and the seed to the test D1 before each test file. */
import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";

await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
const seedSql = env.TEST_SEED.split("\n")
  .filter((line) => !line.trim().startsWith("--"))
  .join("\n");
await env.DB.prepare(seedSql).run();
