/**
 * The typed numeric path of the graph: f64 nodes (`Graph.f64Leaf`, `f64Map`, `f64Map2`, `f64Sum`)
 * stored in typed arrays indexed by an integer id: values and pending leaf values in
 * Float64Arrays, a node's integer fields (kind/flags, height, inputs, first two dependents)
 * interleaved in one Int32Array. A changed node
 * creates no object: no node object touched, no boxed value stored, user functions take and return
 * doubles. Scheduling is the generic one (decision 0001): one bucket per height, heights shared
 * with the generic nodes (the kernel drains, per height, this store's bucket and then its own), a
 * node recomputed at most once per stabilization, after its inputs.
 *
 * Cutoff: a recomputed value equal to the previous one by `Object.is` does not propagate (the
 * generic default): NaN → NaN is no change, +0 → −0 is a change.
 *
 * A generic node reads an f64 node through its *view*: one generic node (kind `f64View`, one
 * height above the f64 node) holding the value boxed, created the first time a generic node takes
 * the f64 node as an input and queued whenever the f64 node changes.
 */
import { type GraphError, NodeComputeError, NumberExpectedError } from './errors.ts';
import type { F64SumState } from './f64-sum.ts';
import type { GNode } from './node.ts';

export const F64_LEAF = 0;
export const F64_MAP = 1;
export const F64_MAP2 = 2;
export const F64_SUM = 3;
export const F64_KIND_NAMES = ['f64Leaf', 'f64Map', 'f64Map2', 'f64Sum'] as const;

/** `ints[id * 8]`: the kind in the low 2 bits and these flags above. */
export const F64_KIND_MASK = 3;
export const F64_QUEUED = 4;
export const F64_PENDING = 8;
export const F64_ERRORED = 16;
export const F64_NOTIFY = 32;
/** The node has a generic view (`views[id]`). */
export const F64_VIEWED = 64;
/** The node has observers (`observers[id]`): the hot path tests the flag, not the array. */
export const F64_OBSERVED = 128;
/** The node has more than two f64 dependents (the others in `out[id]`). */
export const F64_MANY = 256;

export type F64Fn1 = (x: number) => number;
export type F64Fn2 = (x: number, y: number) => number;
export type F64ObserverFn = (oldValue: number, newValue: number) => void;

/** What the store reports to the graph that owns it. */
export interface F64Host {
  /** A node's function threw or returned a non-number during a stabilization. */
  readonly reportError: (error: GraphError) => void;
  /** An f64 node with a view changed: queue the view (generic queue). */
  readonly enqueueView: (view: GNode) => void;
}

/** The handle of an f64 node given to callers: an id into the store, read-only. */
export class F64Handle {
  readonly id: number;
  readonly store: F64Store;
  /** False once the node is disposed (its id may then serve another node, with another handle). */
  alive = true;
  constructor(store: F64Store, id: number) {
    this.store = store;
    this.id = id;
  }
  /** The value as of the last stabilization (NaN once the node is disposed). */
  get value(): number {
    return this.alive ? (this.store.val[this.id] as number) : Number.NaN;
  }
  get height(): number {
    return this.store.ints[this.id * 8 + 1] as number;
  }
  get name(): string | null {
    return this.store.names[this.id] ?? null;
  }
}

const INITIAL_CAPACITY = 64;

