import type { JobParams } from "../jobs/params";
/** Domain types as the API shows them (camelCase; D1 columns stay snake_case in src/db). */
import type { ImageOpKind, JobStatus, Judgment, ProviderId } from "../lib/vocabulary";
import type { StoredWebhook } from "../webhooks/events";

export type { JobStatus, Judgment } from "../lib/vocabulary";

export interface Project {
  id: string;
  name: string;
  description: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface KnowledgeTip {
  key: string;
  provider: ProviderId;
  tip: string;
  append?: string;
}

export interface JobTask {
  id: string;
  jobId: string;
  ordinal: number;
  provider: ProviderId;
  variantIndex: number;
  attempt: number;
  parentTaskId: string | null;
  status: JobStatus;
  progressionId: string | null;
  skipped: "duplicate" | null;
  duplicateOf: string | null;
  error: string | null;
  refinedPrompt: string | null;
  startedAt: number | null;
  finishedAt: number | null;
  createdAt: number;
  /** Estimated USD of its provider call (src/jobs/cost.ts); null before the call or when unknown. */
  costUsd?: number | null;
}

export interface Job {
  id: string;
  projectId: string;
  /** The project's owner: with sessionId, it addresses the job's stream. */
  ownerId: string;
  sessionId: string;
  status: JobStatus;
  kind: ImageOpKind;
  prompt: string;
  variants: number;
  providers: ProviderId[];
  /** Judge-driven retries per task (0..2). */
  autoRetry: number;
  startImageUrl: string | null;
  startImageR2Key: string | null;
  parentProgressionId: string | null;
  /** The generation parameters (src/jobs/spec.ts): seed always, the rest as asked. */
  params: JobParams;
  metadata: Record<string, unknown>;
  createdAt: number;
  updatedAt: number;
  finishedAt: number | null;
  /** Last sign of life of the job's workflow (null before it started). */
  heartbeatAt: number | null;
  /** The API origin the job was submitted on (absolute image URLs). */
  origin: string | null;
  /** Where its completion webhooks go, and which events (null: none). */
  webhook: StoredWebhook | null;
}

export interface Progression {
  id: string;
  projectId: string;
  parentProgressionId: string | null;
  jobId: string | null;
  taskId: string | null;
  startImageUrl: string | null;
  prompt: string;
  refinedPrompt: string | null;
  provider: ProviderId;
  variantIndex: number | null;
  originalImageR2Key: string;
  generatedImageUrl: string;
  contentType: string | null;
  phash: string | null;
  judgment: Judgment | null;
  aiNotes: string[];
  aiTags: string[];
  providerMeta: Record<string, unknown>;
  judgeMeta: Record<string, unknown>;
  createdAt: number;
}

export interface Artifact {
  id: string;
  ownerId: string | null;
  type: string;
  title: string;
  output: "html" | "pdf" | "json" | "video" | "csv" | "image" | "text";
  status: "draft" | "published";
  publicSlug: string;
  templateR2Key: string | null;
  contentR2Key: string | null;
  contentType: string | null;
  projectIds: string[];
  configuration: Record<string, string>;
  createdAt: number;
  updatedAt: number;
}
