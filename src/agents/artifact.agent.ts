/**
 * The Artifact agent (`customize`): a chat turn that fills a template's placeholders. It always
 * understands `NAME: value` lines (an IMAGE_* value may be a progression id, which becomes that
 * image's delivery URL), keeps the conversation in AGENTIC_MEMORIES per artifact and session, saves
 * every choice to artifact_configurations, and renders and publishes once nothing is missing.
 */
import { z } from "zod";
import { loadTemplate, missingOf, publicUrl } from "../artifacts/render";
import type { AppEnv } from "../lib/env";
import { isHttpUrl } from "../lib/html";
import type { Artifact } from "../types/domain";
import { interpretFreeText } from "./artifact-interpreter";
import {
  findArtifactImage,
  getImagesForProject,
  getProjectsForArtifact,
  renderArtifactTool,
  saveConfiguration,
} from "./tools/artifacts";

const MEMORY_TTL_SECONDS = 7 * 24 * 3600;
const MAX_TURNS_KEPT = 40;
const MAX_VALUE = 2000;

const MemorySchema = z.object({
  turns: z.array(z.object({ role: z.enum(["user", "assistant"]), text: z.string(), ts: z.number() })),
});
type Memory = z.infer<typeof MemorySchema>;

export const memoryKey = (artifactId: string, sessionId: string) =>
  `artifact:${artifactId}:session:${sessionId}`;

export interface CustomizeResult {
  reply: string;
  placeholders: { name: string; filled: boolean; value?: string }[];
  done: boolean;
  artifact: Artifact;
}

/** `NAME: value` lines; the rest is free text. */
export function parseAssignments(input: string): { assignments: [string, string][]; freeText: string[] } {
  const assignments: [string, string][] = [];
  const freeText: string[] = [];
  for (const line of input.split(/\r?\n/)) {
    const m = /^\s*([A-Z][A-Z0-9_]*)\s*[:=]\s*(.+?)\s*$/.exec(line);
    if (m?.[1] && m[2]) assignments.push([m[1], m[2]]);
    else if (line.trim() !== "") freeText.push(line.trim());
  }
  return { assignments, freeText };
}

async function readMemory(env: AppEnv, key: string): Promise<Memory> {
  const raw = await env.AGENTIC_MEMORIES.get(key, "json");
  const parsed = MemorySchema.safeParse(raw);
  return parsed.success ? parsed.data : { turns: [] };
}

export async function customizeTurn(
  env: AppEnv,
  artifact: Artifact,
  sessionId: string,
  input: string,
  origin: string,
): Promise<CustomizeResult> {
  const key = memoryKey(artifact.id, sessionId);
  const memory = await readMemory(env, key);
  const template = await loadTemplate(env, artifact);
  const placeholders = new Set(template.placeholders);
  const parsed = parseAssignments(input);
  const { freeText } = parsed;
  let assignments = parsed.assignments;
  let modelReply: string | null = null;
  let understoodFreeText = freeText.length === 0;
  if (freeText.length > 0) {
    const projects = await getProjectsForArtifact(env, artifact);
    const images = (await Promise.all(projects.map((p) => getImagesForProject(env, p.id, 5)))).flat();
    const interpretation = await interpretFreeText(env, {
      text: freeText.join("\n"),
      placeholders: template.placeholders,
      missing: missingOf(artifact),
      images,
      history: memory.turns,
    });
    if (interpretation) {
      understoodFreeText = true;
      assignments = [...assignments, ...interpretation.assignments];
      modelReply = interpretation.reply;
    }
  }

  const saved: Record<string, string> = {};
  const problems: string[] = [];
  for (const [name, rawValue] of assignments) {
    const value = rawValue.slice(0, MAX_VALUE);
    if (!placeholders.has(name)) {
      problems.push(`${name} is not a placeholder of this template`);
      continue;
    }
    if (name.startsWith("IMAGE_") && !isHttpUrl(value)) {
      const image = await findArtifactImage(env, artifact, value);
      if (!image) {
        problems.push(`${name}: ${value} is neither an image of this artifact's projects nor an http(s) URL`);
        continue;
      }
      saved[name] = `${origin}/images/${image.id}?w=1200&format=auto`;
      continue;
    }
    if (template.contexts.get(name) === "url" && !isHttpUrl(value)) {
      problems.push(`${name} goes into a link or image address: give an http(s) URL`);
      continue;
    }
    saved[name] = value;
  }
  await saveConfiguration(env, artifact.id, saved);
  const rendered = await renderArtifactTool(
    env,
    { ...artifact, configuration: { ...artifact.configuration, ...saved } },
    origin,
  );

  const stillMissing = missingOf(rendered);
  const done = rendered.status === "published" && stillMissing.length === 0;
  const reply = await composeReply(env, rendered, origin, {
    saved,
    problems,
    understoodFreeText,
    modelReply,
    missing: stillMissing,
    done,
  });

  const now = Date.now();
  const turns = [
    ...memory.turns,
    { role: "user" as const, text: input, ts: now },
    { role: "assistant" as const, text: reply, ts: now },
  ];
  await env.AGENTIC_MEMORIES.put(key, JSON.stringify({ turns: turns.slice(-MAX_TURNS_KEPT) }), {
    expirationTtl: MEMORY_TTL_SECONDS,
  });

  return {
    reply,
    placeholders: template.placeholders.map((name) => {
      const value = rendered.configuration[name];
      return { name, filled: !stillMissing.includes(name), ...(value !== undefined ? { value } : {}) };
    }),
    done,
    artifact: rendered,
  };
}

async function composeReply(
  env: AppEnv,
  artifact: Artifact,
  origin: string,
  turn: {
    saved: Record<string, string>;
    problems: string[];
    understoodFreeText: boolean;
    modelReply: string | null;
    missing: string[];
    done: boolean;
  },
): Promise<string> {
  const parts: string[] = turn.modelReply ? [turn.modelReply] : [];
  const savedNames = Object.keys(turn.saved);
  if (savedNames.length > 0) parts.push(`Saved ${savedNames.join(", ")}.`);
  for (const problem of turn.problems) parts.push(`Not saved: ${problem}.`);
  if (!turn.understoodFreeText) {
    parts.push(
      "I understand lines of the form NAME: value (free-form requests need the AI binding, which this deployment cannot reach).",
    );
  }
  if (turn.done) {
    parts.push(`Everything is filled: the artifact is published at ${publicUrl(origin, artifact)}.`);
    return parts.join(" ");
  }
  parts.push(`Still missing: ${turn.missing.join(", ")}.`);
  if (turn.missing.some((m) => m.startsWith("IMAGE_"))) {
    const projects = await getProjectsForArtifact(env, artifact);
    const suggestions = (await Promise.all(projects.map((p) => getImagesForProject(env, p.id, 3))))
      .flat()
      .slice(0, 5);
    if (suggestions.length > 0) {
      parts.push(
        `Images you can use (give the id): ${suggestions.map((s) => `${s.id} "${s.prompt.slice(0, 60)}"`).join("; ")}.`,
      );
    }
  }
  const example = turn.missing[0];
  if (example)
    parts.push(`For example: ${example}: ${example.startsWith("IMAGE_") ? "<progression id>" : "<text>"}`);
  return parts.join(" ");
}
