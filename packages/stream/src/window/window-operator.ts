/**
 * Event-time windowed aggregation per key: tumbling, sliding (hopping) and
 * session windows, with per-partition watermarks, allowed lateness, a late-data
 * side output, idle-partition handling and bounded state.
 *
 * Semantics (all times are event-time nanoseconds, bigint):
 * - Windows are aligned on 0: tumbling `[k*size, (k+1)*size)`; sliding windows
 *   of `size` every `slide` (size must be a multiple of slide) are built from
 *   panes of `slide`, combined per key by a two-stack `SlidingAggregate` (one
 *   push and one shift per pane, never a re-merge of the window; rebuilt only
 *   after late data changed a pane inside it), so min/max slide cheaply too; a session is a run of events of one key with gaps below
 *   `gap`, spanning `[first, last + gap)`; an event that bridges two sessions
 *   merges them (the absorbed session is retracted if it had been emitted).
 * - Each key belongs to one partition (FNV-1a of the key mod `partitions`).
 *   Watermark of a partition = max event time seen in it - `outOfOrderness`;
 *   it never goes back.
 * - A window is emitted when the watermark reaches its end (`end <= wm`).
 *   An event for a window already emitted but with `end + lateness > wm`
 *   updates it and the window is emitted again (a correction) at the next
 *   watermark advance or `flush()`. An event whose windows all have
 *   `end + lateness <= wm` goes to `onLate` and is counted; it is never
 *   silently dropped.
 * - Idle partitions: after each batch (`advanceIdle`), a partition whose own
 *   max event time is more than `idleTimeout` behind the max event time of the
 *   whole operator is idle; its watermark is raised to the operator-wide
 *   watermark (global max - outOfOrderness), so its windows close. This is
 *   event-time based (deterministic); an input that goes fully silent is
 *   closed by `end()`.
 * - State is bounded: a pane/session is dropped once `end + lateness <= wm`;
 *   a key with no state left is dropped after `keyRetention` more event time
 *   (and `onEvict` lets the topology dispose its graph nodes).
 *
 * Hot path: an event for the key's current pane costs one Map lookup, two
 * bigint comparisons, one watermark comparison and the aggregator's `add`; it
 * allocates nothing. Everything else (new pane, late event, firing) is the
 * slow path, taken about once per key per window.
 */

import type { Aggregator } from '../aggregate/aggregator.ts';
import { SlidingAggregate } from '../aggregate/sliding.ts';
import type { ValueRecord } from '../delta/delta.ts';
import { StreamClosedError, WindowSnapshotError } from './errors.ts';
import { fromSnapshotTime, INF, NONE, toSnapshotTime } from './event-time.ts';
import {
  fnv1a,
  KeyState,
  Pane,
  paneAccAt,
  paneCount,
  paneStartAt,
  Session,
  SlidingState,
} from './key-state.ts';
import { calendarPush, heapPop, heapPush, Partition } from './timers.ts';
import {
  type KeySnapshot,
  WINDOW_SNAPSHOT_VERSION,
  type WindowSnapshot,
  type WindowSnapshotDelta,
} from './window-snapshot.ts';
import { floorDiv, resolveWindow, specString, type WindowOptions, type WindowSpec } from './window-spec.ts';

/** One (re-)emission of a window for a key. `retract` = the window no longer exists (session merged away). */
export interface WindowEmit<R> {
  readonly key: string;
  readonly partition: number;
  readonly startNs: bigint;
  readonly endNs: bigint;
  readonly result: R | null;
  readonly retract: boolean;
}

/**
 * What a callback sees of a key: its name, its partition, and `slot`, a field
 * the owner may use to keep its own per-key state (the topology keeps the
 * key's graph leaf there). The operator's internal key state stays private.
 */
export interface WindowKey {
  readonly key: string;
  readonly partition: number;
  slot: unknown;
}

export interface WindowCallbacks<E, R> {
  /** A window result (first emission or correction) or a retraction. Called synchronously. */
  onEmit(key: WindowKey, emit: WindowEmit<R>): void;
  /**
   * Optional: a window result (first emission or correction) as arguments, without a `WindowEmit`
   * object per emission. When present, every result comes here and `onEmit` sees only retractions.
   */
  onResult?(key: WindowKey, startNs: bigint, endNs: bigint, result: R): void;
  /** An event later than allowed lateness (side output). */
  onLate?(event: E, key: string, windowEndNs: bigint, watermarkNs: bigint): void;
  /** A key's state was dropped. */
  onEvict?(key: WindowKey): void;
}

const ZERO = 0n;

export interface WindowStats {
  events: number;
  late: number;
  emitted: number;
  keys: number;
  panes: number;
  watermarks: bigint[];
}

