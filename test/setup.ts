/** Applies the real migrations and the seed to the test D1 before each test file. */
import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterAll } from "vitest";

await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
const seedSql = env.TEST_SEED.split("\n")
  .filter((line) => !line.trim().startsWith("--"))
  .join("\n");
await env.DB.prepare(seedSql).run();

/**
 * A test file ends only when the jobs it started have ended: a workflow still running when the
 * file's environment is torn down logs into a closed channel, which vitest reports as an unhandled
 * error. Waits (up to 60 s) until no job of this file's D1 is queued or running, then a moment for
 * the workflow's last steps after the job's end (its complete event, the webhook notice).
 */
afterAll(async () => {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const open = await env.DB.prepare(
      "SELECT COUNT(*) AS n FROM jobs WHERE status IN ('queued', 'running')",
    ).first<{ n: number }>();
    if (!open?.n || Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const recent = await env.DB.prepare("SELECT COUNT(*) AS n FROM jobs WHERE heartbeat_at > ?")
    .bind(Date.now() - 10_000)
    .first<{ n: number }>();
  if (recent?.n) await new Promise((resolve) => setTimeout(resolve, 500));
});
