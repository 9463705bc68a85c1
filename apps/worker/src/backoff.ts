/**
 * Exponential backoff with jitter: each delay is drawn in [d/2, d] where d
 * doubles from `first` up to `max`, so workers retrying the same dependency
 * spread out instead of hitting it in step.
 */
export class Backoff {
  private readonly first: number;
  private readonly max: number;
  private readonly random: () => number;
  private current: number;

  constructor(first: number, max: number, random: () => number = Math.random) {
    this.first = first;
    this.max = max;
    this.random = random;
    this.current = first;
  }

  /** The next delay (ms), and double the ceiling for the one after. */
  next(): number {
    const d = this.current;
    this.current = Math.min(this.max, this.current * 2);
    return Math.max(1, Math.round(d / 2 + (this.random() * d) / 2));
  }

  reset(): void {
    this.current = this.first;
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) {
      resolve();
      return;
    }
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
