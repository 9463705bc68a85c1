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

/**
 * Per-key state. `slot` is free for the owner (the topology keeps its graph nodes there).
 *
 * Field order is memory order (V8 lays fields out in declaration order): an event for the key's
 * current pane reads only the first five fields (`partition`, `changed`, `curStart`, `curEnd`,
 * `cur`), which span 40 bytes after the object header, so at 10,000 keys and more (state no longer
 * in cache) that path misses one or two cache lines instead of three or four. Firing reads the
 * next group (`timerAt` .. `slot`); sliding and session state comes last.
 */
export class KeyState<A> {
  readonly partition: number;
  /** Changed since the operator's last snapshot mark (it is in the operator's changed list). */
  changed = false;
  // pane windows (tumbling / sliding): the current pane's bounds and accumulator (the hot path)
  curStart: bigint = INF;
  curEnd: bigint = INF;
  cur: A | null = null;
  /** Time of this key's live timer entry (stale heap entries are skipped). */
  timerAt: bigint = NONE;
  /** Range of window ends touched since they were last emitted. */
  lo: bigint = NONE;
  hi: bigint = NONE;
  panes: Array<Pane<A>> = [];
  /** The last expired pane, reused for the next one (no allocation per window in steady state). */
  spare: Pane<A> | null = null;
  readonly key: string;
  slot: unknown = null;
  /** Small integer id, unique among the operator's live keys (reused after eviction): firing order. */
  readonly id: number;
  /** Watermark at which the key last ran out of state (NONE while it has state). */
  idleSince: bigint = NONE;
  /** Dropped from the operator (its graph nodes are gone too). */
  evicted = false;
  /** Created since the operator's last snapshot mark (it is in the operator's created list). */
  fresh = false;
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
  // session windows
  sessions: Array<Session<A>> = [];
  constructor(key: string, partition: number, id: number) {
    this.partition = partition;
    this.key = key;
    this.id = id;
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
