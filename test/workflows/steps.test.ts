/**
 * runStep against a stand-in for the engine's step.do (its retry loop as the local engine runs it:
 * attempt n is tried while n ≤ 1 + retries.limit): a step's final failure is its recorded result,
 * never an exception thrown back into the engine, and runStep rethrows it in the workflow's code.
 */
import type { WorkflowStep, WorkflowStepConfig, WorkflowStepContext } from "cloudflare:workers";
import { NonRetryableError } from "cloudflare:workflows";
import { describe, expect, it, vi } from "vitest";
import { createLogger } from "../../src/lib/logging";
import { logStepTimings, runStep, StepFailedError } from "../../src/workflows/steps";

const CONFIG: WorkflowStepConfig = {
  retries: { limit: 3, delay: 0, backoff: "constant" },
  timeout: "5 seconds",
};

/** The engine's side of a step: calls the callback per attempt; counts what reached it as a throw. */
function engine() {
  const seen = { attempts: 0, thrownToEngine: 0, lastThrowAttempt: 0 };
  const step = {
    do: async (
      name: string,
      config: WorkflowStepConfig,
      cb: (ctx: WorkflowStepContext) => Promise<unknown>,
    ) => {
      const limit = config.retries?.limit ?? 0;
      for (let attempt = 1; ; attempt++) {
        seen.attempts = attempt;
        try {
          return await cb({ step: { name, count: 1 }, attempt, config });
        } catch (err) {
          seen.thrownToEngine++;
          seen.lastThrowAttempt = attempt;
          if (attempt > limit) throw err;
        }
      }
    },
  } as unknown as WorkflowStep;
  return { step, seen };
}

const log = createLogger({ test: "steps" });

describe("runStep", () => {
  it("returns the value of a step that succeeds", async () => {
    const { step, seen } = engine();
    expect(await runStep(step, log, "ok", null, CONFIG, async () => ({ n: 1 }))).toEqual({ n: 1 });
    expect(seen).toMatchObject({ attempts: 1, thrownToEngine: 0 });
  });

  it("lets the engine retry a transient failure and records the last attempt's failure as the result", async () => {
    const { step, seen } = engine();
    const failing = runStep(step, log, "flaky", "local", CONFIG, async () => {
      throw new Error("upstream 503");
    });
    await expect(failing).rejects.toBeInstanceOf(StepFailedError);
    await expect(failing).rejects.toThrow("upstream 503");
    // Attempts 1..3 were thrown (retried); the 4th, the last, came back as a recorded failure.
    expect(seen).toMatchObject({ attempts: 4, thrownToEngine: 3, lastThrowAttempt: 3 });
  });

  it("records a NonRetryableError at once, keeping its name", async () => {
    const { step, seen } = engine();
    const failing = runStep(step, log, "permanent", "openai", CONFIG, async () => {
      throw new NonRetryableError("openai is not configured: set OPENAI_API_KEY");
    });
    await expect(failing).rejects.toMatchObject({
      name: "NonRetryableError",
      message: "openai is not configured: set OPENAI_API_KEY",
    });
    expect(seen).toMatchObject({ attempts: 1, thrownToEngine: 0 });
  });

  it("passes on a value recorded before outcomes were wrapped (an older instance replaying)", async () => {
    const legacy = { do: async () => ({ key: "project/p/jobs/j/0.png" }) } as unknown as WorkflowStep;
    expect(await runStep(legacy, log, "old", null, CONFIG, async () => ({ key: "new" }))).toEqual({
      key: "project/p/jobs/j/0.png",
    });
  });

  it("times every attempt into one `steps` line for the run, and logs a failed attempt at once", async () => {
    const { step } = engine();
    const lines = vi.spyOn(console, "log").mockImplementation(() => undefined);
    const warnings = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    try {
      let calls = 0;
      await runStep(step, log, "generate local#0", "local", CONFIG, async () => {
        if (++calls === 1) throw new Error("upstream 503");
        return 1;
      });
      await runStep(step, log, "record local#0", "local", CONFIG, async () => 2);
      expect(lines).not.toHaveBeenCalled();
      const failed = warnings.mock.calls.map((c) => JSON.parse(String(c[0])));
      expect(failed).toEqual([
        expect.objectContaining({
          level: "warn",
          event: "step.failed",
          step: "generate local#0",
          attempt: 1,
          final: false,
          error: "upstream 503",
        }),
      ]);
      logStepTimings(step, log);
      logStepTimings(step, log); // written once: the run's list is gone afterwards
      expect(lines).toHaveBeenCalledTimes(1);
      const line = JSON.parse(String(lines.mock.calls[0]?.[0]));
      expect(line).toMatchObject({ event: "steps", test: "steps" });
      expect(line.steps.map((s: { step: string; attempt: number }) => [s.step, s.attempt])).toEqual([
        ["generate local#0", 1],
        ["generate local#0", 2],
        ["record local#0", 1],
      ]);
      expect(
        line.steps.every((s: { ms: number; provider: string }) => s.ms >= 0 && s.provider === "local"),
      ).toBe(true);
    } finally {
      lines.mockRestore();
      warnings.mockRestore();
    }
  });
});