export class WindowOperator<E, A, R extends ValueRecord> {
  private readonly agg: Aggregator<E, A, R>;
  private readonly keyOf: (e: E) => string;
  private readonly timeOf: (e: E) => bigint;
  private readonly cb: WindowCallbacks<E, R>;
  private readonly session: boolean;
  private readonly size: bigint;
  private readonly slide: bigint;
  private readonly gap: bigint;
  private readonly ooo: bigint;
  private readonly lateness: bigint;
  private readonly idle: bigint;
  private readonly retention: bigint;
  private readonly parts: Partition[];
  private readonly keys = new Map<string, KeyState<A>>();
  /** Live keys by id (`undefined`: a free id, listed in `freeIds`). */
  private readonly byId: Array<KeyState<A> | undefined> = [];
  private readonly freeIds: number[] = [];
  /** Scratch bit set over key ids (all zero between uses): a calendar slot's due keys in id order. */
  private dueBits = new Int32Array(0);
  /** `fireById` is running (a callback that pushes events re-enters `advance`: it must not share the bits). */
  private firingById = false;
  /**
   * Change tracking for incremental snapshots (see `snapshotChanges`): keys
   * changed (including evicted) and keys created since the last
   * `markSnapshotted`, each listed once (guarded by its `changed` / `fresh` flag).
   */
  private changedKeys: Array<KeyState<A>> = [];
  private createdKeys: Array<KeyState<A>> = [];
  private globalMax: bigint = NONE;
  private nextSweep: bigint = NONE;
  private closed = false;
  private nEvents = 0;
  private nLate = 0;
  private nEmitted = 0;
  /**
   * Bounds of the most recent pane, shared by every key with an event in it:
   * one bigint object per bound instead of fresh arithmetic (and fresh heap
   * bigints) per key and window. [bStart, bNext) is the pane; bNext = start +
   * slide, bEnd = start + size, bNextLate / bEndLate add the allowed lateness.
   */
  private bStart: bigint = INF;
  private bNext: bigint = INF;
  private bEnd: bigint = INF;
  private bNextLate: bigint = INF;
  private bEndLate: bigint = INF;
  /** The same for the pane before (partitions fire a window after others have opened the next). */
  private pStart: bigint = INF;
  private pEnd: bigint = INF;
  private pEndLate: bigint = INF;
  readonly spec: WindowSpec;

  constructor(
    agg: Aggregator<E, A, R>,
    keyOf: (e: E) => string,
    timeOf: (e: E) => bigint,
    options: WindowOptions,
    callbacks: WindowCallbacks<E, R>,
  ) {
    this.agg = agg;
    this.keyOf = keyOf;
    this.timeOf = timeOf;
    this.cb = callbacks;
    this.spec = options.window;
    const r = resolveWindow(options);
    this.session = r.session;
    this.size = r.size;
    this.slide = r.slide;
    this.gap = r.gap;
    this.ooo = r.ooo;
    this.lateness = r.lateness;
    this.idle = r.idle;
    this.retention = r.retention;
    const n = r.partitions;
    this.parts = [];
    for (let i = 0; i < n; i++) this.parts.push(new Partition(i));
  }

  // ------------------------------------------------------------------ input

  /** Process one event. Emissions happen synchronously through the callbacks. */
  push(e: E): void {
    if (this.closed) throw new StreamClosedError('push()');
    this.nEvents++;
    const key = this.keyOf(e);
    let k = this.keys.get(key);
    if (k === undefined) k = this.newKey(key);
    const ts = this.timeOf(e);
    const p = this.parts[k.partition] as Partition;
    if (ts > p.maxTs) {
      p.maxTs = ts;
      if (ts >= p.dueAt) {
        this.advance(p, ts - this.ooo);
        if (k.evicted) k = this.newKey(key); // the advance dropped this key's old state
      }
    }
    if (!k.changed) this.touch(k);
    if (ts >= k.curStart && ts < k.curEnd) {
      this.agg.add(k.cur as A, e);
      return;
    }
    if (this.session) this.pushSession(k, p, e, ts);
    else this.pushPane(k, p, e, ts);
  }

  /** Process a batch, then let idle partitions advance. */
  pushAll(events: readonly E[]): void {
    for (let i = 0; i < events.length; i++) this.push(events[i] as E);
    this.advanceIdle();
  }

  /**
   * Raise the watermark of partitions that lag the operator-wide max event
   * time by more than the idle timeout (see the module comment).
   */
  advanceIdle(): void {
    let g = NONE;
    for (const p of this.parts) if (p.maxTs > g) g = p.maxTs;
    this.globalMax = g;
    if (g === NONE) return;
    if (g - this.ooo >= this.nextSweep) {
      this.sweep();
      this.nextSweep = g - this.ooo + (this.retention > ZERO ? this.retention : 1n);
    }
    for (const p of this.parts) {
      if (p.maxTs === NONE || g - p.maxTs > this.idle) {
        const wm = g - this.ooo;
        if (wm > p.wm) this.advance(p, wm);
      }
    }
  }

