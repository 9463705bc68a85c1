/**
 * Typed errors of @ripple/cluster. Loops branch on `code` and `retryable`,
 * never on messages.
 */
export type ClusterErrorCode =
  | 'CLUSTER_INVALID_RING'
  | 'CLUSTER_DUPLICATE_WORKER'
  | 'CLUSTER_KV_CONFLICT'
  | 'CLUSTER_KV_UNAVAILABLE'
  | 'CLUSTER_KV_CORRUPT'
  | 'CLUSTER_BUS_UNAVAILABLE'
  | 'CLUSTER_HOST_FAILED'
  | 'CLUSTER_INVALID_OPTION';

export abstract class ClusterError extends Error {
  abstract readonly code: ClusterErrorCode;
  abstract readonly retryable: boolean;
  override name = 'ClusterError';
}

export class InvalidRingError extends ClusterError {
  readonly code = 'CLUSTER_INVALID_RING';
  readonly retryable = false;
  constructor(detail: string) {
    super(`invalid ring: ${detail}`);
    this.name = 'InvalidRingError';
  }
}

export class DuplicateWorkerError extends ClusterError {
  readonly code = 'CLUSTER_DUPLICATE_WORKER';
  readonly retryable = false;
  readonly workerId: string;
  constructor(workerId: string) {
    super(`worker ${workerId} is on the ring twice`);
    this.name = 'DuplicateWorkerError';
    this.workerId = workerId;
  }
}

/** A compare-and-set lost: the key's revision is not the expected one (or the key exists on create). */
export class KvConflictError extends ClusterError {
  readonly code = 'CLUSTER_KV_CONFLICT';
  readonly retryable = false;
  readonly key: string;
  readonly expectedRevision: number;
  constructor(key: string, expectedRevision: number, cause?: unknown) {
    super(
      `kv ${key}: revision is not ${expectedRevision === 0 ? '(absent)' : expectedRevision}`,
      cause === undefined ? undefined : { cause },
    );
    this.name = 'KvConflictError';
    this.key = key;
    this.expectedRevision = expectedRevision;
  }
}

export class KvUnavailableError extends ClusterError {
  readonly code = 'CLUSTER_KV_UNAVAILABLE';
  readonly retryable = true;
  constructor(operation: string, cause: unknown) {
    super(`kv ${operation} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'KvUnavailableError';
  }
}

/** A stored value that does not decode; never used, reported with the key. */
export class KvCorruptError extends ClusterError {
  readonly code = 'CLUSTER_KV_CORRUPT';
  readonly retryable = false;
  readonly key: string;
  constructor(key: string, detail: string, cause?: unknown) {
    super(`kv ${key} is unusable: ${detail}`, cause === undefined ? undefined : { cause });
    this.name = 'KvCorruptError';
    this.key = key;
  }
}

export class BusUnavailableError extends ClusterError {
  readonly code = 'CLUSTER_BUS_UNAVAILABLE';
  readonly retryable = true;
  constructor(operation: string, cause: unknown) {
    super(`control bus ${operation} failed: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
    this.name = 'BusUnavailableError';
  }
}

/** The worker's PartitionHost failed an assign or revoke; the coordinator retries the step. */
export class HostFailedError extends ClusterError {
  readonly code = 'CLUSTER_HOST_FAILED';
  readonly retryable = true;
  readonly operation: 'assign' | 'revoke';
  readonly partitions: readonly number[];
  constructor(operation: 'assign' | 'revoke', partitions: readonly number[], cause: unknown) {
    super(
      `partition host ${operation} of [${partitions.join(',')}] failed: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
    this.name = 'HostFailedError';
    this.operation = operation;
    this.partitions = partitions;
  }
}

export class InvalidOptionError extends ClusterError {
  readonly code = 'CLUSTER_INVALID_OPTION';
  readonly retryable = false;
  readonly option: string;
  constructor(option: string, detail: string) {
    super(`invalid option ${option}: ${detail}`);
    this.name = 'InvalidOptionError';
    this.option = option;
  }
}
