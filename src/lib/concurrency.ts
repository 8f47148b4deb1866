/**
 * A per-isolate bound on concurrent work. Under a burst (25 jobs × 8 variants) every task would
 * otherwise decode and encode images at once: the local Images service drops connections and an
 * isolate meets its memory limit. With the gate, the surplus waits its turn instead of failing.
 *
 * A release wakes the longest waiter at once. Waiters also poll with their own timers, because the
 * holder and the waiter may belong to different requests (workflow instances), and workerd may not
 * deliver one request's promise resolution from another's context: the poll is the guarantee, the
 * wake-up the fast path (timers alone left a freed slot idle for up to ~200 ms under load).
 */
export class Gate {
  private active = 0;
  private readonly waiters: (() => void)[] = [];

  constructor(
    private readonly limit: number,
    private readonly pollMs = 15,
  ) {}

  /** How many holders run now (for tests and logs). */
  get running(): number {
    return this.active;
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    while (this.active >= this.limit) {
      let wake = () => {};
      const woken = new Promise<void>((resolve) => {
        wake = resolve;
      });
      this.waiters.push(wake);
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        woken,
        new Promise((resolve) => {
          timer = setTimeout(resolve, this.pollMs + Math.random() * this.pollMs);
        }),
      ]);
      clearTimeout(timer);
      const at = this.waiters.indexOf(wake);
      if (at >= 0) this.waiters.splice(at, 1);
    }
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.waiters.shift()?.();
    }
  }
}

/** Images binding work (rasterize, renditions, analysis) at most this many at a time per isolate. */
export const IMAGES_CONCURRENCY = 4;

/** The one gate every Images-heavy step and the local provider pass through. */
export const imagesGate = new Gate(IMAGES_CONCURRENCY);

/**
 * Decoding a PNG in the Worker (the analysis of a provider's image, src/agents/tools/images.ts) at
 * most this many at a time per isolate: each holds up to ~8 MB (inflated rows and RGBA of 1 MP).
 * Pure CPU on one thread, so more at once would only hold more memory, not finish sooner.
 */
export const decodeGate = new Gate(2);
