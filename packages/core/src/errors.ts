/**
 * The error contract of every Ripple package: one class per failure mode,
 * under one abstract base per package family (GraphError, StreamError,
 * ProtocolError, ...), each extending `RippleError`:
 * - `code`: stable, namespaced (`GRAPH_*`, `STREAM_*`, `PROTO_*`, ...); callers
 *   branch on it, never on the message;
 * - `retryable`: true when repeating the same operation later can succeed
 *   without changing its input (a dependency that is down, a schema handshake
 *   not yet arrived); loops branch on it (retry with backoff vs dead-letter);
 * - `cause`: the underlying error, when there is one (standard `Error.cause`).
 */
export abstract class RippleError extends Error {
  abstract readonly code: string;
  abstract readonly retryable: boolean;
  override name = 'RippleError';
}

/** True for a Ripple error whose operation may succeed if repeated later. */
export function isRetryable(e: unknown): boolean {
  return e instanceof RippleError && e.retryable;
}
