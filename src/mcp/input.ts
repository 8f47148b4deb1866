/**
 * Tool argument schemas that never fail inside the MCP SDK. The SDK turns a failed input schema into
 * its own "Input validation error: …" text; wrapping the zod schema so that validation always
 * succeeds with a tagged result lets each tool answer like the REST API does (`invalid_request: …`,
 * the same first-issue message and the zod issues as details) while `tools/list` still advertises
 * the zod schema's JSON Schema unchanged.
 */
import type { StandardSchemaWithJSON } from "@modelcontextprotocol/server";
import type { z } from "zod";
import type { ApiError } from "../lib/errors";
import { invalidRequest } from "../lib/validation";

/** What a tool handler receives: the parsed arguments, or the contract's 400 for them. */
export type ParsedArgs<T> = { ok: true; data: T } | { ok: false; error: ApiError };

/** The zod schema's JSON Schema and a `validate` that reports failures as a value, not as issues. */
export function toolInput<S extends z.ZodType>(
  schema: S,
): StandardSchemaWithJSON<z.input<S>, ParsedArgs<z.output<S>>> {
  const own = schema["~standard"];
  return {
    "~standard": {
      version: 1,
      vendor: own.vendor,
      validate(value: unknown) {
        const result = schema.safeParse(value);
        const parsed: ParsedArgs<z.output<S>> = result.success
          ? { ok: true, data: result.data }
          : { ok: false, error: invalidRequest(result.error) };
        return { value: parsed };
      },
      jsonSchema: own.jsonSchema,
    },
  };
}
