/**
 * The window operator's snapshot format: a typed, versioned value that a
 * consumer (a checkpoint writer) maps onto its own schema field by field. It
 * is the only way state leaves or enters a `WindowOperator`; nobody needs to
 * know how the operator lays out its state in memory.
 *
 * Rules:
 * - `version` is `WINDOW_SNAPSHOT_VERSION`; a restore refuses any other.
 * - Every time is an int64 nanosecond count. "No time" is `TIME_NONE`
 *   (INT64_MIN), "never" is `TIME_NEVER` (INT64_MAX) (see event-time.ts), so
 *   each time fits an `int64` wire field as is.
 * - Keys are structured: the key is a field of its own, never joined with a
 *   window start into one string.
 * - Accumulators are the aggregator's `save()` value (an array of numbers for
 *   the built-in aggregators); only the aggregator that saved one loads it.
 * - Deterministic: keys in insertion order, the same state gives the same
 *   snapshot (so the same bytes once encoded).
 */
import type { Value } from '../delta/delta.ts';

export const WINDOW_SNAPSHOT_VERSION = 1;

/** One pane (tumbling/sliding windows): its start and its accumulator. */
export interface PaneSnapshot {
  readonly startNs: bigint;
  readonly acc: Value;
}

/** One session window of a key. */
export interface SessionSnapshot {
  readonly startNs: bigint;
  /** Time of the session's last event (the session spans [start, last + gap)). */
  readonly lastNs: bigint;
  /** Changed since it was last emitted. */
  readonly dirty: boolean;
  /** Emitted at least once (it is retracted if merged away). */
  readonly emitted: boolean;
  readonly emittedStartNs: bigint;
  readonly emittedEndNs: bigint;
  readonly acc: Value;
}

/** The state of one key. */
export interface KeySnapshot {
  readonly key: string;
  /** Window ends touched since last emitted: [pendingFromNs, pendingToNs] (TIME_NONE when nothing is pending). */
  readonly pendingFromNs: bigint;
  readonly pendingToNs: bigint;
  /** Watermark at which the key ran out of state (TIME_NONE while it has state). */
  readonly idleSinceNs: bigint;
  readonly panes: readonly PaneSnapshot[];
  readonly sessions: readonly SessionSnapshot[];
}

/** Event-time progress of one partition of the operator. */
export interface PartitionTimeSnapshot {
  /** Max event time seen (TIME_NONE before any event). */
  readonly maxEventTimeNs: bigint;
  /** Watermark (TIME_NONE before any event). */
  readonly watermarkNs: bigint;
}

export interface WindowSnapshot {
  readonly version: typeof WINDOW_SNAPSHOT_VERSION;
  /** The window the state belongs to, e.g. `tumbling(60000000000)`; a restore checks it. */
  readonly window: string;
  readonly counters: { readonly events: number; readonly late: number; readonly emitted: number };
  /** One entry per partition of the operator, by partition index. */
  readonly partitions: readonly PartitionTimeSnapshot[];
  readonly keys: readonly KeySnapshot[];
}
