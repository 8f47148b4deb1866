/** Worker entry: the HTTP app, plus the Durable Object and Workflow classes wrangler.toml binds. */
import { createApp } from "./app";
import type { AppEnv } from "./lib/env";

export { PicassoDurableObject } from "./durable-objects/picasso.do";
export { PicassoWorkflow } from "./workflows/picasso.workflow";

const app = createApp();

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<AppEnv>;
