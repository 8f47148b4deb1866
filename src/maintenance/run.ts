/**
 * What the maintenance actor's alarm does: continue unfinished project deletions (a pass each, every
 * few seconds while any remain) and fold view rows older than VIEW_RETENTION_DAYS into daily counts
 * (src/views/retention.ts). Returns when to run next.
 */
import { continueDeletion } from "../deletion/project";
import { unfinishedDeletions } from "../deletion/store";
import type { AppEnv } from "../lib/env";
import { createLogger } from "../lib/logging";
import { errorText } from "../lib/transient";
import { FOLD_MAX_ROWS, foldOldViews } from "../views/retention";

/** Between passes of an unfinished deletion. */
export const PASS_INTERVAL_MS = 3_000;
/** With nothing pending: the retention chore's rhythm. */
export const IDLE_INTERVAL_MS = 60 * 60_000;

const log = createLogger({ module: "maintenance" });

export async function runMaintenance(env: AppEnv, now: number): Promise<number> {
  let pending = false;
  for (const deletion of await unfinishedDeletions(env.DB)) {
    try {
      if ((await continueDeletion(env, deletion, now)) === "again") pending = true;
    } catch (err) {
      pending = true;
      log.warn("deletion.pass_failed", { projectId: deletion.projectId, error: errorText(err) });
    }
  }
  // Raw visitor rows past VIEW_RETENTION_DAYS become daily counts by country (bounded per call: a
  // full call means more is waiting, so the next one comes soon).
  try {
    const { deleted } = await foldOldViews(env, now);
    if (deleted >= FOLD_MAX_ROWS) pending = true;
    if (deleted > 0) log.info("views.folded", { deleted });
  } catch (err) {
    log.warn("views.fold_failed", { error: errorText(err) });
  }
  return now + (pending ? PASS_INTERVAL_MS : IDLE_INTERVAL_MS);
}
