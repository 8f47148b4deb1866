/** The per-isolate Gate: never more holders than its limit, every waiter served. (How soon is a benchmark's business.) */
import { describe, expect, it } from "vitest";
import { Gate } from "../../src/lib/concurrency";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("Gate", () => {
  it("holds at most its limit at once and serves every waiter, a failing holder included", async () => {
    const gate = new Gate(3);
    let peak = 0;
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        gate.run(async () => {
          peak = Math.max(peak, gate.running);
          await sleep(2);
          if (i === 5) throw new Error("holder 5 failed");
          return i;
        }),
      ),
    );
    expect(peak).toBe(3);
    expect(gate.running).toBe(0);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(19);
    expect(results[5]).toMatchObject({ status: "rejected", reason: new Error("holder 5 failed") });
  });
});
