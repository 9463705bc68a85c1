/** Exponential backoff with full jitter, bounded by a deadline; branches on `retryable`, never on messages. */
export interface BackoffOptions {
  readonly initialMs: number;
  readonly maxMs: number;
  /** give up (rethrow the last error) once now() passes this */
  readonly deadlineMs: number;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly random?: () => number;
  /** called before each wait (metrics, logs) */
  readonly onRetry?: (error: unknown, attempt: number, waitMs: number) => void;
  /** false stops retrying at once (default: the error's `retryable` flag) */
  readonly retryable?: (error: unknown) => boolean;
  /** checked before every attempt: false stops with the last error (e.g. the service is stopping) */
  readonly shouldContinue?: () => boolean;
}

export async function withBackoff<T>(f: () => Promise<T>, o: BackoffOptions): Promise<T> {
  const random = o.random ?? Math.random;
  const retryable = o.retryable ?? ((e: unknown) => (e as { retryable?: unknown }).retryable === true);
  for (let attempt = 1; ; attempt++) {
    try {
      return await f();
    } catch (e) {
      if (!retryable(e)) throw e;
      const cap = Math.min(o.maxMs, o.initialMs * 2 ** Math.min(attempt - 1, 30));
      const wait = Math.max(1, Math.round(cap * (0.5 + random() / 2)));
      if (o.now() + wait > o.deadlineMs || (o.shouldContinue !== undefined && !o.shouldContinue())) throw e;
      o.onRetry?.(e, attempt, wait);
      await o.sleep(wait);
    }
  }
}
