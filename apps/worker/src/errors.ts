/**
 * Typed errors of the worker. Loops branch on `code` and `retryable`, never on messages.
 */
export type WorkerErrorCode =
  | 'WORKER_CONFIG_INVALID'
  | 'WORKER_LIFECYCLE_TRANSITION'
  | 'WORKER_MALFORMED_RECORD'
  | 'WORKER_SNAPSHOT_CORRUPT'
  | 'WORKER_SNAPSHOT_STORE_UNAVAILABLE'
  | 'WORKER_SINK_FAILED'
  | 'WORKER_SOURCE_FAILED'
  | 'WORKER_FENCED'
  | 'WORKER_CHECKPOINT_NOT_STORED';

export abstract class WorkerError extends Error {
  abstract readonly code: WorkerErrorCode;
  abstract readonly retryable: boolean;
  override name = 'WorkerError';
}

/** A configuration value is missing or invalid; raised at start-up, naming the key. */
export class ConfigError extends WorkerError {
  readonly code = 'WORKER_CONFIG_INVALID';
  readonly retryable = false;
  readonly key: string;
  constructor(key: string, reason: string) {
    super(`invalid config ${key}: ${reason}`);
    this.name = 'ConfigError';
    this.key = key;
  }
}

export class LifecycleError extends WorkerError {
  readonly code = 'WORKER_LIFECYCLE_TRANSITION';
  readonly retryable = false;
  readonly from: string;
  readonly to: string;
  constructor(from: string, to: string) {
    super(`invalid worker state transition ${from} -> ${to}`);
    this.name = 'LifecycleError';
    this.from = from;
    this.to = to;
  }
}

/** An input record that cannot be processed; it goes to the dead-letter topic with `reason`. */
export class MalformedRecordError extends WorkerError {
  readonly code = 'WORKER_MALFORMED_RECORD';
  readonly retryable = false;
  readonly reason: string;
  constructor(reason: string, cause?: unknown) {
    super(`malformed record: ${reason}`, cause === undefined ? undefined : { cause });
    this.name = 'MalformedRecordError';
    this.reason = reason;
  }
}

/** A stored snapshot failed verification (CRC, schema, shape); it is never restored. */
export class SnapshotCorruptError extends WorkerError {
  readonly code = 'WORKER_SNAPSHOT_CORRUPT';
  readonly retryable = false;
  readonly location: string;
  constructor(location: string, reason: string, cause?: unknown) {
    super(`snapshot ${location} is unusable: ${reason}`, cause === undefined ? undefined : { cause });
    this.name = 'SnapshotCorruptError';
    this.location = location;
  }
}

export class SnapshotStoreUnavailableError extends WorkerError {
  readonly code = 'WORKER_SNAPSHOT_STORE_UNAVAILABLE';
  readonly retryable = true;
  constructor(operation: string, cause: unknown) {
    super(`snapshot store ${operation} failed: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
    this.name = 'SnapshotStoreUnavailableError';
  }
}

export class SinkError extends WorkerError {
  readonly code = 'WORKER_SINK_FAILED';
  readonly retryable: boolean;
  constructor(message: string, retryable: boolean, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'SinkError';
    this.retryable = retryable;
  }
}

export class SourceError extends WorkerError {
  readonly code = 'WORKER_SOURCE_FAILED';
  readonly retryable: boolean;
  constructor(message: string, retryable: boolean, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'SourceError';
    this.retryable = retryable;
  }
}

/** An assign or revoke carries an epoch older than one this worker already acted on. */
export class FencedError extends WorkerError {
  readonly code = 'WORKER_FENCED';
  readonly retryable = false;
  readonly epoch: number;
  readonly current: number;
  constructor(operation: string, epoch: number, current: number) {
    super(`${operation} at epoch ${epoch} refused: this worker already acts at epoch ${current}`);
    this.name = 'FencedError';
    this.epoch = epoch;
    this.current = current;
  }
}

/** A checkpoint that had to be stored (revoke, drain) was not stored in time. */
export class CheckpointNotStoredError extends WorkerError {
  readonly code = 'WORKER_CHECKPOINT_NOT_STORED';
  readonly retryable = true;
  readonly partitions: readonly number[];
  constructor(operation: string, partitions: readonly number[], timeoutMs: number) {
    super(
      `${operation}: checkpoint of partition(s) ${partitions.join(',')} not stored within ${timeoutMs} ms`,
    );
    this.name = 'CheckpointNotStoredError';
    this.partitions = partitions;
  }
}
