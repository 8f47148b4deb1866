/** D1 access for image_progressions: inserts, reads, filtered keyset listing, pHash candidates. */
import { z } from "zod";
import { type Cursor, paginate } from "../lib/cursor";
import { parseStoredJson } from "../lib/json";
import { ProviderIdSchema } from "../schemas/common";
import type { ProgressionQuery } from "../schemas/progressions";
import type { Progression } from "../types/domain";

/** An `image_progressions` row as D1 returns it. */
export interface ProgressionRow {
  id: string;
  project_id: string;
  parent_progression_id: string | null;
  job_id: string | null;
  task_id: string | null;
  start_image_url: string | null;
  prompt: string;
  refined_prompt: string | null;
  ai_provider: string;
  variant_index: number | null;
  original_image_r2_key: string;
  generated_image_url: string;
  content_type: string | null;
  phash: string | null;
  judgment: "pass" | "fail" | null;
  ai_notes: string;
  ai_tags: string;
  provider_meta: string;
  judge_meta: string;
  created_at: number;
}

const Strings = z.array(z.string());
const Meta = z.record(z.string(), z.unknown());

/** A progression row as the domain type (JSON columns parsed with zod). */
export function toProgression(row: ProgressionRow): Progression {
  return {
    id: row.id,
    projectId: row.project_id,
    parentProgressionId: row.parent_progression_id,
    jobId: row.job_id,
    taskId: row.task_id,
    startImageUrl: row.start_image_url,
    prompt: row.prompt,
    refinedPrompt: row.refined_prompt,
    provider: ProviderIdSchema.parse(row.ai_provider),
    variantIndex: row.variant_index,
    originalImageR2Key: row.original_image_r2_key,
    generatedImageUrl: row.generated_image_url,
    contentType: row.content_type,
    phash: row.phash,
    judgment: row.judgment,
    aiNotes: parseStoredJson(row.ai_notes, Strings, [], "ai_notes"),
    aiTags: parseStoredJson(row.ai_tags, Strings, [], "ai_tags"),
    providerMeta: parseStoredJson(row.provider_meta, Meta, {}, "provider_meta"),
    judgeMeta: parseStoredJson(row.judge_meta, Meta, {}, "judge_meta"),
    createdAt: row.created_at,
  };
}

/** The public shape (CONTRACT.md): internal columns such as taskId and contentType stay inside. */
export function toApiProgression(p: Progression) {
  const { taskId: _taskId, contentType: _contentType, ...api } = p;
  return api;
}

export function insertProgressionStatement(db: D1Database, p: Progression): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO image_progressions (id, project_id, parent_progression_id, job_id, task_id, start_image_url, prompt,
         refined_prompt, ai_provider, variant_index, original_image_r2_key, generated_image_url, content_type, phash,
         judgment, ai_notes, ai_tags, provider_meta, judge_meta, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(id) DO NOTHING`, // ids are derived per task: a replayed insert finds its own row
    )
    .bind(
      p.id,
      p.projectId,
      p.parentProgressionId,
      p.jobId,
      p.taskId,
      p.startImageUrl,
      p.prompt,
      p.refinedPrompt,
      p.provider,
      p.variantIndex,
      p.originalImageR2Key,
      p.generatedImageUrl,
      p.contentType,
      p.phash,
      p.judgment,
      JSON.stringify(p.aiNotes),
      JSON.stringify(p.aiTags),
      JSON.stringify(p.providerMeta),
      JSON.stringify(p.judgeMeta),
      p.createdAt,
    );
}

/**
 * A progression of a live project (not being deleted). With `ownerId`, only one of that owner's
 * (another owner's id reads like an unknown one); without it (the workflow, /images, publishing), any.
 */
export async function getProgression(
  db: D1Database,
  id: string,
  ownerId?: string,
): Promise<Progression | null> {
  const row = await (ownerId === undefined
    ? db
        .prepare(
          `SELECT ip.* FROM image_progressions ip JOIN projects p ON p.id = ip.project_id
           WHERE ip.id = ? AND p.deleted_at IS NULL`,
        )
        .bind(id)
    : db
        .prepare(
          `SELECT ip.* FROM image_progressions ip JOIN projects p ON p.id = ip.project_id
           WHERE ip.id = ? AND p.owner_id = ? AND p.deleted_at IS NULL`,
        )
        .bind(id, ownerId)
  ).first<ProgressionRow>();
  return row ? toProgression(row) : null;
}

/**
 * The listing's SQL and arguments: newest first, keyset-paged on (created_at, id) so a page costs
 * the same at any depth (the (project_id, created_at, id) index, migration 0006; asserted with EXPLAIN QUERY PLAN).
 */
export function listProgressionsQuery(
  projectId: string,
  q: ProgressionQuery,
  after: Cursor | null,
): { sql: string; args: (string | number)[] } {
  const where = ["project_id = ?"];
  const args: (string | number)[] = [projectId];
  if (q.query) {
    // instr on lower() is a literal substring match: no LIKE wildcards to escape.
    where.push("(instr(lower(prompt), lower(?)) > 0 OR instr(lower(ai_notes), lower(?)) > 0)");
    args.push(q.query, q.query);
  }
  for (const tag of q.tags ?? []) {
    where.push("EXISTS (SELECT 1 FROM json_each(image_progressions.ai_tags) WHERE lower(value) = lower(?))");
    args.push(tag);
  }
  if (q.judgment) {
    where.push("judgment = ?");
    args.push(q.judgment);
  }
  if (q.provider) {
    where.push("ai_provider = ?");
    args.push(q.provider);
  }
  if (after) {
    // A row value, not an OR: SQLite turns it into a range on the index, so a deep page starts
    // where the cursor points instead of walking the newer rows to get there.
    where.push("(created_at, id) < (?, ?)");
    args.push(after.t, after.id);
  }
  const sql = `SELECT * FROM image_progressions WHERE ${where.join(" AND ")} ORDER BY created_at DESC, id DESC LIMIT ?`;
  return { sql, args: [...args, q.limit + 1] };
}

/** Newest first, keyset-paged on (created_at, id), with the contract's filters. */
export async function listProgressions(
  db: D1Database,
  projectId: string,
  q: ProgressionQuery,
  after: Cursor | null,
): Promise<{ items: Progression[]; nextCursor: string | null }> {
  const { sql, args } = listProgressionsQuery(projectId, q, after);
  const { results } = await db
    .prepare(sql)
    .bind(...args)
    .all<ProgressionRow>();
  return paginate(results.map(toProgression), q.limit, (p) => ({ t: p.createdAt, id: p.id }));
}

/** Removes a progression its task did not keep (the task was cancelled while it was being recorded). */
export async function discardProgression(db: D1Database, id: string, taskId: string): Promise<void> {
  await db
    .prepare(
      `DELETE FROM image_progressions WHERE id = ?
         AND NOT EXISTS (SELECT 1 FROM job_tasks WHERE id = ? AND progression_id = ?)`,
    )
    .bind(id, taskId, id)
    .run();
}

/** The ids of a project's progressions whose image is `originalKey` (a step and its rollbacks). */
export async function progressionsWithOriginal(
  db: D1Database,
  projectId: string,
  originalKey: string,
): Promise<string[]> {
  const { results } = await db
    .prepare("SELECT id FROM image_progressions WHERE project_id = ? AND original_image_r2_key = ?")
    .bind(projectId, originalKey)
    .all<{ id: string }>();
  return results.map((r) => r.id);
}
