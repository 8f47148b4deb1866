/** Worker entry: the HTTP app, plus the Durable Object and Workflow classes wrangler.toml binds. */
import { createApp } from "./app";
import type { AppEnv } from "./lib/env";
import { consumeQueue } from "./queues/consumer";

export { PicassoDurableObject } from "./durable-objects/picasso.do";
export { PicassoWorkflow } from "./workflows/picasso.workflow";

const app = createApp();
/** Built on first use: only a development server ever has the /api/dev tools. */
let devApp: ReturnType<typeof createApp> | null = null;

export default {
  fetch(request: Request, env: AppEnv, ctx: ExecutionContext) {
    if (env.ENVIRONMENT !== "development") return app.fetch(request, env, ctx);
    devApp ??= createApp({ dev: true });
    return devApp.fetch(request, env, ctx);
  },
  async queue(batch: MessageBatch<unknown>, env: AppEnv, _ctx: ExecutionContext): Promise<void> {
    await consumeQueue(batch, env);
  },
} satisfies ExportedHandler<AppEnv>;
