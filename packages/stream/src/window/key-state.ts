/**
 * Per-key state of the window operator: the key's panes (tumbling/sliding)
 * or sessions, its pending emission range, its timer and idle time. Mutable
 * and internal to the operator; it leaves the operator only through the
 * snapshot API (window-snapshot.ts).
 */
import { INF, NONE } from './event-time.ts';

export class Pane<A> {
  start: bigint;
  acc: A;
  constructor(start: bigint, acc: A) {
    this.start = start;
    this.acc = acc;
  }
}

export class Session<A> {
  start: bigint;
  last: bigint;
  acc: A;
  /** Changed since last emitted. */
  dirty = true;
  /** Emitted at least once (must be retracted if merged away). */
  emitted = false;
  /** start as last emitted (for retraction when the start moves). */
  emittedStart: bigint = NONE;
  emittedEnd: bigint = NONE;
  constructor(start: bigint, last: bigint, acc: A) {
    this.start = start;
    this.last = last;
    this.acc = acc;
  }
}

/** Per-key state. `slot` is free for the owner (the topology keeps its graph nodes there). */
export class KeyState<A> {
  readonly key: string;
  readonly partition: number;
  slot: unknown = null;
  // pane windows (tumbling / sliding)
  curStart: bigint = INF;
  curEnd: bigint = INF;
  cur: A | null = null;
  panes: Array<Pane<A>> = [];
  /** The last expired pane, reused for the next one (no allocation per window in steady state). */
  spare: Pane<A> | null = null;
  /**
   * Sliding windows: a two-stack aggregate over copies of the panes of the
   * last emitted window [swagLo, swagHi), so that the next window costs one
   * shift per leaving pane and one push per entering pane, never a re-merge
   * of the whole window. `swagDirty`: a pane inside that range changed (late
   * data), rebuild on next use.
   */
  swag: unknown = null;
  swagStarts: bigint[] = [];
  swagLo: bigint = NONE;
  swagHi: bigint = NONE;
  swagDirty = false;
  /** Range of window ends touched since they were last emitted. */
  lo: bigint = NONE;
  hi: bigint = NONE;
  // session windows
  sessions: Array<Session<A>> = [];
  /** Time of this key's live timer entry (stale heap entries are skipped). */
  timerAt: bigint = NONE;
  /** Dropped from the operator (its graph nodes are gone too). */
  evicted = false;
  /** Watermark at which the key last ran out of state (NONE while it has state). */
  idleSince: bigint = NONE;
  /** Changed since the operator's last snapshot mark (it is in the operator's changed list). */
  changed = false;
  /** Created since the operator's last snapshot mark (it is in the operator's created list). */
  fresh = false;
  constructor(key: string, partition: number) {
    this.key = key;
    this.partition = partition;
  }
}

/** Partition of a key: FNV-1a of the key mod the partition count (stable across runs and restores). */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
