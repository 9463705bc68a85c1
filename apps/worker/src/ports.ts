/**
 * Ports: everything the worker reaches outside itself. Each has a real adapter
 * (Kafka, S3) and an in-memory one (embedded mode, deterministic tests).
 */

/** One input record. `offset` is the record's own offset; the next to read is offset + 1. */
export interface SourceRecord {
  readonly partition: number;
  readonly offset: bigint;
  readonly value: Uint8Array | null;
  readonly headers: Readonly<Record<string, string>>;
  /** When the log took the record (Kafka record timestamp), if the source knows it. */
  readonly timestampMs?: number;
  /**
   * Set only by an in-process adapter that could not parse its input (the
   * file source's bad CSV lines): the record is dead-lettered with this
   * reason. Never read from record headers, which a producer controls.
   */
  readonly parseError?: string;
}

export interface PartitionStart {
  readonly partition: number;
  /** Next offset to read, or where to start when there is no checkpoint. */
  readonly position: bigint | 'earliest' | 'latest';
}

/** Reads given partitions of one topic from given offsets (no consumer group). */
export interface RecordSource {
  assign(starts: readonly PartitionStart[]): Promise<void>;
  /** Stop reading these partitions (revoked). */
  unassign(partitions: readonly number[]): Promise<void>;
  /** Up to `maxRecords` records, in offset order per partition; may wait up to `maxWaitMs` for data. */
  poll(maxRecords: number, maxWaitMs: number): Promise<SourceRecord[]>;
  /** Log end offset (next offset to be written) of a partition, for lag. */
  endOffset(partition: number): Promise<bigint>;
  /** Log end offset as of the last poll (no round trip), if known. */
  lastKnownEnd(partition: number): bigint | undefined;
  close(): Promise<void>;
  /**
   * True when `assign` / `unassign` interrupt an outstanding poll: it
   * resolves at once, takes no record and moves no position (what it had
   * in flight is read again by the next poll). The worker then repositions
   * without waiting for that poll (a hand-over is not held up by a fetch
   * waiting for data); otherwise it waits for the poll to settle first.
   */
  readonly interruptiblePoll?: boolean;
}

export interface SinkRecord {
  readonly topic: string;
  readonly partition: number;
  readonly key: string | null;
  readonly value: Uint8Array;
  readonly headers: Readonly<Record<string, string>>;
}

/** Writes records; `send` resolves once every record is durably acknowledged. */
export interface RecordSink {
  send(records: readonly SinkRecord[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * A sink that fences output by partition ownership (the Kafka transactional
 * sink): `claim` before a partition is taken makes a previous owner's later
 * writes for it unreadable; `release` after it was handed over.
 */
export interface OutputClaims {
  claim(partitions: readonly number[]): Promise<void>;
  release(partitions: readonly number[]): Promise<void>;
  /** True once a send found the partition fenced (a newer owner claimed it): its output is refused. */
  isFenced?(partition: number): boolean;
}

export function hasClaims(sink: RecordSink): sink is RecordSink & OutputClaims {
  const s = sink as Partial<OutputClaims>;
  return typeof s.claim === 'function' && typeof s.release === 'function';
}

export interface StoredSnapshot {
  readonly id: string;
  readonly bytes: Uint8Array;
}

/**
 * Snapshot storage with an atomic commit: `put` writes the snapshot object,
 * then publishes it as the partition's latest. A crash between the two leaves
 * the previous latest in place; a reader never sees a partial snapshot.
 */
export interface SnapshotStore {
  readonly name: string;
  put(partition: number, id: string, bytes: Uint8Array): Promise<void>;
  latest(partition: number): Promise<StoredSnapshot | null>;
  /**
   * Ids of the committed snapshots of a partition, oldest first (ids sort by
   * epoch, offset, time). `[]` is the positive answer "no snapshot for this
   * partition"; a store that cannot answer throws (retryable when transient).
   */
  list(partition: number): Promise<string[]>;
  /** Bytes of one snapshot, or null when it is missing. */
  get(partition: number, id: string): Promise<Uint8Array | null>;
  /** Delete all but the newest `keep` snapshots of a partition. */
  prune(partition: number, keep: number): Promise<void>;
}

/** Structured logger injected into the runtime (the process wires a JSON logger to stderr). */
export interface Logger {
  /** Per-partition detail (a line per checkpoint per partition): shown with LOG_LEVEL=debug. */
  debug?(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };

/** Wall clock, injected so tests can step time deterministically. */
export interface Clock {
  nowMs(): number;
  nowNs(): bigint;
}

export const systemClock: Clock = {
  nowMs: () => Date.now(),
  nowNs: () => BigInt(Date.now()) * 1_000_000n,
};