export class F64Store {
  private readonly host: F64Host;
  /** Ids in use or free: the arrays' extent. */
  count = 0;
  /** Live nodes. */
  live = 0;
  /** Ids of disposed nodes, reused by the next nodes (with a new handle: an old handle stays dead). */
  private readonly freeIds: number[] = [];
  val: Float64Array;
  /** A leaf's pending value (while F64_PENDING is set). */
  pend: Float64Array;
  /**
   * The integer fields of node id, interleaved (one 32-byte record per node, so that a node's
   * fields share a cache line): ints[8 id] kind and flags, [8 id + 1] height, [+2] first input,
   * [+3] second input (map2), [+4] first f64 dependent + 1 (0: none), [+5] its input slot (a
   * sum's slot; 0 or 1 for map2), [+6] and [+7] the same for the second dependent.
   */
  ints: Int32Array;
  /** Further f64 dependents, [id, slot, ...]; null while there are at most two. */
  out: Array<number[] | null> = [];
  fn: Array<F64Fn1 | F64Fn2 | null> = [];
  sums: Array<F64SumState | null> = [];
  views: Array<GNode | null> = [];
  observers: Array<F64ObserverFn | F64ObserverFn[] | null> = [];
  names: Array<string | null> = [];
  /** The handle of each live node by id; null for a free id (so a disposed node's handle matches nothing). */
  handles: Array<F64Handle | null> = [];
  readonly byName = new Map<string, number>();

  /** Dirty queue: one array of ids per height, `bucketLen[h]` of them in use. */
  buckets: number[][] = [];
  bucketLen: number[] = [];
  minDirty = Number.POSITIVE_INFINITY;
  maxDirty = -1;
  dirtyCount = 0;

  notifyIds: number[] = [];
  notifyOld: number[] = [];
  notifyCount = 0;

  nCutoffs = 0;
  nStale = 0;

  constructor(host: F64Host, capacity = INITIAL_CAPACITY) {
    this.host = host;
    this.val = new Float64Array(capacity);
    this.pend = new Float64Array(capacity);
    this.ints = new Int32Array(capacity * 8);
  }

  // ---------------------------------------------------------------- building

  /** A new node with its value already computed; the caller links its inputs. */
  add(kind: number, height: number, value: number, name: string | null, fn: F64Fn1 | F64Fn2 | null): number {
    const reused = this.freeIds.length > 0;
    const id = reused ? (this.freeIds.pop() as number) : this.count;
    if (id === this.val.length) this.grow();
    if (!reused) this.count = id + 1;
    this.live++;
    this.val[id] = value;
    this.pend[id] = 0;
    this.ints[id * 8 + 1] = height;
    this.ints[id * 8] = kind;
    this.ints[id * 8 + 2] = -1;
    this.ints[id * 8 + 3] = -1;
    this.ints[id * 8 + 4] = 0;
    this.ints[id * 8 + 5] = 0;
    this.ints[id * 8 + 6] = 0;
    this.ints[id * 8 + 7] = 0;
    this.out[id] = null;
    this.fn[id] = fn;
    this.sums[id] = null;
    this.views[id] = null;
    this.observers[id] = null;
    this.names[id] = name;
    this.handles[id] = new F64Handle(this, id);
    if (name !== null && kind === F64_LEAF) this.byName.set(name, id);
    return id;
  }

  /**
   * Free node `id` (the caller has detached it from every input and dependent): out of the queue,
   * its handle dead, its id reusable.
   */
  free(id: number): void {
    const m = this.ints[id * 8] as number;
    if ((m & F64_QUEUED) !== 0) {
      // Out of the queue. Not necessarily in the bucket of its height: a height raised after the
      // node was queued leaves it in the old one.
      for (let h = 0; h < this.buckets.length; h++) {
        const bucket = this.buckets[h] as number[];
        const len = this.bucketLen[h] as number;
        const at = bucket.indexOf(id);
        if (at >= 0 && at < len) {
          bucket[at] = bucket[len - 1] as number;
          this.bucketLen[h] = len - 1;
          this.dirtyCount--;
          break;
        }
      }
    }
    if ((m & F64_ERRORED) !== 0) this.nStale--;
    const name = this.names[id] ?? null;
    if (name !== null && this.byName.get(name) === id) this.byName.delete(name);
    this.ints[id * 8] = 0;
    this.ints[id * 8 + 4] = 0;
    this.ints[id * 8 + 6] = 0;
    this.out[id] = null;
    this.fn[id] = null;
    this.sums[id] = null;
    this.views[id] = null;
    this.observers[id] = null;
    this.names[id] = null;
    (this.handles[id] as F64Handle).alive = false;
    this.handles[id] = null;
    this.freeIds.push(id);
    this.live--;
  }

