/** createApp(): the Hono app with its middleware, error handling and one sub-app per resource. */

import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { authenticate } from "./auth/middleware";
import { keysRoutes } from "./auth/routes";
import { streamTokenRoutes } from "./auth/stream-token-routes";
import { deletionRoutes } from "./deletion/routes";
import { devObjectRoutes } from "./dev/objects";
import { devRoutes } from "./dev/routes";
import { ApiError, errorBody } from "./lib/errors";
import type { HonoEnv } from "./lib/hono";
import { createLogger, describeError } from "./lib/logging";
import { createRouter, describeApi } from "./lib/openapi";
import { mcpRoutes } from "./mcp/route";
import { corsAllowlist } from "./middleware/cors";
import { requestContext } from "./middleware/request-context";
import { artifactsRoutes } from "./routes/artifacts";
import { healthRoutes } from "./routes/health";
import { imagesRoutes } from "./routes/images";
import { jobsRoutes } from "./routes/jobs";
import { knowledgeRoutes } from "./routes/knowledge";
import { preferencesRoutes } from "./routes/preferences";
import { progressionsRoutes } from "./routes/progressions";
import { projectsRoutes } from "./routes/projects";
import { providersRoutes } from "./routes/providers";
import { publicRoutes } from "./routes/public";
import { streamRoutes } from "./routes/stream";
import { templatesRoutes } from "./routes/templates";
import { uploadsRoutes } from "./uploads/routes";

/** The policy of static HTML (public/_headers says the same for files the assets layer serves). */
export const STATIC_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'sha256-RwKz/ej7JbjYNov4LuWVIUWdMasJ8KPr9ZniNgXAcDA='; img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/** An asset re-wrapped (fetched headers are immutable) with the static CSP on HTML that has none. */
function withStaticCsp(asset: Response): Response {
  const res = new Response(asset.body, asset);
  if (res.headers.get("content-type")?.startsWith("text/html") && !res.headers.has("content-security-policy"))
    res.headers.set("Content-Security-Policy", STATIC_CSP);
  return res;
}

/** Maps anything thrown to the contract's envelope: own error → HTTPException → logged 500. */
function toApiError(err: unknown, c: Context<HonoEnv>): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof HTTPException) {
    if (err.status === 400) return new ApiError("invalid_request", err.message || "Malformed request");
    if (err.status === 413) return new ApiError("payload_too_large", "Request body too large");
    if (err.status === 401) return new ApiError("unauthorized", "Unauthorized");
    if (err.status === 403) return new ApiError("forbidden", "Forbidden");
    if (err.status === 404) return new ApiError("not_found", "Not found");
  }
  const logger = c.get("logger") ?? createLogger();
  logger.error("unhandled_error", { method: c.req.method, path: c.req.path, ...describeError(err) });
  return new ApiError("internal", "Internal error");
}

/** The app; `dev` mounts the development-only tools under /api/dev (ENVIRONMENT=development only). */
export function createApp({ dev = false }: { dev?: boolean } = {}) {
  const app = createRouter();

  app.use("*", requestContext);
  // Before auth, so an allowed browser origin can read a 401.
  app.use("*", corsAllowlist);
  // Every /api/* request names its caller (401 otherwise); each route's `scope` says what it needs.
  app.use("/api/*", authenticate());

  app.route("/health", healthRoutes);
  app.route("/api/projects", projectsRoutes);
  app.route("/api", jobsRoutes);
  app.route("/api", progressionsRoutes);
  app.route("/api", artifactsRoutes);
  app.route("/api/templates", templatesRoutes);
  app.route("/api/uploads", uploadsRoutes);
  app.route("/images", imagesRoutes);
  app.route("/public", publicRoutes);
  app.route("/api/knowledge", knowledgeRoutes);
  app.route("/api/providers", providersRoutes);
  app.route("/api/preferences", preferencesRoutes);
  app.route("/api/stream", streamRoutes);
  app.route("/api/stream-tokens", streamTokenRoutes);
  app.route("/api/keys", keysRoutes);
  app.route("/api", deletionRoutes);
  app.route("/mcp", mcpRoutes(app.fetch));
  if (dev) {
    app.route("/api/dev", devRoutes);
    app.route("/api/dev", devObjectRoutes);
  }

  describeApi(app);
  // The rendered reference: Swagger UI from public/docs (same origin), at /docs without a redirect.
  app.get("/docs", async (c) => {
    const page = await c.env.ASSETS.fetch(new Request(new URL("/docs/", c.req.url), c.req.raw));
    return withStaticCsp(page);
  });

  app.notFound(async (c) => {
    // Anything that is not an API route may be a static file from public/.
    if ((c.req.method === "GET" || c.req.method === "HEAD") && !c.req.path.startsWith("/api/")) {
      const asset = await c.env.ASSETS.fetch(c.req.raw);
      if (asset.status !== 404) return withStaticCsp(asset);
    }
    const error = new ApiError("not_found", `No route for ${c.req.method} ${c.req.path}`);
    return c.json(errorBody(error, c.get("requestId")), error.status);
  });

  app.onError((err, c) => {
    const error = toApiError(err, c);
    for (const [name, value] of Object.entries(error.headers)) c.header(name, value);
    return c.json(errorBody(error, c.get("requestId") ?? "unknown"), error.status);
  });

  return app;
}
