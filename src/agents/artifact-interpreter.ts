/**
 * Free-text understanding for the artifact agent, where the AI binding works: the reasoning model
 * reads the request with the template's placeholders and the projects' images, and answers with
 * `save_configuration` tool calls. Its choices go through the same checks as `NAME: value` lines.
 * Offline (the AI binding is remote-only) this returns null and the agent says so.
 */
import { z } from "zod";
import { isAiRemoteOnly, runAi } from "../lib/ai";
import type { AppEnv } from "../lib/env";
import { createLogger, describeError } from "../lib/logging";
import type { Progression } from "../types/domain";

const log = createLogger({ module: "artifact-interpreter" });

/** The tool the model may call; `execute` is the agent's own assignment pipeline. */
export const SAVE_CONFIGURATION_TOOL = {
  name: "save_configuration",
  description: "Fill one template placeholder. For IMAGE_* placeholders pass a progression id from the list.",
  parameters: {
    type: "object",
    properties: {
      name: { type: "string", description: "The placeholder name, e.g. HEADLINE" },
      value: { type: "string", description: "The text, URL or progression id to use" },
    },
    required: ["name", "value"],
  },
} as const;

const ModelOutputSchema = z.object({
  response: z.string().nullish(),
  tool_calls: z
    .array(
      z.object({
        name: z.string(),
        arguments: z.union([z.record(z.string(), z.unknown()), z.string()]),
      }),
    )
    .nullish(),
});

const SaveArgsSchema = z.object({
  name: z.string().regex(/^[A-Z][A-Z0-9_]*$/),
  value: z.string().min(1).max(2000),
});

export interface Interpretation {
  assignments: [string, string][];
  reply: string | null;
}

export interface InterpretInput {
  text: string;
  placeholders: string[];
  missing: string[];
  images: Pick<Progression, "id" | "prompt">[];
  history: { role: "user" | "assistant"; text: string }[];
}

function toArgs(raw: Record<string, unknown> | string): unknown {
  if (typeof raw !== "string") return raw;
  try {
    return JSON.parse(raw);
  } catch {
    return null; // a model that sends unparsable arguments made no usable call
  }
}

/** Asks the reasoning model; null when the AI binding is unavailable or answers nonsense. */
export async function interpretFreeText(env: AppEnv, input: InterpretInput): Promise<Interpretation | null> {
  const system = [
    "You help fill the placeholders of a web page template. Call save_configuration once per value the user gives or clearly asks for.",
    `Placeholders: ${input.placeholders.join(", ")}. Still missing: ${input.missing.join(", ") || "none"}.`,
    `Images (progression id: prompt): ${input.images.map((i) => `${i.id}: ${i.prompt.slice(0, 80)}`).join("; ") || "none"}.`,
    "Reply briefly in plain text.",
  ].join("\n");
  try {
    const raw = await runAi(env, env.DEFAULT_MODEL_REASONING, {
      messages: [
        { role: "system", content: system },
        ...input.history.slice(-10).map((t) => ({ role: t.role, content: t.text })),
        { role: "user", content: input.text },
      ],
      tools: [SAVE_CONFIGURATION_TOOL],
      max_tokens: 512,
    });
    const output = ModelOutputSchema.safeParse(raw);
    if (!output.success) {
      log.warn("interpreter.unexpected_output", { error: output.error.message });
      return null;
    }
    const assignments: [string, string][] = [];
    for (const call of output.data.tool_calls ?? []) {
      if (call.name !== SAVE_CONFIGURATION_TOOL.name) continue;
      const args = SaveArgsSchema.safeParse(toArgs(call.arguments));
      if (args.success) assignments.push([args.data.name, args.data.value]);
    }
    return { assignments, reply: output.data.response?.trim() || null };
  } catch (err) {
    if (!isAiRemoteOnly(err)) log.info("interpreter.unavailable", describeError(err));
    return null;
  }
}