  /** Add dependent `child`, reading `parent` at its input slot `slot`. */
  link(parent: number, child: number, slot: number): void {
    const ints = this.ints;
    const at = parent * 8;
    if (ints[at + 4] === 0) {
      ints[at + 4] = child + 1;
      ints[at + 5] = slot;
    } else if (ints[at + 6] === 0) {
      ints[at + 6] = child + 1;
      ints[at + 7] = slot;
    } else {
      const out = this.out[parent] ?? null;
      if (out === null) this.out[parent] = [child, slot];
      else out.push(child, slot);
      ints[at] = (ints[at] as number) | F64_MANY;
    }
  }

  /** Remove dependent `child` at input slot `slot` of `parent` (the last one takes its place). */
  unlink(parent: number, child: number, slot: number): void {
    const deps = this.dependents(parent);
    const at = deps.findIndex(([c, s]) => c === child && s === slot);
    if (at < 0) return;
    deps[at] = deps[deps.length - 1] as [number, number];
    deps.pop();
    this.setDependents(parent, deps);
  }

  /** Change the slot under which `parent` lists dependent `child` (a sum's slots move on removal). */
  reslot(parent: number, child: number, from: number, to: number): void {
    const deps = this.dependents(parent);
    const at = deps.findIndex(([c, s]) => c === child && s === from);
    if (at < 0) return;
    deps[at] = [child, to];
    this.setDependents(parent, deps);
  }

  /** The f64 dependents of `id` as [child, slot] pairs (building and checking, not the hot path). */
  dependents(id: number): Array<[number, number]> {
    const ints = this.ints;
    const r: Array<[number, number]> = [];
    if (ints[id * 8 + 4] !== 0) r.push([(ints[id * 8 + 4] as number) - 1, ints[id * 8 + 5] as number]);
    if (ints[id * 8 + 6] !== 0) r.push([(ints[id * 8 + 6] as number) - 1, ints[id * 8 + 7] as number]);
    const out = this.out[id] ?? null;
    if (out !== null)
      for (let k = 0; k < out.length; k += 2) r.push([out[k] as number, out[k + 1] as number]);
    return r;
  }

  /** Store `deps` as the dependents of `id`: the first two inline, the others in `out[id]`. */
  private setDependents(id: number, deps: ReadonlyArray<readonly [number, number]>): void {
    const ints = this.ints;
    const d0 = deps[0];
    const d1 = deps[1];
    ints[id * 8 + 4] = d0 === undefined ? 0 : d0[0] + 1;
    ints[id * 8 + 5] = d0 === undefined ? 0 : d0[1];
    ints[id * 8 + 6] = d1 === undefined ? 0 : d1[0] + 1;
    ints[id * 8 + 7] = d1 === undefined ? 0 : d1[1];
    const m = ints[id * 8] as number;
    if (deps.length > 2) {
      this.out[id] = deps.slice(2).flat();
      ints[id * 8] = m | F64_MANY;
    } else {
      this.out[id] = null;
      ints[id * 8] = m & ~F64_MANY;
    }
  }

  /** Set node `id`'s observers (null: none). */
  setObservers(id: number, observers: F64ObserverFn | F64ObserverFn[] | null): void {
    this.observers[id] = observers;
    const m = this.ints[id * 8] as number;
    this.ints[id * 8] = observers === null ? m & ~F64_OBSERVED : m | F64_OBSERVED;
  }

