/**
 * The product's vocabularies, each owned here once: providers, image operation kinds, job and task
 * statuses, judgments. Every other list, type and schema derives from these (`z.enum` → type).
 */
import { z } from "zod";

export const ProviderIds = z.enum(["openai", "gemini", "workers", "local"]);
export type ProviderId = z.infer<typeof ProviderIds>;

export const ImageOpKinds = z.enum(["generate", "edit", "inpaint", "outpaint", "variation", "upscale"]);
export type ImageOpKind = z.infer<typeof ImageOpKinds>;
export const IMAGE_OP_KINDS = ImageOpKinds.options;

/** A job's and a task's status share one vocabulary. */
export const JobStatuses = z.enum(["queued", "running", "complete", "failed", "cancelled"]);
export type JobStatus = z.infer<typeof JobStatuses>;

/** Statuses a job or task never leaves. */
export const TERMINAL_STATUSES = ["complete", "failed", "cancelled"] as const satisfies readonly JobStatus[];
/** Statuses of work not yet finished. */
export const UNFINISHED_STATUSES = ["queued", "running"] as const satisfies readonly JobStatus[];
export const isTerminal = (status: JobStatus): boolean =>
  (TERMINAL_STATUSES as readonly JobStatus[]).includes(status);

export const Judgments = z.enum(["pass", "fail"]);
export type Judgment = z.infer<typeof Judgments>;
