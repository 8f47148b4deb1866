/** The one validation wrapper: zod failures become 400 invalid_request with the issues as details. */
import type { ZodError } from "zod";
import { ApiError } from "./errors";

export interface IssueDetail {
  code: string;
  path: (string | number)[];
  message: string;
}

/** Turns a ZodError into the contract's 400 with a readable first message ("prompt: Required"). */
export function invalidRequest(error: ZodError, where?: string): ApiError {
  const details: IssueDetail[] = error.issues.map((issue) => ({
    code: issue.code,
    path: issue.path.map((p) => (typeof p === "symbol" ? String(p) : p)),
    message: issue.message,
  }));
  const first = details[0];
  const path = first && first.path.length > 0 ? first.path.join(".") : where;
  const message = first ? (path ? `${path}: ${first.message}` : first.message) : "Invalid request";
  return new ApiError("invalid_request", message, { details });
}

/** Parses untrusted data with a schema, throwing the contract's 400 on failure. */
export function parseOr400<T>(
  schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: ZodError } },
  value: unknown,
  where?: string,
): T {
  const result = schema.safeParse(value);
  if (!result.success) throw invalidRequest(result.error, where);
  return result.data;
}