  /** End of input: every watermark goes to +infinity; every window is emitted and all state dropped. */
  end(): void {
    if (this.closed) return;
    for (const p of this.parts) this.advance(p, INF - 1n);
    for (const k of this.keys.values()) this.evict(k);
    this.closed = true;
  }

  // ------------------------------------------------------------ pane windows

  private newKey(key: string): KeyState<A> {
    const id = this.freeIds.length > 0 ? (this.freeIds.pop() as number) : this.byId.length;
    const k = new KeyState<A>(key, fnv1a(key) % this.parts.length, id, this.session);
    this.byId[id] = k;
    this.keys.set(key, k);
    k.fresh = true;
    this.createdKeys.push(k);
    return k;
  }

  /** Record that `k` changed since the last snapshot mark (call when `!k.changed`). */
  private touch(k: KeyState<A>): void {
    k.changed = true;
    this.changedKeys.push(k);
  }

  private pushPane(k: KeyState<A>, p: Partition, e: E, ts: bigint): void {
    const wm = this.syncWm(p);
    const slide = this.slide;
    if (!(ts >= this.bStart && ts < this.bNext)) this.paneBounds(ts);
    const ps = this.bStart;
    if (this.bEndLate <= wm) {
      this.late(e, k, this.bEnd, wm);
      return;
    }
    const acc = k.p0Start === ps ? (k.p0Acc as A) : this.openPane(k, ps);
    this.agg.add(acc, e);
    const sl = k.sliding;
    if (sl !== null && ps < sl.hi) sl.dirty = true;
    // Windows containing this pane end in [ps + slide, ps + size]; those ending at or before the
    // watermark have been emitted: the event makes them due again (a correction).
    // Windows whose end + lateness <= wm are final even when a later window shares this pane.
    let lo = this.bNext;
    if (this.bNextLate <= wm) lo = (floorDiv(wm - this.lateness, slide) + 1n) * slide;
    const hi = this.bEnd;
    if (k.lo === NONE || lo < k.lo) k.lo = lo;
    if (hi > k.hi) k.hi = hi;
    k.idleSince = NONE;
    // Fast path for the next events of this pane, as long as no window containing it is closed.
    if (lo > wm) {
      k.cur = acc;
      k.curStart = ps;
      k.curEnd = this.bNext;
    } else {
      k.cur = null;
      k.curStart = INF;
      k.curEnd = INF;
    }
    this.schedule(p, k, k.lo);
    if (lo <= wm) this.schedule(p, k, wm); // due now: emitted at the next advance
  }

  /** The accumulator of `k`'s pane starting at `ps` other than its first: found, or inserted in order. */
  private openPane(k: KeyState<A>, ps: bigint): A {
    if (k.p0Start === INF) {
      const acc = this.freshAcc(k);
      k.p0Start = ps;
      k.p0Acc = acc;
      return acc;
    }
    let rest = k.rest;
    if (rest === null) {
      rest = [];
      k.rest = rest;
    }
    if (ps < k.p0Start) {
      // A new first pane (an out-of-order event): the old first moves to the front of the rest.
      rest.unshift(new Pane(k.p0Start, k.p0Acc as A));
      const acc = this.freshAcc(k);
      k.p0Start = ps;
      k.p0Acc = acc;
      return acc;
    }
    let i = rest.length;
    while (i > 0 && (rest[i - 1] as Pane<A>).start > ps) i--;
    // Never index -1: a negative index is a named-property lookup up the prototype chain (slow).
    const prev = i > 0 ? rest[i - 1] : undefined;
    if (prev !== undefined && prev.start === ps) return prev.acc;
    const acc = this.freshAcc(k);
    const pane = new Pane(ps, acc);
    if (i === rest.length) rest.push(pane);
    else rest.splice(i, 0, pane);
    return acc;
  }

  /** An empty accumulator: the key's spare one (reset) or a new one. */
  private freshAcc(k: KeyState<A>): A {
    const spare = k.spare;
    if (spare === null) return this.agg.create();
    k.spare = null;
    this.agg.reset(spare);
    return spare;
  }

  /** Drop `k`'s first pane (expired): the next one becomes the first; its accumulator the spare. */
  private dropFirstPane(k: KeyState<A>): void {
    k.spare = k.p0Acc;
    const rest = k.rest;
    if (rest === null || rest.length === 0) {
      k.p0Start = INF;
      k.p0Acc = null;
      return;
    }
    const next = rest[0] as Pane<A>;
    k.p0Start = next.start;
    k.p0Acc = next.acc;
    // Shift down and pop: `shift` on a small array may move or trim its backing store.
    const n = rest.length;
    for (let i = 1; i < n; i++) rest[i - 1] = rest[i] as Pane<A>;
    rest.pop();
  }

