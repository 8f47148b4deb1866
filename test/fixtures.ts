/** Test fixtures: real PNGs rendered by the Images binding, and progression rows with their originals. */
import { env } from "cloudflare:workers";
import { insertProgressionStatement } from "../src/db/progressions";
import type { AppEnv } from "../src/lib/env";
import { newId } from "../src/lib/ids";
import type { Progression } from "../src/types/domain";

const appEnv = env as unknown as AppEnv;

/** A real PNG of a two-colour diagonal gradient. */
export async function renderPng(from = "#0a7", to = "#fc3", size = 256): Promise<Uint8Array> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}">
    <defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="${from}"/><stop offset="1" stop-color="${to}"/></linearGradient></defs>
    <rect width="100%" height="100%" fill="url(#g)"/><circle cx="${size / 3}" cy="${size / 3}" r="${size / 5}" fill="#fff"/></svg>`;
  const result = await appEnv.IMAGES.input(new Blob([svg]).stream()).output({ format: "image/png" });
  return new Uint8Array(await new Response(result.image()).arrayBuffer());
}

/** Inserts a progression (and its R2 original) with sensible defaults. */
export async function seedProgression(
  projectId: string,
  overrides: Partial<Progression> = {},
): Promise<Progression> {
  const id = overrides.id ?? newId();
  const key = overrides.originalImageR2Key ?? `project/${projectId}/fixtures/${id}`;
  await appEnv.BUCKET.put(key, await renderPng(), { httpMetadata: { contentType: "image/png" } });
  const progression: Progression = {
    id,
    projectId,
    parentProgressionId: null,
    jobId: null,
    taskId: null,
    startImageUrl: null,
    prompt: "a fixture",
    refinedPrompt: null,
    provider: "local",
    variantIndex: 0,
    originalImageR2Key: key,
    generatedImageUrl: `http://picasso.test/images/${id}`,
    contentType: "image/png",
    phash: "0123456789abcdef",
    judgment: "pass",
    aiNotes: [],
    aiTags: [],
    providerMeta: { mode: "offline" },
    judgeMeta: { judge: "heuristic" },
    createdAt: Date.now(),
    ...overrides,
  };
  await insertProgressionStatement(appEnv.DB, progression).run();
  return progression;
}

/** A verdict, as a test forces one onto a task's `generate` step. */
export interface ForcedVerdict {
  judgment: "pass" | "fail";
  notes: string[];
  tags: string[];
  retrySuggestion?: string;
  judgeMeta: Record<string, unknown>;
}

/**
 * A recorded result for a task's `generate` step (for `mockStepResult({ name: "generate local#0" })`):
 * a real PNG stored under the project, analysed with `verdict`. The generate step analyses the bytes
 * it made, so forcing a verdict means standing in for the whole step.
 */
export async function judgedGeneration(
  projectId: string,
  verdict: ForcedVerdict,
  phash = "ffffffffffffffff",
) {
  const key = `project/${projectId}/fixtures/judged-${newId()}`;
  await appEnv.BUCKET.put(key, await renderPng("#222", "#333"), {
    httpMetadata: { contentType: "image/png" },
  });
  return {
    key,
    contentType: "image/png",
    providerMeta: { mode: "offline", model: "local-svg-v3" },
    analysis: { phash, duplicate: null, verdict },
  };
}
