/** provider-benchmark (json): task outcomes, pass rates, latency percentiles and failure causes per provider. */

import type { TaskFacts } from "../../db/artifact-data";
import type { ProviderId } from "../../lib/vocabulary";
import type { DocumentSpec } from "../documents";
import { jsonDocument } from "../json-document";
import type { LineageStep, ProjectData } from "../project-data";
import type { ProviderBenchmark } from "./schema";

/** Causes recognised in task errors (the adapters' and workflow's own messages); anything else is "other". */
const FAILURE_KINDS: [kind: string, pattern: RegExp][] = [
  ["cancelled", /^cancelled$/],
  ["not_configured", /is not configured/],
  ["rate_limited", /rate limited|HTTP 429/],
  ["timeout", /did not answer within|timed out/],
  ["unreachable", /could not be reached/],
  ["credentials", /rejected the credentials/],
  ["rejected", /rejected the (request|prompt)/],
  ["server_error", /failed with HTTP 5\d\d/],
  ["malformed_response", /malformed|no image/i],
  ["injected", /injected failure/],
  ["start_image", /start image/],
];

export function failureKind(error: string | null): string {
  const text = error ?? "";
  return FAILURE_KINDS.find(([, pattern]) => pattern.test(text))?.[0] ?? "other";
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1] ?? null;
}

function percentiles(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95) };
}

const increment = (counts: Record<string, number>, key: string) => {
  counts[key] = (counts[key] ?? 0) + 1;
};

/** The tasks' estimated cost, total and per image made (USD, rounded to a millionth). */
function costOf(tasks: TaskFacts[], images: number) {
  const known = tasks.flatMap((t) => (typeof t.costUsd === "number" ? [t.costUsd] : []));
  if (known.length === 0) return { total: null, perImage: null };
  const total = known.reduce((a, b) => a + b, 0);
  const round = (usd: number) => Math.round(usd * 1e6) / 1e6;
  return { total: round(total), perImage: images > 0 ? round(total / images) : null };
}

function providerRow(provider: ProviderId, tasks: TaskFacts[], images: LineageStep[]) {
  const failuresByKind: Record<string, number> = {};
  const models: Record<string, number> = {};
  const judged = { pass: 0, fail: 0 };
  const row = { completed: 0, failed: 0, skipped: 0, cancelled: 0, unfinished: 0 };
  for (const t of tasks) {
    if (t.status === "complete") row.completed++;
    else if (t.status === "failed") {
      row.failed++;
      increment(failuresByKind, failureKind(t.error));
    } else if (t.status === "cancelled") row.cancelled++;
    else row.unfinished++;
    if (t.skipped === "duplicate") row.skipped++;
  }
  for (const s of images) {
    if (s.judge.judgment) judged[s.judge.judgment]++;
    if (s.provider.model) increment(models, s.provider.model);
  }
  const judgedCount = judged.pass + judged.fail;
  const durations = tasks.flatMap((t) =>
    t.startedAt !== null && t.finishedAt !== null && t.finishedAt >= t.startedAt
      ? [t.finishedAt - t.startedAt]
      : [],
  );
  return {
    provider,
    tasks: tasks.length,
    ...row,
    judged,
    passRate: judgedCount > 0 ? judged.pass / judgedCount : null,
    latencyMs: percentiles(
      images.flatMap((s) => (s.provider.latencyMs === null ? [] : [s.provider.latencyMs])),
    ),
    taskDurationMs: percentiles(durations),
    costUsd: costOf(tasks, images.length),
    failuresByKind,
    models,
  };
}

export function benchmark(data: ProjectData, now: number): ProviderBenchmark {
  const tasks = data.jobs.flatMap((j) => j.tasks);
  // Rollbacks re-show an image a task already made: they are not provider work.
  const images = data.steps.filter((s) => s.parent?.kind !== "rollback" && s.task !== null);
  const providers = [
    ...new Set([...tasks.map((t) => t.provider), ...images.map((s) => s.progression.provider)]),
  ];
  return {
    projects: data.projects.map((p) => ({ id: p.id, name: p.name })),
    providers: providers.sort().map((provider) =>
      providerRow(
        provider,
        tasks.filter((t) => t.provider === provider),
        images.filter((s) => s.progression.provider === provider),
      ),
    ),
    generatedAt: now,
  };
}

export const providerBenchmark: DocumentSpec = {
  id: "provider-benchmark",
  name: "Provider benchmark",
  output: "json",
  description:
    "JSON per provider: tasks, completed, failed, skipped, pass rate, latency p50/p95 and failures by cause, from the projects' real tasks.",
  async build(_input, data) {
    return jsonDocument(benchmark(data, Date.now()));
  },
};