  // Named accessors of the interleaved integer fields, for building and checking (the hot path
  // indexes `ints` directly).
  metaOf(id: number): number {
    return this.ints[id * 8] as number;
  }
  setMeta(id: number, m: number): void {
    this.ints[id * 8] = m;
  }
  heightOf(id: number): number {
    return this.ints[id * 8 + 1] as number;
  }
  setHeight(id: number, h: number): void {
    this.ints[id * 8 + 1] = h;
  }
  /** The first input of a map/map2 (-1 otherwise). */
  input0(id: number): number {
    return this.ints[id * 8 + 2] as number;
  }
  /** The second input of a map2 (-1 otherwise). */
  input1(id: number): number {
    return this.ints[id * 8 + 3] as number;
  }
  setInputs(id: number, a: number, b: number): void {
    this.ints[id * 8 + 2] = a;
    this.ints[id * 8 + 3] = b;
  }
  /** The first f64 dependent + 1 (0: none). */
  firstDependent(id: number): number {
    return this.ints[id * 8 + 4] as number;
  }

  kind(id: number): number {
    return (this.ints[id * 8] as number) & F64_KIND_MASK;
  }

  label(id: number): string {
    return this.names[id] ?? `${F64_KIND_NAMES[this.kind(id)] ?? 'f64'}#${id}`;
  }

  // ---------------------------------------------------------------- updating

  /** Record a leaf's new value (the caller checked that `id` is a live f64 leaf). */
  set(id: number, value: number): void {
    this.pend[id] = value;
    const m = this.ints[id * 8] as number;
    this.ints[id * 8] = m | F64_PENDING;
    if ((m & F64_QUEUED) === 0) this.enqueue(id);
  }

  enqueue(id: number): void {
    this.ints[id * 8] = (this.ints[id * 8] as number) | F64_QUEUED;
    const h = this.ints[id * 8 + 1] as number;
    const bucketLen = this.bucketLen;
    while (bucketLen.length <= h) {
      this.buckets.push([]);
      bucketLen.push(0);
    }
    const len = bucketLen[h] as number;
    (this.buckets[h] as number[])[len] = id;
    bucketLen[h] = len + 1;
    if (h < this.minDirty) this.minDirty = h;
    if (h > this.maxDirty) this.maxDirty = h;
    this.dirtyCount++;
  }

  /**
   * Recompute every queued node of height `h` (none of them depends on another); their changed
   * dependents are queued higher. Returns the number of recomputes.
   */
  drain(h: number): number {
    const len = this.bucketLen[h] as number;
    const bucket = this.buckets[h] as number[];
    const ints = this.ints;
    let recomputes = 0;
    for (let i = 0; i < len; i++) {
      const id = bucket[i] as number;
      ints[id * 8] = (ints[id * 8] as number) & ~F64_QUEUED;
      if ((ints[id * 8 + 1] as number) !== h) {
        // Height raised after the node was queued: requeue at its height.
        this.enqueue(id);
        continue;
      }
      recomputes++;
      if (this.recompute(id)) this.propagate(id);
    }
    this.bucketLen[h] = 0;
    this.dirtyCount -= len;
    return recomputes;
  }

  /** Recompute one node; true when its value changed. */
  private recompute(id: number): boolean {
    const ints = this.ints;
    const m = ints[id * 8] as number;
    const val = this.val;
    const old = val[id] as number;
    let nv: number;
    switch (m & F64_KIND_MASK) {
      case F64_LEAF:
        nv = this.pend[id] as number;
        ints[id * 8] = m & ~F64_PENDING;
        break;
      case F64_MAP: {
        let r: unknown;
        try {
          r = (this.fn[id] as F64Fn1)(val[this.ints[id * 8 + 2] as number] as number);
        } catch (cause) {
          this.fail(id, cause);
          return false;
        }
        if (typeof r !== 'number') return this.failType(id, r);
        nv = r;
        break;
      }
      case F64_MAP2: {
        let r: unknown;
        try {
          r = (this.fn[id] as F64Fn2)(
            val[this.ints[id * 8 + 2] as number] as number,
            val[this.ints[id * 8 + 3] as number] as number,
          );
        } catch (cause) {
          this.fail(id, cause);
          return false;
        }
        if (typeof r !== 'number') return this.failType(id, r);
        nv = r;
        break;
      }
      default:
        nv = (this.sums[id] as F64SumState).apply(val);
    }
    if ((m & F64_ERRORED) !== 0) {
      ints[id * 8] = (ints[id * 8] as number) & ~F64_ERRORED;
      this.nStale--;
    }
    // Object.is(old, nv), inlined.
    // biome-ignore lint/suspicious/noSelfCompare: NaN test without a call on the hot path
    if (nv === old ? nv !== 0 || 1 / nv === 1 / old : nv !== nv && old !== old) {
      this.nCutoffs++;
      return false;
    }
    val[id] = nv;
    if ((m & (F64_OBSERVED | F64_NOTIFY)) === F64_OBSERVED) {
      ints[id * 8] = (ints[id * 8] as number) | F64_NOTIFY;
      const k = this.notifyCount++;
      this.notifyIds[k] = id;
      this.notifyOld[k] = old;
    }
    return true;
  }

