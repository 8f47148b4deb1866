/** The Hono environment every route shares: typed bindings and per-request variables. */
import type { Principal } from "../auth/scopes";
import type { AppEnv } from "./env";
import type { Logger } from "./logging";

export interface AppVariables {
  requestId: string;
  logger: Logger;
  /** The caller, set by the auth middleware (src/auth/middleware.ts) on every /api/* request and /mcp. */
  principal?: Principal;
  /** The key as presented (MCP forwards it to the routes its tools call); never logged. */
  apiKey?: string;
}

export interface HonoEnv {
  Bindings: AppEnv;
  Variables: AppVariables;
}
