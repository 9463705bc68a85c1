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
import { WindowSnapshotError } from './errors.ts';

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

/**
 * The keys of a `WindowSnapshot` that changed since an earlier one (the
 * base): the header (counters, partition times) as of now, the keys set
 * since the base and the keys gone since the base. Produced by
 * `WindowOperator.snapshotChanges`, applied by `applyWindowDelta`.
 */
export interface WindowSnapshotDelta extends WindowSnapshot {
  /** Keys set since the base: keys of the base are replaced in place, the others appended in this order. */
  readonly keys: readonly KeySnapshot[];
  /** Keys of the base that are gone (a key gone and created again is also in `keys`). */
  readonly removed: readonly string[];
}

/**
 * The snapshot `delta` describes on top of `base`: removals first, then sets
 * (in place for keys of the base, appended otherwise), so the keys come out
 * in the order the operator holds them. Pure and deterministic; a delta
 * applies to its own base only (applied twice, a re-created key would move).
 */
export function applyWindowDelta(base: WindowSnapshot, delta: WindowSnapshotDelta): WindowSnapshot {
  if (delta.version !== base.version || delta.window !== base.window)
    throw new WindowSnapshotError(`delta of window ${delta.window} does not apply to ${base.window}`);
  if (delta.partitions.length !== base.partitions.length)
    throw new WindowSnapshotError('delta and base have different partition counts');
  const keys = new Map<string, KeySnapshot>();
  for (const k of base.keys) keys.set(k.key, k);
  for (const k of delta.removed) keys.delete(k);
  for (const k of delta.keys) keys.set(k.key, k);
  return {
    version: delta.version,
    window: delta.window,
    counters: delta.counters,
    partitions: delta.partitions,
    keys: [...keys.values()],
  };
}
