/**
 * The maintenance actor: one instance of the Durable Object class (named `maintenance`, which no
 * session or rate-limit bucket can be called) whose alarm runs the deployment's background chores —
 * the fixed wrangler.toml has no cron trigger, and a Durable Object alarm survives restarts.
 */
import type { PicassoDurableObject } from "../durable-objects/picasso.do";
import type { AppEnv } from "../lib/env";

export const MAINTENANCE_ACTOR = "maintenance";

export function maintenanceActor(env: AppEnv): DurableObjectStub<PicassoDurableObject> {
  return env.PICASSO_DO.get(env.PICASSO_DO.idFromName(MAINTENANCE_ACTOR));
}

/** Makes sure the chores run within `delayMs` (an earlier alarm is kept). */
export async function wakeMaintenance(env: AppEnv, delayMs = 0): Promise<void> {
  await maintenanceActor(env).wakeMaintenance(delayMs);
}