  /** Set the shared pane bounds to the pane containing `ts`. */
  private paneBounds(ts: bigint): void {
    const slide = this.slide;
    const ps = ts >= ZERO ? ts - (ts % slide) : floorDiv(ts, slide) * slide;
    this.pStart = this.bStart;
    this.pEnd = this.bEnd;
    this.pEndLate = this.bEndLate;
    this.bStart = ps;
    this.bNext = ps + slide;
    this.bEnd = ps + this.size;
    this.bNextLate = this.bNext + this.lateness;
    this.bEndLate = this.bEnd + this.lateness;
  }

  /** `start + size + lateness` for a pane start (shared bounds when it is the current or previous pane). */
  private expiry(start: bigint): bigint {
    if (start === this.bStart) return this.bEndLate;
    if (start === this.pStart) return this.pEndLate;
    return start + this.size + this.lateness;
  }

  /** `end - size` for a window end (shared bounds when it is the current or previous pane's window). */
  private windowStart(end: bigint): bigint {
    if (end === this.bEnd) return this.bStart;
    if (end === this.pEnd) return this.pStart;
    return end - this.size;
  }

  private processPanes(k: KeyState<A>, p: Partition, wm: bigint): void {
    const agg = this.agg;
    const size = this.size;
    const slide = this.slide;
    if (k.lo !== NONE && k.lo <= wm) {
      const top = k.hi < wm ? k.hi : wm;
      for (let end = k.lo; end <= top; end = end < top ? end + slide : INF) {
        const start = this.windowStart(end);
        let acc: A | null = null;
        if (slide === size) {
          if (k.p0Start === start) acc = k.p0Acc;
          else if (k.rest !== null) {
            const rest = k.rest;
            for (let i = 0; i < rest.length; i++) {
              const pane = rest[i] as Pane<A>;
              if (pane.start === start) acc = pane.acc;
            }
          }
        } else {
          acc = this.slidingAcc(k, start, end);
        }
        if (acc === null || agg.count(acc) === 0) continue;
        this.emitResult(k, p, start, end, agg.result(acc));
      }
      if (k.hi > wm) {
        k.lo = (floorDiv(wm, slide) + 1n) * slide;
      } else {
        k.lo = NONE;
        k.hi = NONE;
      }
      // The current pane's windows may now be closed: re-check on its next event.
      k.cur = null;
      k.curStart = INF;
      k.curEnd = INF;
    }
    while (k.p0Start !== INF && this.expiry(k.p0Start) <= wm) this.dropFirstPane(k);
  }

  /** Aggregate of the panes in [start, end) (sliding windows), via the key's two-stack window. */
  private slidingAcc(k: KeyState<A>, start: bigint, end: bigint): A | null {
    const agg = this.agg;
    let sl = k.sliding;
    if (sl === null || sl.dirty || start < sl.lo || end < sl.hi) {
      sl = new SlidingState(new SlidingAggregate(agg), start);
      k.sliding = sl;
    }
    const w = sl.agg as SlidingAggregate<E, A, R>;
    const starts = sl.starts;
    while (starts.length > 0 && (starts[0] as bigint) < start) {
      w.shift();
      starts.shift();
    }
    const n = paneCount(k as KeyState<unknown>);
    const from = start > sl.hi ? start : sl.hi; // the window may jump past the previous one
    let i = n;
    while (i > 0 && paneStartAt(k as KeyState<unknown>, i - 1) >= from) i--;
    for (; i < n; i++) {
      const ps = paneStartAt(k as KeyState<unknown>, i);
      if (ps >= end) break;
      // A copy: pane accumulators keep changing (and are reused) after they enter the window.
      const copy = agg.create();
      agg.merge(copy, paneAccAt(k, i));
      w.push(copy);
      starts.push(ps);
    }
    sl.lo = start;
    sl.hi = end;
    return w.size === 0 ? null : w.current();
  }

  // --------------------------------------------------------- session windows

  private pushSession(k: KeyState<A>, p: Partition, e: E, ts: bigint): void {
    const wm = this.syncWm(p);
    const gap = this.gap;
    const ss = k.sessions;
    // Sessions overlapping [ts, ts + gap) as intervals [start, last + gap).
    let first = -1;
    let lastIdx = -1;
    for (let i = 0; i < ss.length; i++) {
      const s = ss[i] as Session<A>;
      if (ts < s.last + gap && s.start < ts + gap) {
        if (first < 0) first = i;
        lastIdx = i;
      }
    }
    if (first < 0) {
      if (ts + gap + this.lateness <= wm) {
        this.late(e, k, ts + gap, wm);
        return;
      }
      const s = new Session(ts, ts, this.agg.create());
      this.agg.add(s.acc, e);
      let i = ss.length;
      while (i > 0 && (ss[i - 1] as Session<A>).start > ts) i--;
      ss.splice(i, 0, s);
      this.afterSessionChange(k, p, s, wm);
      return;
    }
    const s = ss[first] as Session<A>;
    for (let i = first + 1; i <= lastIdx; i++) {
      const o = ss[i] as Session<A>;
      this.agg.merge(s.acc, o.acc);
      if (o.last > s.last) s.last = o.last;
      if (o.emitted) this.retract(k, p, o);
    }
    if (lastIdx > first) ss.splice(first + 1, lastIdx - first);
    if (ts < s.start) s.start = ts;
    if (ts > s.last) s.last = ts;
    this.agg.add(s.acc, e);
    this.afterSessionChange(k, p, s, wm);
  }

