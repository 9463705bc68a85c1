/**
 * Event-time progress and timers of one partition of the window operator.
 * Two timer structures, one per window kind:
 * - pane windows (tumbling/sliding): a calendar, since window ends are aligned
 *   and few distinct times are pending (O(1) insert, no comparison);
 * - session windows: a binary min-heap on time (parallel arrays).
 * A key has at most one live timer (`KeyState.timerAt`); entries whose time
 * differs from it are stale and skipped when popped.
 */
import { INF, NONE } from './event-time.ts';
import type { KeyState } from './key-state.ts';

export class Partition {
  readonly id: number;
  maxTs: bigint = NONE;
  wm: bigint = NONE;
  /** maxTs at or above which some timer is due (heap top + outOfOrderness). */
  dueAt: bigint = INF;
  /** Session timers: binary min-heap (parallel arrays). */
  heapT: bigint[] = [];
  heapK: Array<KeyState<unknown>> = [];
  /**
   * Pane-window timers: a calendar. Window ends are aligned, so few distinct
   * times are pending; each holds the keys due then (O(1) insert, no compare).
   */
  calTimes: bigint[] = [];
  cal = new Map<bigint, Array<KeyState<unknown>>>();
  /** Last calendar slot used (most pushes of a window go to the same time). */
  lastCalT: bigint = NONE;
  lastCalList: Array<KeyState<unknown>> | null = null;
  constructor(id: number) {
    this.id = id;
  }
}

/** Add a pane-window timer for `k` at `t` (calendar: one list of keys per distinct time). */
export function calendarPush(p: Partition, t: bigint, k: KeyState<unknown>): void {
  if (t === p.lastCalT && p.lastCalList !== null) {
    p.lastCalList.push(k);
    return;
  }
  const list = p.cal.get(t);
  if (list !== undefined) {
    p.lastCalT = t;
    p.lastCalList = list;
    list.push(k);
    return;
  }
  const fresh = [k];
  p.cal.set(t, fresh);
  p.lastCalT = t;
  p.lastCalList = fresh;
  const T = p.calTimes;
  let i = T.length;
  while (i > 0 && (T[i - 1] as bigint) > t) i--;
  T.splice(i, 0, t);
}

// Binary min-heap on (time), parallel arrays, ties in insertion-independent but deterministic order.
export function heapPush(p: Partition, t: bigint, k: KeyState<unknown>): void {
  const T = p.heapT;
  const K = p.heapK;
  let i = T.length;
  T.push(t);
  K.push(k);
  while (i > 0) {
    const up = (i - 1) >> 1;
    if ((T[up] as bigint) <= t) break;
    T[i] = T[up] as bigint;
    K[i] = K[up] as KeyState<unknown>;
    i = up;
  }
  T[i] = t;
  K[i] = k;
}

export function heapPop(p: Partition): void {
  const T = p.heapT;
  const K = p.heapK;
  const t = T.pop() as bigint;
  const k = K.pop() as KeyState<unknown>;
  const n = T.length;
  if (n === 0) return;
  let i = 0;
  for (;;) {
    const l = 2 * i + 1;
    if (l >= n) break;
    const r = l + 1;
    const c = r < n && (T[r] as bigint) < (T[l] as bigint) ? r : l;
    if ((T[c] as bigint) >= t) break;
    T[i] = T[c] as bigint;
    K[i] = K[c] as KeyState<unknown>;
    i = c;
  }
  T[i] = t;
  K[i] = k;
}
