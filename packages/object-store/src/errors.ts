/**
 * Errors of the object-store adapters: one class per failure mode, a stable
 * `code`, and `retryable` that callers' retry loops branch on.
 */
export type ObjectStoreErrorCode = 'STORE_UNAVAILABLE' | 'STORE_INVALID_KEY';

export type ObjectStoreOp = 'put' | 'get' | 'head' | 'list' | 'delete';

export abstract class ObjectStoreError extends Error {
  abstract readonly code: ObjectStoreErrorCode;
  abstract readonly retryable: boolean;
  override name = 'ObjectStoreError';
}

/** The store could not be reached or refused the request (network, 5xx, timeout, throttling): retry later. */
export class ObjectStoreUnavailableError extends ObjectStoreError {
  readonly code = 'STORE_UNAVAILABLE';
  readonly retryable = true;
  readonly op: ObjectStoreOp;
  readonly key: string;
  constructor(op: ObjectStoreOp, key: string, cause: unknown) {
    super(`object store ${op} ${key}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'ObjectStoreUnavailableError';
    this.op = op;
    this.key = key;
  }
}

/** A key no adapter may use (empty, control characters, `.`/`..` or empty segments, too long). */
export class InvalidObjectKeyError extends ObjectStoreError {
  readonly code = 'STORE_INVALID_KEY';
  readonly retryable = false;
  readonly key: string;
  constructor(key: string, detail: string) {
    super(`invalid object key ${JSON.stringify(key)}: ${detail}`);
    this.name = 'InvalidObjectKeyError';
    this.key = key;
  }
}