  private afterSessionChange(k: KeyState<A>, p: Partition, s: Session<A>, wm: bigint): void {
    s.dirty = true;
    k.idleSince = NONE;
    const end = s.last + this.gap;
    // Fast path: events inside the open session that do not extend it.
    if (end > wm && !s.emitted) {
      k.cur = s.acc;
      k.curStart = s.start;
      k.curEnd = s.last + 1n;
    } else {
      k.cur = null;
      k.curStart = INF;
      k.curEnd = INF;
    }
    this.schedule(p, k, end <= wm ? wm : end);
  }

  private retract(k: KeyState<A>, p: Partition, s: Session<A>): void {
    this.emit(k, {
      key: k.key,
      partition: p.id,
      startNs: s.emittedStart,
      endNs: s.emittedEnd,
      result: null,
      retract: true,
    });
    s.emitted = false;
  }

  private processSessions(k: KeyState<A>, p: Partition, wm: bigint): void {
    const ss = k.sessions;
    for (const s of ss) {
      const end = s.last + this.gap;
      if (!s.dirty || end > wm) continue;
      // Identity of a session is its start: a moved start retracts the old one, a moved end is an update.
      if (s.emitted && s.emittedStart !== s.start) this.retract(k, p, s);
      this.emitResult(k, p, s.start, end, this.agg.result(s.acc));
      s.dirty = false;
      s.emitted = true;
      s.emittedStart = s.start;
      s.emittedEnd = end;
    }
    let drop = 0;
    for (const s of ss) if (s.last + this.gap + this.lateness <= wm && !s.dirty) drop++;
    if (drop > 0) k.sessions = ss.filter((s) => !(s.last + this.gap + this.lateness <= wm && !s.dirty));
    k.cur = null;
    k.curStart = INF;
    k.curEnd = INF;
  }

  // ------------------------------------------------------- timers, firing

  private late(e: E, k: KeyState<A>, windowEnd: bigint, wm: bigint): void {
    this.nLate++;
    // A key created by this very event holds nothing: do not keep it.
    if (k.timerAt === NONE && k.p0Start === INF && k.sessions.length === 0) {
      this.drop(k);
    }
    this.cb.onLate?.(e, k.key, windowEnd, wm);
  }

  private emit(k: KeyState<A>, out: WindowEmit<R>): void {
    this.nEmitted++;
    this.cb.onEmit(k as KeyState<unknown>, out);
  }

  private emitResult(k: KeyState<A>, p: Partition, startNs: bigint, endNs: bigint, result: R): void {
    const cb = this.cb;
    if (cb.onResult === undefined) {
      this.emit(k, { key: k.key, partition: p.id, startNs, endNs, result, retract: false });
      return;
    }
    this.nEmitted++;
    cb.onResult(k as KeyState<unknown>, startNs, endNs, result);
  }

  /**
   * The hot path only compares max event time against the next due timer; the
   * watermark itself is brought up to date here, on the slow path (no timer is
   * due below `maxTs - ooo`, so none is skipped).
   */
  private syncWm(p: Partition): bigint {
    const wm = p.maxTs - this.ooo;
    if (wm > p.wm) p.wm = wm;
    return p.wm;
  }

  /** Make sure `k` has a timer at or before `t`. */
  private schedule(p: Partition, k: KeyState<A>, t: bigint): void {
    if (k.timerAt !== NONE && k.timerAt <= t) return;
    k.timerAt = t;
    this.timerPush(p, t, k);
    const due = this.ooo === ZERO ? t : t + this.ooo;
    if (due < p.dueAt) p.dueAt = due;
    if (t <= p.wm) this.advance(p, p.wm);
  }

