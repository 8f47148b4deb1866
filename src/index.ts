/** Worker entry: the HTTP app, plus the Durable Object and Workflow classes wrangler.toml binds. */
import { createApp } from "./app";
import type { AppEnv } from "./lib/env";
import { consumeViews } from "./queues/view-log.consumer";

export { PicassoDurableObject } from "./durable-objects/picasso.do";
export { PicassoWorkflow } from "./workflows/picasso.workflow";

const app = createApp();

export default {
  fetch: app.fetch,
  async queue(batch: MessageBatch<unknown>, env: AppEnv, _ctx: ExecutionContext): Promise<void> {
    await consumeViews(batch, env);
  },
} satisfies ExportedHandler<AppEnv>;
