/** knowledge-pack (json): the knowledge tips the jobs applied, with usage counts and pass rates. */
import type { ProviderId } from "../../lib/vocabulary";
import type { DocumentSpec } from "../documents";
import { jsonDocument } from "../json-document";
import type { ProjectData } from "../project-data";
import type { KnowledgePack } from "./schema";

interface Usage {
  key: string;
  provider: ProviderId;
  applied: number;
  jobs: Set<string>;
  images: number;
  passed: number;
}

export function knowledgePackOf(data: ProjectData, now: number): KnowledgePack {
  const usage = new Map<string, Usage>();
  const use = (key: string, provider: ProviderId) => {
    const id = `${provider}\u0000${key}`;
    let entry = usage.get(id);
    if (!entry) {
      entry = { key, provider, applied: 0, jobs: new Set(), images: 0, passed: 0 };
      usage.set(id, entry);
    }
    return entry;
  };
  for (const job of data.jobs) {
    for (const task of job.tasks) {
      for (const key of job.refinement[task.provider]?.appliedTips ?? []) {
        const entry = use(key, task.provider);
        entry.applied++;
        entry.jobs.add(job.id);
      }
    }
  }
  // Rollbacks re-show an image: counting them again would weigh one image twice.
  for (const s of data.steps) {
    if (s.parent?.kind === "rollback" || !s.judge.judgment) continue;
    for (const key of s.appliedTips) {
      const entry = use(key, s.progression.provider);
      entry.images++;
      if (s.judge.judgment === "pass") entry.passed++;
    }
  }
  const tips = new Map(data.tips.map((t) => [t.key, t]));
  return {
    projects: data.projects.map((p) => ({ id: p.id, name: p.name })),
    tips: [...usage.values()]
      .filter((u) => u.applied > 0)
      .sort(
        (a, b) => b.applied - a.applied || a.key.localeCompare(b.key) || a.provider.localeCompare(b.provider),
      )
      .map((u) => {
        const tip = tips.get(u.key);
        const current = tip && tip.provider === u.provider ? tip : null;
        return {
          key: u.key,
          provider: u.provider,
          tip: current?.tip ?? null,
          append: current?.append ?? null,
          applied: u.applied,
          jobs: u.jobs.size,
          images: u.images,
          passed: u.passed,
          passRate: u.images > 0 ? u.passed / u.images : null,
        };
      }),
    generatedAt: now,
  };
}

export const knowledgePack: DocumentSpec = {
  id: "knowledge-pack",
  name: "Knowledge pack",
  output: "json",
  description:
    "JSON of the knowledge-base tips the projects' jobs applied: the tip, how often it was applied, and the pass rate of the images made with it.",
  async build(_input, data) {
    return jsonDocument(knowledgePackOf(data, Date.now()));
  },
};
