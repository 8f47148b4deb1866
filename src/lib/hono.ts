/** The Hono environment every route shares: typed bindings and per-request variables. */
import type { AppEnv } from "./env";
import type { Logger } from "./logging";

export interface AppVariables {
  requestId: string;
  logger: Logger;
  /** Set by the auth middleware on authenticated writes. */
  apiKey?: string;
}

export interface HonoEnv {
  Bindings: AppEnv;
  Variables: AppVariables;
}
