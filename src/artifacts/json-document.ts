/** The built content of a JSON document type: the value pretty-printed, with a final newline. */
import type { BuiltContent } from "./types";

export const jsonDocument = (value: unknown): BuiltContent => ({
  body: `${JSON.stringify(value, null, 2)}\n`,
  contentType: "application/json; charset=utf-8",
});