  /** Raise partition `p`'s watermark to `wm` (if higher) and run every due timer. */
  private advance(p: Partition, wm: bigint): void {
    if (wm > p.wm) p.wm = wm;
    else wm = p.wm;
    if (this.session) {
      while (p.heapT.length > 0 && (p.heapT[0] as bigint) <= wm) {
        const t = p.heapT[0] as bigint;
        const k = p.heapK[0] as KeyState<A>;
        heapPop(p);
        if (k.timerAt !== t) continue; // stale entry
        k.timerAt = NONE;
        this.processKey(k, p, wm);
      }
    } else {
      while (p.calTimes.length > 0 && (p.calTimes[0] as bigint) <= wm) {
        const t = p.calTimes.shift() as bigint;
        const due = p.cal.get(t) as Array<KeyState<A>>;
        p.cal.delete(t);
        if (p.lastCalT === t) p.lastCalList = null;
        // Many due keys: fire them in id order (see fireById); a few: in the order they were scheduled.
        if (due.length >= 64 && due.length * 16 >= this.byId.length && !this.firingById) {
          this.fireById(due, t, p, wm);
          continue;
        }
        for (let i = 0; i < due.length; i++) {
          const k = due[i] as KeyState<A>;
          if (k.timerAt !== t) continue; // stale entry
          k.timerAt = NONE;
          this.processKey(k, p, wm);
        }
      }
    }
    this.updateDue(p);
  }

  /**
   * Fire a calendar slot's due keys in id order: a bit per due key, then a walk over the bits. Ids
   * follow creation order (reused ones aside), and so, mostly, does the keys' state in memory (it is
   * allocated when a key is created and the collector moves it in the order it finds it, the key
   * map's order), so the walk reads it nearly sequentially where the order of scheduling (the order
   * of each key's first event in the window) jumps across all of it, a cache miss per object.
   */
  private fireById(due: Array<KeyState<A>>, t: bigint, p: Partition, wm: bigint): void {
    const words = (this.byId.length + 31) >>> 5;
    if (this.dueBits.length < words) this.dueBits = new Int32Array(words * 2);
    const bits = this.dueBits;
    this.firingById = true;
    for (let i = 0; i < due.length; i++) {
      const k = due[i] as KeyState<A>;
      if (k.timerAt === t) bits[k.id >>> 5] = (bits[k.id >>> 5] as number) | (1 << (k.id & 31));
    }
    for (let w = 0; w < words; w++) {
      let x = bits[w] as number;
      if (x === 0) continue;
      bits[w] = 0;
      while (x !== 0) {
        const low = x & -x;
        x ^= low;
        const k = this.byId[(w << 5) | (31 - Math.clz32(low))];
        if (k === undefined || k.timerAt !== t) continue; // dropped or rescheduled by a callback meanwhile
        k.timerAt = NONE;
        this.processKey(k, p, wm);
      }
    }
    this.firingById = false;
  }

  private updateDue(p: Partition): void {
    const T = this.session ? p.heapT : p.calTimes;
    p.dueAt = T.length > 0 ? (this.ooo === ZERO ? (T[0] as bigint) : (T[0] as bigint) + this.ooo) : INF;
  }

  private timerPush(p: Partition, t: bigint, k: KeyState<A>): void {
    if (this.session) heapPush(p, t, k as KeyState<unknown>);
    else calendarPush(p, t, k as KeyState<unknown>);
  }

  private processKey(k: KeyState<A>, p: Partition, wm: bigint): void {
    if (!k.changed) this.touch(k);
    if (this.session) this.processSessions(k, p, wm);
    else this.processPanes(k, p, wm);
    // Next timer: pending emission, next expiry, or dropping the key.
    let next = INF;
    if (this.session) {
      for (const s of k.sessions) {
        const end = s.last + this.gap;
        const t = s.dirty ? end : end + this.lateness;
        if (t < next) next = t;
      }
    } else {
      if (k.lo !== NONE) next = k.lo;
      if (k.p0Start !== INF) {
        const expiry = this.expiry(k.p0Start);
        if (expiry < next) next = expiry;
      }
    }
    if (next === INF) {
      // No state left: the key is dropped by a later sweep unless it comes back.
      k.idleSince = wm;
      return;
    }
    k.timerAt = next;
    this.timerPush(p, next, k);
  }

  /** Drop keys that have had no state for `keyRetention` of their partition's event time. */
  private sweep(): void {
    for (const k of this.keys.values()) {
      if (k.idleSince === NONE || k.timerAt !== NONE) continue;
      if (k.idleSince + this.retention <= (this.parts[k.partition] as Partition).wm) this.evict(k);
    }
  }

  private evict(k: KeyState<A>): void {
    this.drop(k);
    this.cb.onEvict?.(k as KeyState<unknown>);
  }

  /** Forget a key (it has no live timer: its stale calendar entries are skipped, its id is free). */
  private drop(k: KeyState<A>): void {
    k.evicted = true;
    this.keys.delete(k.key);
    this.byId[k.id] = undefined;
    this.freeIds.push(k.id);
    if (!k.changed) this.touch(k);
  }

  // ------------------------------------------------------------ introspection

  /** Live keys (O(1)). */
  get keyCount(): number {
    return this.keys.size;
  }

