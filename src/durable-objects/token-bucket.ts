/** A token bucket kept in the actor's SQLite storage, so it survives eviction. */
import { z } from "zod";

export interface BucketConfig {
  /** Capacity: how many requests may arrive at once. */
  burst: number;
  /** One token comes back every `refillSeconds`. */
  refillSeconds: number;
}

export interface TakeResult {
  allowed: boolean;
  /** Whole seconds until `cost` tokens are available again (0 when allowed). */
  retryAfterSeconds: number;
  remaining: number;
}

const ConfigSchema = z.object({
  burst: z.coerce.number().int().min(1).max(100_000).catch(30),
  refillSeconds: z.coerce.number().positive().max(86_400).catch(2),
});

/** Reads RATE_LIMIT_BURST / RATE_LIMIT_REFILL_SECONDS; anything unusable falls back to 30 and 2. */
export function bucketConfig(env: {
  RATE_LIMIT_BURST?: string;
  RATE_LIMIT_REFILL_SECONDS?: string;
}): BucketConfig {
  return ConfigSchema.parse({
    burst: env.RATE_LIMIT_BURST ?? 30,
    refillSeconds: env.RATE_LIMIT_REFILL_SECONDS ?? 2,
  });
}

/** The pure rule: refill by elapsed time (capped at burst), then take `cost` if there is enough. */
export function takeTokens(
  state: { tokens: number; updatedAt: number },
  cost: number,
  now: number,
  config: BucketConfig,
): { state: { tokens: number; updatedAt: number }; result: TakeResult } {
  const elapsed = Math.max(0, now - state.updatedAt);
  const tokens = Math.min(config.burst, state.tokens + elapsed / (config.refillSeconds * 1000));
  if (tokens >= cost) {
    const left = tokens - cost;
    return {
      state: { tokens: left, updatedAt: now },
      result: { allowed: true, retryAfterSeconds: 0, remaining: Math.floor(left) },
    };
  }
  const retryAfterSeconds = Math.max(1, Math.ceil((cost - tokens) * config.refillSeconds));
  return {
    state: { tokens, updatedAt: now },
    result: { allowed: false, retryAfterSeconds, remaining: Math.floor(tokens) },
  };
}

export class TokenBucket {
  constructor(
    private readonly sql: SqlStorage,
    private readonly config: BucketConfig,
  ) {
    sql.exec(`CREATE TABLE IF NOT EXISTS bucket (
      id INTEGER PRIMARY KEY CHECK (id = 1), tokens REAL NOT NULL, updated_at INTEGER NOT NULL)`);
  }

  take(cost: number, now = Date.now()): TakeResult {
    const row = this.sql
      .exec<{ tokens: number; updated_at: number }>("SELECT tokens, updated_at FROM bucket WHERE id = 1")
      .toArray()[0];
    const current = row
      ? { tokens: row.tokens, updatedAt: row.updated_at }
      : { tokens: this.config.burst, updatedAt: now };
    const { state, result } = takeTokens(current, cost, now, this.config);
    this.sql.exec(
      "INSERT INTO bucket (id, tokens, updated_at) VALUES (1, ?, ?) ON CONFLICT(id) DO UPDATE SET tokens = excluded.tokens, updated_at = excluded.updated_at",
      state.tokens,
      state.updatedAt,
    );
    return result;
  }
}
