/**
 * What the worker runtime needs from a job. The runtime owns partitions,
 * sources, sinks, checkpoints and lifecycle; a job owns its topology, its
 * schemas and the framing of what it produces.
 *
 * A job partition is a deterministic state machine over one input partition:
 * fed records in offset order from the same state, it produces the same
 * outputs with the same sequence numbers. The runtime relies on that for
 * exactness across crashes and moves (see docs/consumer-contract.md).
 */
import type { OutputRecord, PartitionSnapshot, Schema, SnapshotLeaf } from '@ripple/protocol';
import type { WorkerConfig } from './config.ts';
import type { Clock, SourceRecord } from './ports.ts';

/** Why a record (or some of its trades) went to the dead-letter topic; a metric label and a DLQ header. */
export type DeadLetterCode = 'malformed' | 'parse_error' | 'invalid_trade' | 'future_timestamp' | 'max_keys';

/** An input record that could not be processed, with the reason (sent to the dead-letter topic). */
export interface DeadLetter {
  readonly partition: number;
  readonly offset: bigint;
  readonly value: Uint8Array | null;
  readonly code: DeadLetterCode;
  readonly reason: string;
}

/** Graph counters of one partition, for metrics. */
export interface PartitionGraphStats {
  readonly nodeCount: number;
  readonly dirtyCount: number;
  readonly stabilizations: number;
  readonly cutoffs: number;
}

/** One owned input partition of a job. */
export interface JobPartition {
  readonly partition: number;
  /** Next input offset to read: every record below it is reflected in the state (null: nothing read yet). */
  readonly nextOffset: bigint | null;
  /** Sequence number the next output record will carry. */
  readonly nextSequence: number;
  readonly keyCount: number;
  readonly watermarkNs: bigint;
  /** Output records produced and not yet handed to the sink (the runtime empties it). */
  readonly outputs: OutputRecord[];
  /** Dead letters produced and not yet handed to the sink (the runtime empties it). */
  readonly deadLetters: DeadLetter[];
  /** Late events held for the side output. */
  readonly lateCount: number;
  /** Events (e.g. trades) decoded, validated and accepted into the job since this partition object was created. */
  readonly eventsIn: number;
  /** Process one input record (a record that cannot be decoded becomes a dead letter). */
  ingest(r: SourceRecord): void;
  /** End of a bounded input: emit every open window. */
  flushAll(): void;
  /** The late events as side-output record values of at most about `maxBytes` each, and forget them. */
  takeLate(maxBytes: number): Uint8Array[];
  /** Leaves of a checkpoint (call with nothing pending). */
  snapshotLeaves(): SnapshotLeaf[];
  /**
   * The leaves changed since the last `markSnapshotted` (or restore): leaves
   * set (replacing a leaf of the same name, else added after the others) and
   * names of leaves gone. Applied to the leaves of the snapshot taken then,
   * they give `snapshotLeaves()` (see checkpoint-chain.ts).
   */
  snapshotChangedLeaves(): { readonly set: SnapshotLeaf[]; readonly removed: string[] };
  /** The current state is the base of the next `snapshotChangedLeaves`. */
  markSnapshotted(): void;
  /** Keys changed since the last `markSnapshotted` (an upper bound; 0: nothing changed). */
  readonly changedKeyCount: number;
  graphStats(): PartitionGraphStats;
  /** A key's state, read-only (`ripple query`); absent when the job answers no queries. */
  query?(key: string): KeyStateView;
  /** DOT of the partition's graph, at most `maxNodes` drawn one by one (`ripple graph`). */
  graphDot?(maxNodes: number): { dot: string; nodes: number; edges: number; shownNodes: number };
}

/** One window of a key's state with its current value (the job's output record). */
export interface KeyWindowView {
  readonly startNs: bigint;
  readonly endNs: bigint;
  /** the watermark reached its end: emitted */
  readonly closed: boolean;
  readonly value: Readonly<Record<string, unknown>>;
}

/** What a partition holds for a key: its windows, oldest first, and the last value output for it. */
export interface KeyStateView {
  readonly windows: readonly KeyWindowView[];
  readonly lastEmitted: KeyWindowView | null;
}

/** Per-step hook the runtime gives a job (pipeline step duration and recomputes, for metrics). */
export type StepObserver = (ns: number, recomputes: number) => void;

export interface Job {
  readonly name: string;
  /** Schema of the values carried by output deltas. */
  readonly outputSchema: Schema;
  /** Schema of checkpoint leaves; a snapshot written with another one is refused. */
  readonly stateSchema: Schema;
  /** A partition with empty state. */
  create(partition: number): JobPartition;
  /**
   * A partition rebuilt from a verified snapshot (CRC and schema checked by
   * the decoder). Throws a typed error when the snapshot cannot be used.
   */
  restore(partition: number, snapshot: PartitionSnapshot, inputTopic: string): JobPartition;
}

/** What the runtime hands a job besides its configuration. */
export interface JobContext {
  readonly onStep: StepObserver;
  readonly clock: Clock;
}

/** Builds a job from the worker's configuration. */
export type JobFactory = (config: WorkerConfig, context: JobContext) => Job;
