/** Maps SDK and HTTP failures of live providers onto `ProviderError`: retryable or not, readable, secret-free. */
import { z } from "zod";
import type { ProviderId } from "../schemas/common";
import { ProviderError } from "./provider.types";

type LiveProviderId = Exclude<ProviderId, "local">;

/**
 * A 429. The workflow's retry backoff is fixed (RETRYING in picasso.workflow.ts), so it cannot wait
 * as long as the provider asks; the wait is carried here and in the message so the task's `fail`
 * event and logs show it, and so a future backoff can honour it.
 */
export class ProviderRateLimitError extends ProviderError {
  /** Seconds the provider asked to wait (`Retry-After` / `retry-after-ms`), when it said. */
  readonly retryAfterSeconds?: number;

  constructor(message: string, retryAfterSeconds: number | undefined) {
    super(message, { retryable: true, status: 429 });
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** What the mapper needs besides the error. */
export interface ErrorContext {
  provider: LiveProviderId;
  /** Values that must never appear in a message (API keys). */
  secrets: readonly string[];
  timeoutMs: number;
  /** The failed response's headers when the SDK's error does not keep them (Gemini). */
  headers?: Headers;
}

const MAX_DETAIL = 300;
/** Key-like tokens an upstream may echo back (OpenAI masks keys only partly in its 401 text). */
const KEY_PATTERNS = [/\b(?:sk|rk|pk)-[A-Za-z0-9_*.-]{4,}/g, /\bAIza[0-9A-Za-z_-]{10,}/g, /\bBearer\s+\S+/gi];

/** Removes the given secrets and anything shaped like an API key from a text. */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let clean = text;
  for (const secret of secrets) {
    if (secret.length >= 4) clean = clean.split(secret).join("[redacted]");
  }
  for (const pattern of KEY_PATTERNS) clean = clean.replace(pattern, "[redacted]");
  return clean;
}

/**
 * Seconds to wait from `retry-after-ms` (OpenAI), `Retry-After` in seconds, or `Retry-After` as an
 * HTTP date; undefined when absent or unreadable.
 */
export function retryAfterSeconds(headers: Headers | undefined, now = Date.now()): number | undefined {
  if (!headers) return undefined;
  const ms = Number(headers.get("retry-after-ms") ?? Number.NaN);
  if (Number.isFinite(ms) && ms >= 0) return Math.ceil(ms / 1000);
  const raw = headers.get("retry-after")?.trim();
  if (!raw) return undefined;
  if (/^\d+(\.\d+)?$/.test(raw)) return Math.ceil(Number(raw));
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}

/** Error bodies of both APIs: OpenAI `{ error: { message } }`, Google `{ error: { code, message, status } }`. */
const ErrorBodySchema = z.object({ error: z.object({ message: z.string() }) });
const StatusSchema = z.object({ status: z.number().int().min(100).max(599) });
const HeadersSchema = z.object({ headers: z.instanceof(Headers) });

function rawMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The upstream's own explanation: the JSON error body's message if there is one, else the text. */
function detailOf(error: unknown, secrets: readonly string[]): string {
  let text = rawMessage(error);
  try {
    const body = ErrorBodySchema.safeParse(JSON.parse(text));
    if (body.success) text = body.data.error.message;
  } catch {
    // Not JSON (the OpenAI SDK's messages are "<status> <text>"): the plain text is the detail.
  }
  text = text
    .replace(/^\d{3}\s+/, "")
    .replace(/\s+/g, " ")
    .trim();
  text = scrubSecrets(text, secrets);
  return text.length > MAX_DETAIL ? `${text.slice(0, MAX_DETAIL - 1)}…` : text;
}

/** The call outlived its per-call timeout: worth a retry. */
export function timeoutError(provider: LiveProviderId, timeoutMs: number): ProviderError {
  return new ProviderError(`${provider} did not answer within ${timeoutMs} ms`, { retryable: true });
}

/** The provider's host could not be reached (refused, reset, DNS): worth a retry. */
export function unreachableError(
  provider: LiveProviderId,
  cause: unknown,
  secrets: readonly string[],
): ProviderError {
  return new ProviderError(withDetail(`${provider} could not be reached`, detailOf(cause, secrets)), {
    retryable: true,
  });
}

function withDetail(message: string, detail: string): string {
  return detail ? `${message}: ${detail}` : message;
}

function fromStatus(status: number, error: unknown, context: ErrorContext): ProviderError {
  const { provider } = context;
  const detail = detailOf(error, context.secrets);
  if (status === 429) {
    const headers = HeadersSchema.safeParse(error).data?.headers ?? context.headers;
    const wait = retryAfterSeconds(headers);
    const after = wait === undefined ? "" : `; retry after ${wait} s`;
    return new ProviderRateLimitError(
      withDetail(`${provider} rate limited the request (HTTP 429${after})`, detail),
      wait,
    );
  }
  if (status === 408 || status >= 500) {
    return new ProviderError(withDetail(`${provider} failed with HTTP ${status}`, detail), {
      retryable: true,
      status,
    });
  }
  if (status === 401 || status === 403) {
    return new ProviderError(withDetail(`${provider} rejected the credentials (HTTP ${status})`, detail), {
      retryable: false,
      status,
    });
  }
  return new ProviderError(withDetail(`${provider} rejected the request (HTTP ${status})`, detail), {
    retryable: false,
    status,
  });
}

/**
 * Classifies any failure of a provider call: 429, 408, 5xx, timeouts, aborts and network errors are
 * retryable (the workflow retries the step; adapters never retry themselves); other 4xx, malformed
 * responses and our own validation errors are not. Every message is scrubbed of secrets.
 */
export function toProviderError(error: unknown, context: ErrorContext): ProviderError {
  const { provider, secrets } = context;
  if (error instanceof ProviderError) {
    const message = scrubSecrets(error.message, secrets);
    if (message === error.message) return error;
    return new ProviderError(message, { retryable: error.retryable, status: error.status });
  }
  const status = StatusSchema.safeParse(error).data?.status;
  if (status !== undefined) return fromStatus(status, error, context);

  const name = error instanceof Error ? error.name : "";
  if (name === "AbortError" || name === "TimeoutError") return timeoutError(provider, context.timeoutMs);
  if (name === "SyntaxError") {
    return new ProviderError(`${provider} returned malformed JSON`, { retryable: false });
  }
  // fetch reports refused connections and DNS failures as TypeError; workerd also as plain Errors.
  if (error instanceof TypeError || /network connection lost|connection refused/i.test(rawMessage(error))) {
    return unreachableError(provider, error, secrets);
  }
  return new ProviderError(withDetail(`${provider} call failed`, detailOf(error, secrets)), {
    retryable: true,
  });
}
