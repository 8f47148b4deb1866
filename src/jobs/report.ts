/**
 * A task's generation report: what the adapter said about its call (size, seed, model, usage,
 * warnings), completed where an adapter said less, with the latency and the estimated cost.
 */
import type { GenerationSpec } from "../adapters/params";
import type { ProviderResult } from "../adapters/provider.types";
import { imageInfo } from "../agents/tools/images";
import type { TaskReport } from "../db/jobs";
import { imagesGate } from "../lib/concurrency";
import type { AppEnv } from "../lib/env";
import type { ProviderId } from "../lib/vocabulary";
import { estimateCost } from "./cost";

export async function taskReport(
  env: AppEnv,
  provider: ProviderId,
  spec: GenerationSpec,
  result: ProviderResult,
  latencyMs: number,
): Promise<TaskReport> {
  const given = result.report;
  const size =
    given && given.width > 0 && given.height > 0
      ? { width: given.width, height: given.height }
      : await imagesGate.run(() => imageInfo(env.IMAGES, result.bytes));
  const metaModel = typeof result.providerMeta.model === "string" ? result.providerMeta.model : provider;
  const model = given?.model ?? spec.model ?? metaModel;
  return {
    seed: given ? given.seed : null,
    model,
    width: size.width,
    height: size.height,
    latencyMs,
    ...(given?.usage ? { usage: given.usage } : {}),
    costUsd: estimateCost(env, provider, model, given?.usage),
    warnings: given?.warnings ?? [],
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
