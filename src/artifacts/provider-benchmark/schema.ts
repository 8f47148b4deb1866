/** The provider-benchmark document: per provider, how its tasks in these projects went. */
import { z } from "zod";
import { ProviderIds } from "../../lib/vocabulary";

/** Nearest-rank percentiles in milliseconds; null when nothing was measured. */
const Percentiles = z.object({ p50: z.number().nullable(), p95: z.number().nullable() });

export const ProviderBenchmarkSchema = z.object({
  projects: z.array(z.object({ id: z.string(), name: z.string() })),
  providers: z.array(
    z.object({
      provider: ProviderIds,
      /** Every task, judge-driven retries included. */
      tasks: z.number().int().nonnegative(),
      /** Ended with an image (or as a skipped near-duplicate). */
      completed: z.number().int().nonnegative(),
      failed: z.number().int().nonnegative(),
      /** Completed, but dropped as a near-duplicate of an earlier image. */
      skipped: z.number().int().nonnegative(),
      cancelled: z.number().int().nonnegative(),
      /** Still queued or running when the document was built. */
      unfinished: z.number().int().nonnegative(),
      judged: z.object({ pass: z.number().int().nonnegative(), fail: z.number().int().nonnegative() }),
      /** Share of judged images that passed, 0..1; null when no image was judged. */
      passRate: z.number().min(0).max(1).nullable(),
      /** The provider call's own latency (providerMeta.latencyMs) over the images it produced. */
      latencyMs: Percentiles,
      /** Task wall time (start to end) over every ended task, failures included. */
      taskDurationMs: Percentiles,
      /** Failed tasks by cause; the counts add up to `failed`. */
      failuresByKind: z.record(z.string(), z.number().int().positive()),
      /** Estimated cost (src/jobs/cost.ts): the sum over its tasks, and per image it produced; null when none is known. */
      costUsd: z.object({
        total: z.number().nonnegative().nullable(),
        perImage: z.number().nonnegative().nullable(),
      }),
      /** Models the provider reported, with how many images each made. */
      models: z.record(z.string(), z.number().int().positive()),
    }),
  ),
  /** Epoch milliseconds. */
  generatedAt: z.number().int(),
});
export type ProviderBenchmark = z.infer<typeof ProviderBenchmarkSchema>;
