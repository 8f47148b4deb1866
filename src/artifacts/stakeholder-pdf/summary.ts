/** The verdict summary of the stakeholder PDF: counts overall, per provider, of retries and of failed tasks. */
import type { ProviderId } from "../../lib/vocabulary";
import type { LineageStep, ProjectData } from "../project-data";

export interface ProviderVerdicts {
  provider: ProviderId;
  images: number;
  passed: number;
  failed: number;
}

export interface VerdictSummary {
  images: number;
  passed: number;
  failed: number;
  unjudged: number;
  rollbacks: number;
  byProvider: ProviderVerdicts[];
  retries: { total: number; passed: number };
  /** Tasks that ended without an image, with their error text and how often it occurred. */
  failedTasks: { provider: ProviderId; error: string; count: number }[];
  jobs: number;
}

/** Steps a provider made (rollbacks re-show an earlier image and are counted apart). */
const made = (steps: LineageStep[]) => steps.filter((s) => s.parent?.kind !== "rollback");

export function verdictSummary(data: ProjectData): VerdictSummary {
  const images = made(data.steps);
  const providers = [...new Set(images.map((s) => s.progression.provider))].sort();
  const retries = images.filter((s) => s.parent?.kind === "retry");
  const failures = new Map<string, { provider: ProviderId; error: string; count: number }>();
  for (const task of data.jobs.flatMap((j) => j.tasks)) {
    if (task.status !== "failed") continue;
    const error = task.error ?? "failed without a message";
    const key = `${task.provider}\u0000${error}`;
    const entry = failures.get(key) ?? { provider: task.provider, error, count: 0 };
    entry.count++;
    failures.set(key, entry);
  }
  const count = (steps: LineageStep[], judgment: "pass" | "fail") =>
    steps.filter((s) => s.judge.judgment === judgment).length;
  return {
    images: images.length,
    passed: count(images, "pass"),
    failed: count(images, "fail"),
    unjudged: images.filter((s) => s.judge.judgment === null).length,
    rollbacks: data.steps.length - images.length,
    byProvider: providers.map((provider) => {
      const own = images.filter((s) => s.progression.provider === provider);
      return { provider, images: own.length, passed: count(own, "pass"), failed: count(own, "fail") };
    }),
    retries: { total: retries.length, passed: count(retries, "pass") },
    failedTasks: [...failures.values()].sort((a, b) => b.count - a.count),
    jobs: data.jobs.length,
  };
}
