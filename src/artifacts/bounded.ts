import { imagesGate } from "../lib/concurrency";

/**
 * Bounded, retried work on the Images binding: it drops calls under concurrent load ("Network
 * connection lost") and they succeed when tried again, so generators and publishing go through here.
 */

/** Maps `items` with at most `limit` calls of `fn` in flight; results keep the input order. */
export async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) results[i] = await fn(items[i] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Calls `fn` up to `attempts` times, waiting a little longer after each failure; rethrows the last. */
export async function retrying<T>(fn: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= attempts) throw err;
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
  }
}

/** One Images call through the shared gate, retried (3 attempts) when the binding drops it. */
export function withImagesRetry<T>(call: () => Promise<T>): Promise<T> {
  return retrying(() => imagesGate.run(call), 3);
}
