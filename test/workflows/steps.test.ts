/**
 * runStep against a stand-in for the engine's step.do (its retry loop as the local engine runs it:
 * attempt n is tried while n ≤ 1 + retries.limit): a step's final failure is its recorded result,
 * never an exception thrown back into the engine, and runStep rethrows it in the workflow's code.
 */
import type { WorkflowStep, WorkflowStepConfig, WorkflowStepContext } from "cloudflare:workers";
import { NonRetryableError } from "cloudflare:workflows";
import { describe, expect, it } from "vitest";
import { createLogger } from "../../src/lib/logging";
import { runStep, StepFailedError } from "../../src/workflows/steps";

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
});
