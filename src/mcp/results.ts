/**
 * REST outcomes as MCP tool results. Success: the route's JSON as `structuredContent`, a one-line
 * summary for the assistant and, as the MCP spec asks of tools with structured content, the same
 * JSON serialized in a text block for clients that only read `content`. Failure: `isError` with
 * `"<code>: <message>"` and the contract's envelope as `structuredContent`.
 */
import type { CallToolResult, ContentBlock } from "@modelcontextprotocol/server";
import type { ErrorBody } from "../lib/errors";
import type { ApiOutcome } from "./api";

export function toolSuccess(
  body: Record<string, unknown>,
  summary: string,
  extra: ContentBlock[] = [],
): CallToolResult {
  return {
    content: [{ type: "text", text: summary }, ...extra, { type: "text", text: JSON.stringify(body) }],
    structuredContent: body,
  };
}

export function toolFailure(envelope: ErrorBody): CallToolResult {
  return {
    content: [{ type: "text", text: `${envelope.error.code}: ${envelope.error.message}` }],
    structuredContent: { ...envelope },
    isError: true,
  };
}

/** Maps a JSON outcome, reading the body with the route's response schema only for the summary. */
export function fromOutcome<T>(
  outcome: ApiOutcome,
  schema: { safeParse(value: unknown): { success: true; data: T } | { success: false } },
  summarize: (body: T) => string,
): CallToolResult {
  if (!outcome.ok) return toolFailure(outcome.envelope);
  const typed = schema.safeParse(outcome.body);
  // The structured result is always the route's JSON as it came; only the summary needs the types.
  const summary = typed.success ? summarize(typed.data) : `Done (HTTP ${outcome.status}).`;
  return toolSuccess(outcome.body, summary);
}
