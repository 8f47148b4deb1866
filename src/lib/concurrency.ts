/**
 * A per-isolate bound on concurrent work. Under a burst (25 jobs × 8 variants) every task would
 * otherwise decode and encode images at once: the local Images service drops connections and an
 * isolate meets its memory limit. With the gate, the surplus waits its turn instead of failing.
 *
 * Waiters poll with their own timers rather than being woken by the releasing caller, because the
 * holder and the waiter may belong to different requests (workflow instances), and workerd does not
 * want one request's promise resolved from another's context: a wake-up from the releaser was tried
 * (it shortened a single job's waits) and failed 110 of 200 tasks of the reliability suite's 25
 * concurrent jobs with "Promise will never complete.".
 */

/** Together, a gate's waiters look for a free slot about this often (ms): one of them soon notices. */
const AGGREGATE_POLL_MS = 2;
/** Bounds of one waiter's polling interval (ms), before jitter. */
const MIN_POLL_MS = 4;
const MAX_POLL_MS = 100;

export class Gate {
  private active = 0;
  private waiting = 0;

  constructor(private readonly limit: number) {}

  /** How many holders run now (for tests and logs). */
  get running(): number {
    return this.active;
  }

  /**
   * Runs `fn` once a slot is free. A waiter's interval grows with the number of waiters, so a freed
   * slot is noticed within a few milliseconds whether 4 or 400 wait (a fixed 15–30 ms left a slot
   * idle for most of that when only a job's own tasks waited), and many waiters do not flood the
   * isolate with timers.
   */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) {
      this.waiting++;
      try {
        while (this.active >= this.limit) {
          const interval = Math.min(MAX_POLL_MS, Math.max(MIN_POLL_MS, AGGREGATE_POLL_MS * this.waiting));
          await new Promise((resolve) => setTimeout(resolve, interval * (0.5 + Math.random())));
        }
      } finally {
        this.waiting--;
      }
    }
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
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
