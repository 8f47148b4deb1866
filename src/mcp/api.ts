/**
 * The MCP tools' only way to do anything: a request to the app's own REST routes, as the caller.
 * Each tool call becomes an ordinary request (the caller's key, client IP and request id, a JSON
 * body) through the whole app, so validation, auth, idempotency, rate limits and error mapping are
 * the REST API's own and there is no second implementation of any of them.
 */
import { z } from "zod";
import type { AppEnv } from "../lib/env";
import { type ApiError, type ErrorBody, errorBody } from "../lib/errors";
import { ErrorSchema } from "../schemas/common";

/** The app's fetch, handed in by createApp, so this module never imports src/app.ts. */
export type AppFetch = (request: Request, env: AppEnv, ctx: ExecutionContext) => Response | Promise<Response>;

/** Who is calling, taken from the MCP request once. */
export interface Caller {
  key: string;
  /** The origin the client used, so URLs in answers (statusUrl, publicUrl…) point where it can go. */
  origin: string;
  clientIp: string | null;
  requestId: string;
}

export interface ApiRequest {
  method: "GET" | "POST";
  path: string;
  query?: Record<string, string | number | undefined>;
  /** Serialized as JSON; POSTs without one (and without `raw`) send `{}` (the routes that take no body want JSON). */
  body?: unknown;
  /** Bytes sent as they are with their Content-Type instead of a JSON body (POST /api/uploads). */
  raw?: { bytes: Uint8Array; contentType: string };
  headers?: Record<string, string>;
}

/** A JSON answer: the route's own body on 2xx, its error envelope otherwise. */
export type ApiOutcome =
  | { ok: true; status: number; headers: Headers; body: Record<string, unknown> }
  | { ok: false; envelope: ErrorBody };

const JsonObject = z.record(z.string(), z.unknown());

/** The REST API, seen from inside one MCP request. */
export interface InternalApi {
  /** The raw response (for routes that answer with bytes, e.g. /images). */
  fetch(request: ApiRequest): Promise<Response>;
  /** A JSON route's outcome. */
  json(request: ApiRequest): Promise<ApiOutcome>;
  /** An envelope for an error raised before any route ran (tool argument validation). */
  envelope(error: ApiError): ErrorBody;
  /** Reads an error response into the contract's envelope (any non-2xx). */
  failure(response: Response): Promise<ErrorBody>;
}

export function internalApi(
  appFetch: AppFetch,
  env: AppEnv,
  ctx: ExecutionContext,
  caller: Caller,
): InternalApi {
  const envelope = (error: ApiError): ErrorBody => errorBody(error, caller.requestId);

  const fetch = async (request: ApiRequest): Promise<Response> => {
    const url = new URL(request.path, caller.origin);
    for (const [name, value] of Object.entries(request.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    const headers = new Headers(request.headers);
    headers.set("x-api-key", caller.key);
    // One id for the MCP request and every route call it makes, so their log lines join up.
    headers.set("x-request-id", caller.requestId);
    if (caller.clientIp) headers.set("cf-connecting-ip", caller.clientIp);
    let body: string | Uint8Array | undefined;
    if (request.raw) {
      body = request.raw.bytes;
      headers.set("content-type", request.raw.contentType);
    } else if (request.method === "POST") {
      body = JSON.stringify(request.body ?? {});
      headers.set("content-type", "application/json");
    }
    return appFetch(new Request(url, { method: request.method, headers, body }), env, ctx);
  };

  const failure = async (response: Response): Promise<ErrorBody> => {
    const parsed = ErrorSchema.safeParse(await response.json().catch(() => null));
    if (parsed.success) return parsed.data;
    // Every route answers errors in the envelope; anything else is a bug worth naming, not hiding.
    return {
      error: {
        code: "internal",
        message: `Unexpected HTTP ${response.status} without an error envelope`,
        details: [],
        requestId: caller.requestId,
      },
    };
  };

  const json = async (request: ApiRequest): Promise<ApiOutcome> => {
    const response = await fetch(request);
    if (!response.ok) return { ok: false, envelope: await failure(response) };
    const body = JsonObject.safeParse(await response.json().catch(() => null));
    if (body.success)
      return { ok: true, status: response.status, headers: response.headers, body: body.data };
    return {
      ok: false,
      envelope: {
        error: {
          code: "internal",
          message: `${request.method} ${request.path} did not answer with a JSON object`,
          details: [],
          requestId: caller.requestId,
        },
      },
    };
  };

  return { fetch, json, envelope, failure };
}
