/**
 * Health of the worker's dependencies (source, sink): a retryable failure
 * marks one degraded (the worker is not ready meanwhile), is counted and
 * logged, and waits a backoff delay with jitter before the caller retries;
 * the first success after it clears the mark and resets the backoff.
 */
import { Backoff, sleep } from './backoff.ts';
import { WorkerError } from './errors.ts';
import type { WorkerMetrics } from './metrics.ts';
import type { Logger } from './ports.ts';

/** Loops branch on the flag of the typed error; an unknown error is not retried. */
export function isRetryable(e: unknown): boolean {
  return e instanceof WorkerError && e.retryable;
}

export class DependencyHealth {
  private readonly degraded = new Set<string>();
  private readonly backoffs = new Map<string, Backoff>();
  private readonly metrics: WorkerMetrics;
  private readonly log: Logger;
  private readonly backoffMs: { readonly first: number; readonly max: number };
  private readonly signal: AbortSignal;

  constructor(
    metrics: WorkerMetrics,
    log: Logger,
    backoffMs: { readonly first: number; readonly max: number },
    signal: AbortSignal,
  ) {
    this.metrics = metrics;
    this.log = log;
    this.backoffMs = backoffMs;
    this.signal = signal;
  }

  /** Dependencies failing right now. */
  list(): string[] {
    return [...this.degraded];
  }

  get healthy(): boolean {
    return this.degraded.size === 0;
  }

  /** A retryable failure of `dependency`: degraded, counted, logged; resolves after the backoff delay (or at stop). */
  async retryAfter(dependency: string, e: unknown): Promise<void> {
    if (!this.degraded.has(dependency)) {
      this.degraded.add(dependency);
      this.metrics.degraded.set({ dependency }, 1);
    }
    this.metrics.retries.inc({ dependency });
    let b = this.backoffs.get(dependency);
    if (b === undefined) {
      b = new Backoff(this.backoffMs.first, this.backoffMs.max);
      this.backoffs.set(dependency, b);
    }
    const delayMs = b.next();
    this.log.warn('retryable failure; degraded, retrying', { dependency, delayMs, error: String(e) });
    await sleep(delayMs, this.signal);
  }

  /** `dependency` answered: no longer degraded. */
  recovered(dependency: string): void {
    if (!this.degraded.delete(dependency)) return;
    this.backoffs.get(dependency)?.reset();
    this.metrics.degraded.set({ dependency }, 0);
    this.log.info('dependency recovered', { dependency });
  }
}
