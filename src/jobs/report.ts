/**
 * A task's generation report: what the adapter said about its call (size, seed, model, usage,
 * warnings), with the latency and the estimated cost.
 */
import type { ProviderResult } from "../adapters/provider.types";
import type { TaskReport } from "../db/job-tasks";
import type { AppEnv } from "../lib/env";
import type { ProviderId } from "../lib/vocabulary";
import { estimateCost } from "./cost";

export function taskReport(
  env: AppEnv,
  provider: ProviderId,
  result: ProviderResult,
  latencyMs: number,
): TaskReport {
  const { width, height, seed, model, usage, warnings } = result.report;
  return {
    seed,
    model,
    width,
    height,
    latencyMs,
    ...(usage ? { usage } : {}),
    costUsd: estimateCost(env, provider, model, usage),
    warnings: warnings ?? [],
  };
}

/** The report as a task's `complete` event (and webhook) fields. */
export function reportFields(report: TaskReport | undefined) {
  if (!report) return {};
  return {
    model: report.model,
    seed: report.seed,
    width: report.width,
    height: report.height,
    latencyMs: report.latencyMs,
    ...(report.usage ? { usage: report.usage } : {}),
    costUsd: report.costUsd,
    warnings: report.warnings,
  };
}
