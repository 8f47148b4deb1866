/**
 * The progressions listing stays an index search at any size: EXPLAIN QUERY PLAN of the real query
 * (first page and a deep cursor page, with and without filters) uses the (project_id, created_at)
 * index and never scans the table nor sorts in a temporary B-tree.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { listProgressionsQuery } from "../../src/db/progressions";
import type { AppEnv } from "../../src/lib/env";

const db = (env as unknown as AppEnv).DB;

async function plan(sql: string, args: (string | number)[]): Promise<string[]> {
  const { results } = await db
    .prepare(`EXPLAIN QUERY PLAN ${sql}`)
    .bind(...args)
    .all<{ detail: string }>();
  return results.map((r) => r.detail);
}

describe("EXPLAIN QUERY PLAN of the progressions listing", () => {
  const cases = [
    ["first page", { limit: 20 }, null],
    ["a deep cursor page", { limit: 20 }, { t: 1_700_000_050_000, id: "p-50000" }],
    ["filtered by judgment and provider", { limit: 20, judgment: "pass", provider: "local" }, null],
  ] as const;
  it.each(cases)("%s: an index search, no scan, no temp sort", async (_, q, cursor) => {
    const { sql, args } = listProgressionsQuery("listing-plan", q as never, cursor);
    const details = await plan(sql, args);
    expect(details.join(" | ")).toMatch(
      /SEARCH image_progressions USING INDEX idx_progressions_project_created_id/,
    );
    expect(details.some((d) => /^SCAN image_progressions/.test(d))).toBe(false);
    expect(details.some((d) => /TEMP B-TREE/.test(d))).toBe(false);
    // A cursor page seeks to its position: the index is searched on the cursor's range too.
    if (cursor) expect(details.join(" | ")).toMatch(/\(created_at,id\)<\(\?,\?\)|created_at<\?/);
  });
});
