/**
 * One MCP tool: a name, a description, a zod input schema and a function of the parsed arguments
 * and the internal REST client. Registration adds what every tool shares: arguments that fail the
 * schema answer `invalid_request: …` like the REST API, and anything thrown becomes a logged
 * `internal` tool error (never a transport failure and never an internal message).
 */
import type { CallToolResult, McpServer, ToolAnnotations } from "@modelcontextprotocol/server";
import type { z } from "zod";
import { ApiError } from "../lib/errors";
import { describeError, type Logger } from "../lib/logging";
import type { InternalApi } from "./api";
import { toolInput } from "./input";
import { toolFailure } from "./results";

export interface ToolSpec<S extends z.ZodType> {
  name: string;
  title: string;
  description: string;
  input: S;
  /** Tools that only read say so, so clients may run them without asking. */
  readOnly?: boolean;
  /** Writes that end or discard work (cancelling a job) say so, so clients may confirm first. */
  destructive?: boolean;
  run(args: z.output<S>, api: InternalApi): Promise<CallToolResult>;
}

/** A tool with its argument type erased, so tools of different shapes share one list. */
export interface Tool {
  name: string;
  register(server: McpServer, api: InternalApi, logger: Logger): void;
}

export function defineTool<S extends z.ZodType>(spec: ToolSpec<S>): Tool {
  const annotations: ToolAnnotations = spec.readOnly
    ? { readOnlyHint: true }
    : { readOnlyHint: false, destructiveHint: spec.destructive ?? false };
  return {
    name: spec.name,
    register(server, api, logger) {
      server.registerTool(
        spec.name,
        {
          title: spec.title,
          description: spec.description,
          inputSchema: toolInput(spec.input),
          annotations,
        },
        async (args) => {
          if (!args.ok) return toolFailure(api.envelope(args.error));
          try {
            return await spec.run(args.data, api);
          } catch (err) {
            logger.error("mcp_tool_failed", { tool: spec.name, ...describeError(err) });
            return toolFailure(api.envelope(new ApiError("internal", "Internal error")));
          }
        },
      );
    },
  };
}
