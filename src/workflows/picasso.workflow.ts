/**
 * PicassoWorkflow: durable job orchestration (one step per effect).
 *
 * wrangler.toml binds this class, so the Worker must export it for `wrangler dev` to start. No route
 * creates instances until job submission lands; an instance started by hand fails at once, clearly.
 */
import { WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cloudflare:workers";
import { NonRetryableError } from "cloudflare:workflows";
import type { AppEnv } from "../lib/env";

export class PicassoWorkflow extends WorkflowEntrypoint<AppEnv, unknown> {
  override async run(_event: WorkflowEvent<unknown>, _step: WorkflowStep): Promise<never> {
    throw new NonRetryableError("This deployment does not run jobs: job submission is not part of it");
  }
}