  /** Watermark of a partition (O(1)); a large negative number before any event. */
  watermarkOf(partition: number): bigint {
    return this.parts[partition]?.wm ?? NONE;
  }

  /** Whether the key has live state (O(1)). */
  hasKey(key: string): boolean {
    return this.keys.has(key);
  }

  /** The owner's slot of a key (see KeyState.slot); null for a key with no state. */
  slotOf(key: string): unknown {
    return this.keys.get(key)?.slot ?? null;
  }

  /**
   * The windows the key's state still holds, oldest first, each with its
   * current aggregate (a fresh result object) — read-only, for queries
   * (nothing is emitted, no state changes). Pane windows: every window that
   * has a pane of the key and is not past its allowed lateness; sessions:
   * every session held. `closed`: the watermark has reached its end (it was
   * emitted; a late event may still correct it within the lateness). Empty
   * for a key with no state. O(panes x panes per window) of that key only.
   */
  windowsOf(key: string): Array<{ startNs: bigint; endNs: bigint; closed: boolean; result: R }> {
    const k = this.keys.get(key);
    if (k === undefined) return [];
    const p = this.parts[k.partition] as Partition;
    // biome-ignore lint/complexity/useMathMinMax: bigints (Math.max throws on them)
    const wm = p.maxTs - this.ooo > p.wm ? p.maxTs - this.ooo : p.wm;
    const agg = this.agg;
    const out: Array<{ startNs: bigint; endNs: bigint; closed: boolean; result: R }> = [];
    if (this.session) {
      for (const s of k.sessions) {
        const endNs = s.last + this.gap;
        out.push({ startNs: s.start, endNs, closed: endNs <= wm, result: agg.result(s.acc) });
      }
      return out;
    }
    const n = paneCount(k as KeyState<unknown>);
    if (n === 0) return out;
    const first = k.p0Start;
    const last = paneStartAt(k as KeyState<unknown>, n - 1);
    // window ends from the first pane's first window to the last pane's last one
    for (let end = first + this.slide; end <= last + this.size; end += this.slide) {
      const start = end - this.size;
      if (end + this.lateness <= wm) continue; // final: its panes may be gone
      const acc = agg.create();
      for (let i = 0; i < n; i++) {
        const ps = paneStartAt(k as KeyState<unknown>, i);
        if (ps >= start && ps < end) agg.merge(acc, paneAccAt(k, i));
      }
      if (agg.count(acc) === 0) continue;
      out.push({ startNs: start, endNs: end, closed: end <= wm, result: agg.result(acc) });
    }
    return out;
  }

  stats(): WindowStats {
    let panes = 0;
    for (const k of this.keys.values()) panes += paneCount(k as KeyState<unknown>) + k.sessions.length;
    return {
      events: this.nEvents,
      late: this.nLate,
      emitted: this.nEmitted,
      keys: this.keys.size,
      panes,
      watermarks: this.parts.map((p) => p.wm),
    };
  }

  /** Operator-wide max event time seen (NONE before any event is a large negative number). */
  get maxEventTime(): bigint {
    return this.globalMax;
  }

  // ------------------------------------------------------------ snapshot

  /**
   * Everything needed to continue exactly where this operator stands: per
   * partition max event time and watermark; per key its panes or sessions
   * (accumulators via the aggregator's `save`), pending emission range and
   * idle time. The format is documented in window-snapshot.ts.
   */
  snapshot(): WindowSnapshot {
    const keys: KeySnapshot[] = [];
    for (const k of this.keys.values()) keys.push(this.keySnapshot(k));
    return { ...this.header(), keys };
  }

  /**
   * The keys changed since the last `markSnapshotted` (or `restore`): what
   * `applyWindowDelta` needs to turn the snapshot taken then into the
   * snapshot of now, exactly (same keys, same order). Costs O(changed keys),
   * not O(keys). Does not reset the tracking: call `markSnapshotted` once the
   * result (or a full snapshot) is the new base.
   */
  snapshotChanges(): WindowSnapshotDelta {
    const keys: KeySnapshot[] = [];
    const removed: string[] = [];
    for (const k of this.changedKeys) {
      if (k.fresh) continue; // listed below, in creation order
      if (this.keys.get(k.key) === k) keys.push(this.keySnapshot(k));
      else removed.push(k.key); // evicted (and maybe re-created: then appended below)
    }
    for (const k of this.createdKeys) if (this.keys.get(k.key) === k) keys.push(this.keySnapshot(k));
    return { ...this.header(), keys, removed };
  }

  /** The current state is the base of the next `snapshotChanges`. */
  markSnapshotted(): void {
    for (const k of this.changedKeys) k.changed = false;
    for (const k of this.createdKeys) k.fresh = false;
    this.changedKeys = [];
    this.createdKeys = [];
  }

