/**
 * Typed errors of the worker. Loops branch on `code` and `retryable`, never on messages.
 */
export type WorkerErrorCode =
  | 'WORKER_LIFECYCLE_TRANSITION'
  | 'WORKER_MALFORMED_RECORD'
  | 'WORKER_SNAPSHOT_CORRUPT'
  | 'WORKER_SNAPSHOT_STORE_UNAVAILABLE'
  | 'WORKER_SINK_FAILED'
  | 'WORKER_SOURCE_FAILED'
  | 'WORKER_FENCED'
  | 'WORKER_CHECKPOINT_NOT_STORED'
  | 'WORKER_SNAPSHOT_INCOMPATIBLE'
  | 'WORKER_RECOVERY_FAILED'
  | 'WORKER_HANDOFF_MISMATCH'
  | 'WORKER_PARTITION_NOT_STARTED';

export abstract class WorkerError extends Error {
  abstract readonly code: WorkerErrorCode;
  abstract readonly retryable: boolean;
  override name = 'WorkerError';
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
  /** The partition the refusal is about (undefined: below the configured epoch). */
  readonly partition: number | undefined;
  constructor(operation: string, epoch: number, current: number, partition?: number) {
    super(
      `${operation} at epoch ${epoch} refused: this worker already acts at epoch ${current}` +
        (partition === undefined ? '' : ` for partition ${partition}`),
    );
    this.name = 'FencedError';
    this.epoch = epoch;
    this.current = current;
    this.partition = partition;
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

/** A snapshot written for another job shape (window spec, state schema): refused, naming what changed. */
export class SnapshotIncompatibleError extends WorkerError {
  readonly code = 'WORKER_SNAPSHOT_INCOMPATIBLE';
  readonly retryable = false;
  readonly location: string;
  /** What differs, e.g. "window spec". */
  readonly what: string;
  constructor(location: string, what: string, stored: string, current: string, cause?: unknown) {
    super(
      `snapshot ${location} is incompatible: ${what} changed (snapshot has ${stored}, this worker runs ${current})`,
      cause === undefined ? undefined : { cause },
    );
    this.name = 'SnapshotIncompatibleError';
    this.location = location;
    this.what = what;
  }
}

/** No usable snapshot is left for a partition that has snapshots: the partition does not start. */
export class RecoveryFailedError extends WorkerError {
  readonly code = 'WORKER_RECOVERY_FAILED';
  readonly retryable = false;
  readonly partition: number;
  /** One line per refused snapshot: id and reason. */
  readonly refused: readonly string[];
  constructor(partition: number, refused: readonly string[]) {
    super(
      `partition ${partition}: no usable snapshot (${refused.join('; ')}); not starting it empty ` +
        '(set RIPPLE_RECOVERY_ALLOW_RESET=true to start it from start_position with empty state)',
    );
    this.name = 'RecoveryFailedError';
    this.partition = partition;
    this.refused = refused;
  }
}

/**
 * An assigned partition restored to an earlier position than the one its
 * previous owner handed over (the handed-off snapshot is not visible yet, or
 * unusable): the assign fails and the coordinator re-sends it.
 */
export class HandoffMismatchError extends WorkerError {
  readonly code = 'WORKER_HANDOFF_MISMATCH';
  readonly retryable = true;
  readonly partition: number;
  constructor(partition: number, detail: string) {
    super(`partition ${partition}: restored state does not continue the hand-over (${detail})`);
    this.name = 'HandoffMismatchError';
    this.partition = partition;
  }
}

/** An assigned partition did not start (no usable snapshot): the assign fails, the coordinator re-sends. */
export class PartitionNotStartedError extends WorkerError {
  readonly code = 'WORKER_PARTITION_NOT_STARTED';
  readonly retryable = true;
  readonly partitions: readonly number[];
  constructor(partitions: readonly number[]) {
    super(`partition(s) ${partitions.join(',')} did not start (no usable snapshot)`);
    this.name = 'PartitionNotStartedError';
    this.partitions = partitions;
  }
}
