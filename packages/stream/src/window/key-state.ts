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
 * Sliding windows: a two-stack aggregate over copies of the panes of the last emitted window
 * [lo, hi), so that the next window costs one shift per leaving pane and one push per entering
 * pane, never a re-merge of the whole window. `dirty`: a pane inside that range changed (late data),
 * rebuild on next use. Allocated on a key's first sliding window (tumbling and session keys have none).
 */
export class SlidingState {
  /** The `SlidingAggregate` (typed by the operator). */
  readonly agg: unknown;
  readonly starts: bigint[] = [];
  lo: bigint = NONE;
  hi: bigint;
  dirty = false;
  constructor(agg: unknown, hi: bigint) {
    this.agg = agg;
    this.hi = hi;
  }
}

/** The sessions of a key of a pane-window operator: always empty, frozen (a write would throw). */
const NO_SESSIONS: ReadonlyArray<Session<unknown>> = Object.freeze([]);

/**
 * Per-key state. `slot` is free for the owner (the topology keeps its graph nodes there).
 *
 * Field order is memory order (V8 lays fields out in declaration order): an event for the key's
 * current pane reads only the first five fields (`partition`, `changed`, `curStart`, `curEnd`,
 * `cur`), which span 40 bytes after the object header, so at 10,000 keys and more (state no longer
 * in cache) that path misses one or two cache lines instead of three or four. Firing reads the
 * next group (`timerAt` .. `slot`), which holds the key's first pane itself (its start and
 * accumulator): a tumbling window's key has one pane at a time, so firing reads no pane object and
 * no array. Sliding and session state comes last, allocated only for those windows.
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
  /** Pane windows: start of the key's first (oldest) pane, `INF` when it has none. */
  p0Start: bigint = INF;
  /** Accumulator of the first pane (null when it has none). */
  p0Acc: A | null = null;
  /** The panes after the first, in start order (null until the key has had two at once). */
  rest: Array<Pane<A>> | null = null;
  /** The last expired pane's accumulator, reused for the next pane (no allocation per window). */
  spare: A | null = null;
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
  /** Sliding windows only (see `SlidingState`). */
  sliding: SlidingState | null = null;
  /** Session windows: the key's sessions in start order (pane windows: a frozen empty array). */
  sessions: Array<Session<A>>;
  constructor(key: string, partition: number, id: number, session: boolean) {
    this.partition = partition;
    this.key = key;
    this.id = id;
    this.sessions = session ? [] : (NO_SESSIONS as Array<Session<A>>);
  }
}

/** Number of panes of a key (pane windows). */
export function paneCount(k: KeyState<unknown>): number {
  return k.p0Start === INF ? 0 : 1 + (k.rest === null ? 0 : k.rest.length);
}

/** Start of a key's pane `i` (0 = the first; `i < paneCount(k)`). */
export function paneStartAt(k: KeyState<unknown>, i: number): bigint {
  return i === 0 ? k.p0Start : ((k.rest as Array<Pane<unknown>>)[i - 1] as Pane<unknown>).start;
}

/** Accumulator of a key's pane `i` (0 = the first; `i < paneCount(k)`). */
export function paneAccAt<A>(k: KeyState<A>, i: number): A {
  return (i === 0 ? k.p0Acc : ((k.rest as Array<Pane<A>>)[i - 1] as Pane<A>).acc) as A;
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