  /** Keys changed or created since the last snapshot mark (an upper bound: a key may be listed twice). */
  get changedKeyCount(): number {
    return this.changedKeys.length + this.createdKeys.length;
  }

  private header(): Omit<WindowSnapshot, 'keys'> {
    return {
      version: WINDOW_SNAPSHOT_VERSION,
      window: specString(this.spec),
      counters: { events: this.nEvents, late: this.nLate, emitted: this.nEmitted },
      partitions: this.parts.map((p) => ({
        maxEventTimeNs: toSnapshotTime(p.maxTs),
        watermarkNs: toSnapshotTime(p.wm),
      })),
    };
  }

  private keySnapshot(k: KeyState<A>): KeySnapshot {
    const agg = this.agg;
    return {
      key: k.key,
      pendingFromNs: toSnapshotTime(k.lo),
      pendingToNs: toSnapshotTime(k.hi),
      idleSinceNs: toSnapshotTime(k.idleSince),
      panes: Array.from({ length: paneCount(k as KeyState<unknown>) }, (_, i) => ({
        startNs: paneStartAt(k as KeyState<unknown>, i),
        acc: agg.save(paneAccAt(k, i)),
      })),
      sessions: k.sessions.map((s) => ({
        startNs: s.start,
        lastNs: s.last,
        dirty: s.dirty,
        emitted: s.emitted,
        emittedStartNs: toSnapshotTime(s.emittedStart),
        emittedEndNs: toSnapshotTime(s.emittedEnd),
        acc: agg.save(s.acc),
      })),
    };
  }

  /** Load a snapshot into a fresh operator built with the same options. */
  restore(snap: WindowSnapshot): void {
    try {
      if (snap.version !== WINDOW_SNAPSHOT_VERSION)
        throw new WindowSnapshotError(`unsupported version ${String(snap.version)}`);
      if (snap.window !== specString(this.spec))
        throw new WindowSnapshotError(`taken with window ${snap.window}, not ${specString(this.spec)}`);
      if (snap.partitions.length !== this.parts.length)
        throw new WindowSnapshotError(`taken with ${snap.partitions.length} partitions`);
      if (this.keys.size > 0 || this.nEvents > 0)
        throw new WindowSnapshotError('restore needs a fresh operator');
      const c = snap.counters;
      if (![c.events, c.late, c.emitted].every((n) => Number.isSafeInteger(n) && n >= 0))
        throw new WindowSnapshotError('counters must be non-negative integers');
      this.nEvents = c.events;
      this.nLate = c.late;
      this.nEmitted = c.emitted;
      snap.partitions.forEach((ps, i) => {
        const p = this.parts[i] as Partition;
        p.maxTs = fromSnapshotTime(time(ps.maxEventTimeNs, 'maxEventTimeNs'));
        p.wm = fromSnapshotTime(time(ps.watermarkNs, 'watermarkNs'));
      });
      for (const ks of snap.keys) {
        if (typeof ks.key !== 'string') throw new WindowSnapshotError('a key is not a string');
        const k = this.newKey(ks.key);
        k.lo = fromSnapshotTime(time(ks.pendingFromNs, 'pendingFromNs'));
        k.hi = fromSnapshotTime(time(ks.pendingToNs, 'pendingToNs'));
        k.idleSince = fromSnapshotTime(time(ks.idleSinceNs, 'idleSinceNs'));
        for (const pn of ks.panes) {
          const start = time(pn.startNs, 'startNs');
          const acc = this.agg.load(pn.acc);
          if (k.p0Start === INF) {
            k.p0Start = start;
            k.p0Acc = acc;
          } else {
            if (k.rest === null) k.rest = [];
            k.rest.push(new Pane(start, acc));
          }
        }
        for (const s of ks.sessions) {
          const ss = new Session(time(s.startNs, 'startNs'), time(s.lastNs, 'lastNs'), this.agg.load(s.acc));
          ss.dirty = s.dirty === true;
          ss.emitted = s.emitted === true;
          ss.emittedStart = fromSnapshotTime(time(s.emittedStartNs, 'emittedStartNs'));
          ss.emittedEnd = fromSnapshotTime(time(s.emittedEndNs, 'emittedEndNs'));
          k.sessions.push(ss);
        }
        // Re-arm: process at the current watermark (emits nothing new unless due) and schedule.
        const p = this.parts[k.partition] as Partition;
        this.schedule(p, k, p.wm + 1n);
      }
      for (const p of this.parts) this.updateDue(p);
      // The restored state is the snapshot: the base of the next incremental one.
      this.markSnapshotted();
    } catch (cause) {
      if (cause instanceof WindowSnapshotError) throw cause;
      throw new WindowSnapshotError('malformed', cause);
    }
  }
}

function time(v: unknown, field: string): bigint {
  if (typeof v !== 'bigint') throw new WindowSnapshotError(`${field} is not a bigint`);
  return v;
}