  /** Queue the dependents of a changed node (a sum dependent also marks the input's slot). */
  private propagate(id: number): void {
    const m = this.ints[id * 8] as number;
    const ints = this.ints;
    const c = ints[id * 8 + 4] as number;
    if (c !== 0) {
      this.touch(c - 1, ints[id * 8 + 5] as number, id);
      const c1 = ints[id * 8 + 6] as number;
      if (c1 !== 0) this.touch(c1 - 1, ints[id * 8 + 7] as number, id);
      if ((m & F64_MANY) !== 0) {
        const out = this.out[id] as number[];
        for (let k = 0; k < out.length; k += 2) this.touch(out[k] as number, out[k + 1] as number, id);
      }
    }
    if ((m & F64_VIEWED) !== 0) this.host.enqueueView(this.views[id] as GNode);
  }

  /** Queue dependent `d` of changed node `input` (reading it at input slot `slot`). */
  private touch(d: number, slot: number, input: number): void {
    const m = this.ints[d * 8] as number;
    if ((m & F64_KIND_MASK) === F64_SUM) (this.sums[d] as F64SumState).markSlot(slot, input);
    if ((m & F64_QUEUED) === 0) this.enqueue(d);
  }

  private fail(id: number, cause: unknown): void {
    const m = this.ints[id * 8] as number;
    if ((m & F64_ERRORED) === 0) {
      this.ints[id * 8] = m | F64_ERRORED;
      this.nStale++;
    }
    this.host.reportError(new NodeComputeError(id, this.label(id), cause));
  }

  private failType(id: number, r: unknown): false {
    this.fail(id, new NumberExpectedError(`the function of ${this.label(id)}`, r));
    return false;
  }

  /** Call the observers of the nodes that changed in this stabilization. */
  notify(onError: (id: number, cause: unknown) => void): void {
    const count = this.notifyCount;
    this.notifyCount = 0;
    for (let i = 0; i < count; i++) {
      const id = this.notifyIds[i] as number;
      const old = this.notifyOld[i] as number;
      const m = this.ints[id * 8] as number;
      if ((m & F64_NOTIFY) === 0) continue; // disposed (its id maybe reused) by an earlier observer
      this.ints[id * 8] = m & ~F64_NOTIFY;
      const observers = this.observers[id] ?? null;
      if (observers === null) continue;
      // Re-read: an observer may have created nodes (the arrays grow by replacement).
      const value = this.val[id] as number;
      if (typeof observers === 'function') {
        try {
          observers(old, value);
        } catch (cause) {
          onError(id, cause);
        }
        continue;
      }
      for (let j = 0; j < observers.length; j++) {
        try {
          (observers[j] as F64ObserverFn)(old, value);
        } catch (cause) {
          onError(id, cause);
        }
      }
    }
  }

  private grow(): void {
    const cap = this.val.length * 2;
    const f64 = (a: Float64Array): Float64Array => {
      const b = new Float64Array(cap);
      b.set(a);
      return b;
    };
    this.val = f64(this.val);
    this.pend = f64(this.pend);
    const ints = new Int32Array(cap * 8);
    ints.set(this.ints);
    this.ints = ints;
  }
}
