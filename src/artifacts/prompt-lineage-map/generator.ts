/** prompt-lineage-map (json): the lineage graph, nodes in parents-first order and typed parent edges. */
import type { DocumentSpec } from "../documents";
import { jsonDocument } from "../json-document";
import type { ProjectData } from "../project-data";
import type { PromptLineageMap } from "./schema";

export function lineageMap(data: ProjectData, now: number): PromptLineageMap {
  return {
    projects: data.projects.map((p) => ({ id: p.id, name: p.name })),
    nodes: data.steps.map(({ step, progression: p }) => ({
      id: p.id,
      parentId: p.parentProgressionId,
      projectId: p.projectId,
      step,
      prompt: p.prompt,
      refinedPrompt: p.refinedPrompt,
      provider: p.provider,
      judgment: p.judgment,
      jobId: p.jobId,
      createdAt: p.createdAt,
    })),
    // A link to a step outside these projects has no node to point at, so it is left out.
    edges: data.steps.flatMap(({ progression: p, parent }) =>
      parent && parent.step !== null ? [{ from: parent.id, to: p.id, kind: parent.kind }] : [],
    ),
    generatedAt: now,
  };
}

export const promptLineageMap: DocumentSpec = {
  id: "prompt-lineage-map",
  name: "Prompt lineage map",
  output: "json",
  description:
    "JSON graph of the lineage: every progression a node (prompt, provider, verdict), every parent link an edge typed continue, rollback or retry.",
  async build(_input, data) {
    return jsonDocument(lineageMap(data, Date.now()));
  },
};
