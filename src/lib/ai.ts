/**
 * The one way the app calls Workers AI. The AI binding has no local emulation: under local
 * development (`wrangler dev --local`, the test pool) every call throws "Binding AI needs to be run
 * remotely", and workerd prints that exception with a stack from the binding's proxy worker even when
 * our code catches it. So locally the binding is not called at all: `runAi` throws an
 * `AiUnavailableError` of its own, logged once per isolate as one line, and each caller takes its
 * offline path (the heuristic judge, rule-based refinement, the `workers` provider's offline error)
 * and says so in its metadata. `AI_REMOTE=true` calls the binding locally too (a remote dev session).
 */
import type { AppEnv } from "./env";
import { createLogger, errorMessage, logOnce } from "./logging";

/** Local runs: `npm run dev` (.dev.vars) and the test pool set these. */
export const isLocalEnvironment = (env: Pick<AppEnv, "ENVIRONMENT">): boolean =>
  env.ENVIRONMENT === "development" || env.ENVIRONMENT === "test";

/** Whether the AI binding can answer here. */
export const aiAvailable = (env: Pick<AppEnv, "ENVIRONMENT" | "AI_REMOTE">): boolean =>
  !isLocalEnvironment(env) || env.AI_REMOTE === "true";

export const AI_REMOTE_ONLY_MESSAGE = "the AI binding is remote-only: it runs on a deployment, not locally";

export class AiUnavailableError extends Error {
  override name = "AiUnavailableError";
  constructor() {
    super(AI_REMOTE_ONLY_MESSAGE);
  }
}

/** Ours, or the platform's own answer (a local binding called with AI_REMOTE=true but no session). */
export const isAiRemoteOnly = (err: unknown): boolean =>
  err instanceof AiUnavailableError || /needs to be run remotely/i.test(errorMessage(err));

const log = createLogger({ module: "ai" });

/**
 * Throws `AiUnavailableError` (logged once per isolate) where the binding cannot run, so a caller
 * can skip preparing a model's inputs (an image rendition) that would never be sent.
 */
export function requireAi(env: AppEnv): void {
  if (aiAvailable(env)) return;
  logOnce(log, "ai.remote_only", { note: `${AI_REMOTE_ONLY_MESSAGE}; offline paths are used` });
  throw new AiUnavailableError();
}

/** `env.AI.run`, or `AiUnavailableError` without touching the binding where it cannot run. */
export async function runAi(
  env: AppEnv,
  model: string,
  inputs: unknown,
  options?: AiOptions,
): Promise<unknown> {
  requireAi(env);
  // `return await`: a bare rejected promise handed on is "unhandled" for a tick in workerd's eyes.
  return await env.AI.run(model as Parameters<Ai["run"]>[0], inputs as never, options);
}
