/** D1 access for knowledge_base: provider tips stored as JSON values. */
import { z } from "zod";
import { parseStoredJson } from "../lib/json";
import { type ProviderId, ProviderIdSchema } from "../schemas/common";
import type { KnowledgeTip } from "../types/domain";

/** The stored JSON value of a tip. */
export const TipValueSchema = z.object({
  provider: ProviderIdSchema,
  tip: z.string().min(1).max(2000),
  append: z.string().min(1).max(200).optional(),
});
export type TipValue = z.infer<typeof TipValueSchema>;

function parseTip(key: string, value: string): KnowledgeTip | null {
  const tip = parseStoredJson(value, TipValueSchema.nullable(), null, `knowledge_base.${key}`);
  return tip ? { key, ...tip } : null;
}

/** Tips ordered by key, optionally for one provider. Rows that are not valid tips are skipped (and logged). */
export async function listTips(db: D1Database, provider?: ProviderId): Promise<KnowledgeTip[]> {
  const { results } = await db
    .prepare("SELECT key, value FROM knowledge_base ORDER BY key")
    .all<{ key: string; value: string }>();
  const tips = results.map((r) => parseTip(r.key, r.value)).filter((t): t is KnowledgeTip => t !== null);
  return provider ? tips.filter((t) => t.provider === provider) : tips;
}

/** Inserts or replaces a tip. */
export async function putTip(db: D1Database, key: string, value: TipValue): Promise<void> {
  await db
    .prepare(
      "INSERT INTO knowledge_base (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    )
    .bind(key, JSON.stringify(value))
    .run();
}
