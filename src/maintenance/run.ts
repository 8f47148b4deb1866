/**
 * What the maintenance actor's alarm does: continue unfinished project deletions (a pass each, every
 * few seconds while any remain) and fold old view rows into daily counts. Returns when to run next.
 */
import { continueDeletion } from "../deletion/project";
import { unfinishedDeletions } from "../deletion/store";
import type { AppEnv } from "../lib/env";
import { createLogger } from "../lib/logging";
import { errorText } from "../lib/transient";

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
  return now + (pending ? PASS_INTERVAL_MS : IDLE_INTERVAL_MS);
}
