import { type DotExport, dotOf, toDot } from './dot.ts';
import { link, maxHeight, unlink } from './edges.ts';
import {
  CycleError,
  DuplicateNameError,
  type GraphError,
  InvariantError,
  NodeComputeError,
  NodeDisposedError,
  NodeHasDependentsError,
  NotInputError,
  NumberExpectedError,
  ReentrancyError,
  SnapshotMismatchError,
} from './errors.ts';
import {
  F64_ERRORED,
  F64_KIND_MASK,
  F64_LEAF,
  F64_MAP,
  F64_MAP2,
  F64_QUEUED,
  F64_SUM,
  F64_VIEWED,
  type F64Fn1,
  type F64Fn2,
  F64Handle,
  type F64ObserverFn,
  F64Store,
} from './f64-store.ts';
import { F64SumState } from './f64-sum.ts';
import type {
  F64,
  F64Leaf,
  F64NodeOptions,
  F64Sum,
  GraphOptions,
  GraphSnapshot,
  GraphStats,
  Incr,
  IncrFold,
  IncrFoldOptions,
  Leaf,
  NodeOptions,
  Observer,
} from './graph-api.ts';
import { markSlot, pendingIndex } from './incr-fold-pending.ts';
import { GraphKernel, STATE_STABILIZING } from './kernel.ts';
import {
  type AnyFn,
  childAt,
  childCount,
  type Equality,
  F_DISPOSED,
  F_ERRORED,
  F_PENDING,
  F_QUEUED,
  FRESH,
  GNode,
  indexOfChild,
  KIND_F64_VIEW,
  KIND_FOLD,
  KIND_INCR_FOLD,
  KIND_LEAF,
  KIND_MAP,
  KIND_MAP2,
  KIND_MAPN,
  KIND_MASK,
  NodeExt,
  type ObserverFn,
  removeChildAt,
  setSlotAt,
  slotAt,
} from './node.ts';

type Node = GNode;

/**
 * An incremental computation graph (self-adjusting computation).
 *
 * - Inputs are leaves; `set` records a new value, `stabilize` propagates every
 *   pending change in height order, recomputing each dirty node at most once.
 * - A recomputed value equal to the previous one (node equality, default
 *   `Object.is`) stops propagation (a cutoff).
 * - `incrFold` folds any number of inputs in O(1) per changed input.
 * - Nodes can be created and disposed between stabilizations; new nodes are
 *   computed at once from their inputs' current values.
 * - Errors: a throwing user function fails only its node, which keeps its
 *   previous value (stale) until an input changes again; propagation continues
 *   for everything else; `stabilize` then throws a `StabilizeError` listing the
 *   failures. The graph stays consistent: every non-stale node equals its
 *   function applied to its inputs' current values.
 * - Deterministic: the engine reads no clock and no randomness of its own.
 */
export class Graph extends GraphKernel {
  constructor(options: GraphOptions = {}) {
    super(options);
  }

  // ---------------------------------------------------------------- building

  leaf<T>(initial: T, options?: NodeOptions<T>): Leaf<T> {
    this.assertNotStabilizing('leaf()');
    const name = options?.name ?? null;
    if (name !== null && this.nameTaken(name)) throw new DuplicateNameError(name);
    const n = this.register(KIND_LEAF, 0, initial, options, null);
    if (name !== null) this.byName.set(name, n);
    return n as unknown as Leaf<T>;
  }

  map<A, T>(a: Incr<A>, f: (a: A) => T, options?: NodeOptions<T>): Incr<T> {
    this.assertNotStabilizing('map()');
    const pa = this.live(a, 'map()');
    const value = this.computeNew(options, () => f(pa.value as A));
    const n = this.register(KIND_MAP, pa.height + 1, value, options, f as AnyFn);
    n.p0 = pa;
    link(pa, n, 0);
    return n as unknown as Incr<T>;
  }

  map2<A, B, T>(a: Incr<A>, b: Incr<B>, f: (a: A, b: B) => T, options?: NodeOptions<T>): Incr<T> {
    this.assertNotStabilizing('map2()');
    const pa = this.live(a, 'map2()');
    const pb = this.live(b, 'map2()');
    const value = this.computeNew(options, () => f(pa.value as A, pb.value as B));
    const n = this.register(KIND_MAP2, Math.max(pa.height, pb.height) + 1, value, options, f as AnyFn);
    n.p0 = pa;
    n.p1 = pb;
    link(pa, n, 0);
    link(pb, n, 1);
    return n as unknown as Incr<T>;
  }

  /** `f` receives a reused array of the inputs' values: read it, do not keep it. */
  mapN<A, T>(
    inputs: ReadonlyArray<Incr<A>>,
    f: (values: readonly A[]) => T,
    options?: NodeOptions<T>,
  ): Incr<T> {
    this.assertNotStabilizing('mapN()');
    const ps = inputs.map((x) => this.live(x, 'mapN()'));
    const scratch = ps.map((p) => p.value);
    const value = this.computeNew(options, () => f(scratch as A[]));
    const n = this.register(KIND_MAPN, maxHeight(ps) + 1, value, options, f as AnyFn);
    n.parents = ps;
    const ext = this.extOf(n);
    ext.scratch = scratch;
    for (let i = 0; i < ps.length; i++) link(ps[i]!, n, i);
    return n as unknown as Incr<T>;
  }

  /** A full fold: recomputes over every input whenever any changes (O(inputs)). */
  fold<T, A>(
    inputs: ReadonlyArray<Incr<T>>,
    init: A,
    f: (acc: A, value: T) => A,
    options?: NodeOptions<A>,
  ): Incr<A> {
    this.assertNotStabilizing('fold()');
    const ps = inputs.map((x) => this.live(x, 'fold()'));
    const value = this.computeNew(options, () => {
      let acc = init;
      for (const p of ps) acc = f(acc, p.value as T);
      return acc;
    });
    const n = this.register(KIND_FOLD, maxHeight(ps) + 1, value, options, f as AnyFn);
    n.parents = ps;
    this.extOf(n).init = init;
    for (let i = 0; i < ps.length; i++) link(ps[i]!, n, i);
    return n as unknown as Incr<A>;
  }

  /**
   * An incremental fold: when an input changes, its old contribution is removed
   * and its new one added: O(1) per changed input whatever the fan-in. `add`
   * and `remove` must be pure and inverse (`remove(add(a, v), v)` equals `a`).
   * Inputs can be added (`addInput`) and removed (`removeInput`) while live.
   */
  incrFold<T, A>(
    inputs: ReadonlyArray<Incr<T>>,
    init: A,
    add: (acc: A, value: T) => A,
    remove: (acc: A, value: T) => A,
    options?: IncrFoldOptions<T, A>,
  ): IncrFold<T, A> {
    this.assertNotStabilizing('incrFold()');
    const ps = inputs.map((x) => this.live(x, 'incrFold()'));
    const value = this.computeNew(options, () => {
      let acc = init;
      for (const p of ps) acc = add(acc, p.value as T);
      return acc;
    });
    const n = this.register(KIND_INCR_FOLD, maxHeight(ps) + 1, value, options, add as AnyFn);
    n.parents = ps;
    const ext = this.extOf(n);
    ext.init = init;
    ext.remove = remove as AnyFn;
    ext.replace = (options?.replace as AnyFn | undefined) ?? null;
    ext.state = ps.flatMap((p) => [p.value, 0]);
    ext.pending = [];
    ext.removed = [];
    for (let i = 0; i < ps.length; i++) link(ps[i]!, n, i);
    return n as unknown as IncrFold<T, A>;
  }

  /** Add an input to an incremental fold; its value is folded in at the next stabilization. */
  addInput<T, A>(fold: IncrFold<T, A>, input: Incr<T>): void {
    this.assertNotStabilizing('addInput()');
    const f = this.live(fold, 'addInput()');
    const p = this.live(input, 'addInput()');
    if (f.kind !== KIND_INCR_FOLD) throw new NotInputError(f.id, 'an incrFold');
    if (p.height >= f.height) this.raiseHeight(f, p);
    const ext = f.ext!;
    const slot = f.parents!.length;
    f.parents!.push(p);
    ext.state!.push(FRESH, 0);
    link(p, f, slot);
    markSlot(ext, slot, p);
    if ((f.flags & F_QUEUED) === 0) this.enqueue(f);
  }

  /** Remove an input from an incremental fold; its contribution is removed at the next stabilization. */
  removeInput<T, A>(fold: IncrFold<T, A>, input: Incr<T>): void {
    this.assertNotStabilizing('removeInput()');
    const f = this.live(fold, 'removeInput()');
    const p = this.live(input, 'removeInput()');
    if (f.kind !== KIND_INCR_FOLD) throw new NotInputError(f.id, 'an incrFold');
    this.detachIncrInput(f, p);
  }

  // ------------------------------------------------------ the f64 (numeric) path

  /**
   * A settable f64 input. f64 nodes keep their values in one Float64Array (struct of arrays) and
   * store no boxed value: use them for numeric aggregates on the hot path.
   * Cutoff is `Object.is` (NaN to NaN is no change, +0 to -0 is one).
   */
  f64Leaf(initial: number, options?: F64NodeOptions): F64Leaf {
    this.assertNotStabilizing('f64Leaf()');
    if (typeof initial !== 'number') throw new NumberExpectedError('f64Leaf()', initial);
    const name = options?.name ?? null;
    if (name !== null && this.nameTaken(name)) throw new DuplicateNameError(name);
    const f = this.f64Store();
    return f.handles[f.add(F64_LEAF, 0, initial, name, null)] as unknown as F64Leaf;
  }

  /** An f64 node `f(a)`; `f` takes and returns a number (a non-number result fails the node). */
  f64Map(a: F64, f: (x: number) => number, options?: F64NodeOptions): F64 {
    this.assertNotStabilizing('f64Map()');
    const s = this.f64Store();
    const ia = this.f64Id(a, 'f64Map()');
    const name = options?.name ?? null;
    const value = this.computeF64(name, () => f(s.val[ia] as number));
    const id = s.add(F64_MAP, s.heightOf(ia) + 1, value, name, f as F64Fn1);
    s.setInputs(id, ia, -1);
    s.link(ia, id, 0);
    return s.handles[id] as unknown as F64;
  }

  /** An f64 node `f(a, b)`. */
  f64Map2(a: F64, b: F64, f: (x: number, y: number) => number, options?: F64NodeOptions): F64 {
    this.assertNotStabilizing('f64Map2()');
    const s = this.f64Store();
    const ia = this.f64Id(a, 'f64Map2()');
    const ib = this.f64Id(b, 'f64Map2()');
    const name = options?.name ?? null;
    const value = this.computeF64(name, () => f(s.val[ia] as number, s.val[ib] as number));
    const height = Math.max(s.heightOf(ia), s.heightOf(ib)) + 1;
    const id = s.add(F64_MAP2, height, value, name, f as F64Fn2);
    s.setInputs(id, ia, ib);
    s.link(ia, id, 0);
    s.link(ib, id, 1);
    return s.handles[id] as unknown as F64;
  }

  /**
   * The sum of f64 inputs, kept incrementally: a changed input costs O(1) whatever the fan-in, with
   * compensated summation and non-finite inputs counted apart (f64-sum.ts: it matches a full
   * re-sum, it does not drift). Inputs can be added and removed while live (`f64AddInput`,
   * `f64RemoveInput`); an input listed twice counts twice.
   */
  f64Sum(inputs: readonly F64[], options?: F64NodeOptions): F64Sum {
    this.assertNotStabilizing('f64Sum()');
    const s = this.f64Store();
    const ids = inputs.map((x) => this.f64Id(x, 'f64Sum()'));
    const state = new F64SumState(ids.length);
    let height = -1;
    for (const i of ids) {
      state.push(i, s.val[i] as number);
      if (s.heightOf(i) > height) height = s.heightOf(i);
    }
    const id = s.add(F64_SUM, height + 1, state.value(), options?.name ?? null, null);
    s.sums[id] = state;
    for (let slot = 0; slot < ids.length; slot++) s.link(ids[slot] as number, id, slot);
    return s.handles[id] as unknown as F64Sum;
  }

  /** Add an input to an f64 sum; its value counts from the next stabilization. */
  f64AddInput(sum: F64Sum, input: F64): void {
    this.assertNotStabilizing('f64AddInput()');
    const s = this.f64Store();
    const is = this.f64Id(sum, 'f64AddInput()');
    const ii = this.f64Id(input, 'f64AddInput()');
    if (s.kind(is) !== F64_SUM) throw new NotInputError(is, 'an f64Sum');
    if (s.heightOf(ii) >= s.heightOf(is)) this.raiseF64(is, ii);
    const slot = (s.sums[is] as F64SumState).push(ii, s.val[ii] as number);
    s.link(ii, is, slot);
    if ((s.metaOf(is) & F64_QUEUED) === 0) s.enqueue(is);
  }

  /** Remove an input from an f64 sum (one occurrence); the sum changes at the next stabilization. */
  f64RemoveInput(sum: F64Sum, input: F64): void {
    this.assertNotStabilizing('f64RemoveInput()');
    const s = this.f64Store();
    const is = this.f64Id(sum, 'f64RemoveInput()');
    const ii = this.f64Id(input, 'f64RemoveInput()');
    if (s.kind(is) !== F64_SUM) throw new NotInputError(is, 'an f64Sum');
    const slot = (s.sums[is] as F64SumState).inputs.indexOf(ii);
    if (slot < 0) throw new NotInputError(ii, `an input of f64 node #${is}`);
    this.removeSumSlot(is, slot);
  }

  /** Record a new value for an f64 leaf; it takes effect at the next `stabilize()`. */
  f64Set(leaf: F64Leaf, value: number): void {
    if (this.state === STATE_STABILIZING) throw new ReentrancyError('f64Set()');
    const h = leaf as unknown as F64Handle;
    const s = this.f64;
    const id = h.id;
    if (h.store !== s || !h.alive || s === null) throw this.f64HandleError(leaf, 'f64Set()');
    if ((s.metaOf(id) & F64_KIND_MASK) !== F64_LEAF) throw new NotInputError(id, 'an f64 leaf');
    if (typeof value !== 'number') throw new NumberExpectedError(`f64Set(${s.label(id)})`, value);
    s.set(id, value);
  }

  /** The f64 leaf with this name, if any. */
  f64LeafNamed(name: string): F64Leaf | undefined {
    const id = this.f64?.byName.get(name);
    return id === undefined ? undefined : (this.f64?.handles[id] as unknown as F64Leaf);
  }

  /** Record a new value for a leaf; it takes effect at the next `stabilize()`. */
  set<T>(leaf: Leaf<T>, value: T): void {
    const n = leaf as unknown as Node;
    if (this.state === STATE_STABILIZING) throw new ReentrancyError('set()');
    if ((n.flags & F_DISPOSED) !== 0) throw new NodeDisposedError(n.id, 'set()');
    if ((n.flags & KIND_MASK) !== KIND_LEAF) throw new NotInputError(n.id, 'a leaf');
    n.in1 = value; // the pending value (`aux`)
    n.flags |= F_PENDING;
    if ((n.flags & F_QUEUED) === 0) this.enqueue(n);
  }

  /**
   * Call `fn(oldValue, newValue)` after every stabilization in which the node's
   * value changed (not for cutoffs). Observers run after propagation, when
   * every node is up to date; they may `set` leaves (taking effect at the next
   * stabilization) and create or dispose nodes, but not `stabilize`.
   */
  observe<T>(node: Incr<T>, fn: (oldValue: T, newValue: T) => void): Observer {
    if (node instanceof F64Handle) return this.observeF64(node, fn as unknown as F64ObserverFn);
    const n = this.live(node, 'observe()');
    const cb = fn as ObserverFn;
    const prev = n.observers;
    if (prev === null) n.observers = cb;
    else if (typeof prev === 'function') n.observers = [prev, cb];
    else prev.push(cb);
    return {
      dispose: () => {
        const list = n.observers;
        if (list === null) return;
        if (typeof list === 'function') {
          if (list === cb) n.observers = null;
          return;
        }
        const i = list.indexOf(cb);
        if (i >= 0) list.splice(i, 1);
        if (list.length === 0) n.observers = null;
      },
    };
  }

  /**
   * Remove a node. It must have no dependents other than incremental folds
   * (from which it is removed as an input). Its name becomes free again.
   */
  dispose(node: Incr<unknown>): void {
    this.assertNotStabilizing('dispose()');
    if (node instanceof F64Handle) {
      this.disposeF64(node);
      return;
    }
    const n = node as unknown as Node;
    if ((n.flags & F_DISPOSED) !== 0) return;
    let blocking = 0;
    for (let i = childCount(n) - 1; i >= 0; i--) if (childAt(n, i).kind !== KIND_INCR_FOLD) blocking++;
    if (blocking > 0) throw new NodeHasDependentsError(n.id, n.label(), blocking);
    while (n.c0 !== null) this.detachIncrInput(n.c0, n);
    // Detach from inputs.
    if (n.p0 !== null) unlink(n.p0, n, 0);
    if (n.p1 !== null) unlink(n.p1, n, 1);
    if (n.parents !== null) for (let i = 0; i < n.parents.length; i++) unlink(n.parents[i]!, n, i);
    if (n.name !== null && this.byName.get(n.name) === n) this.byName.delete(n.name);
    if ((n.flags & F_ERRORED) !== 0) this.nStale--;
    n.flags = (n.flags & (F_QUEUED | KIND_MASK)) | F_DISPOSED;
    n.value = undefined;
    n.aux = undefined;
    n.fn = null;
    n.p0 = null;
    n.p1 = null;
    n.parents = null;
    n.ext = null;
    this.nodes[n.id] = null;
    this.freeIds.push(n.id);
    this.liveCount--;
  }

  // ---------------------------------------------------------- introspection

  stats(): GraphStats {
    const f = this.f64;
    return {
      stabilizations: this.nStabilizations,
      recomputes: this.nRecomputes,
      cutoffs: this.nCutoffs + (f?.nCutoffs ?? 0),
      nodeCount: this.liveCount + (f?.live ?? 0),
      dirtyCount: this.dirtyCount + (f?.dirtyCount ?? 0),
      staleCount: this.nStale + (f?.nStale ?? 0),
      lastRecomputes: this.lastRecomputes,
      lastStabilizeNs: this.lastNs,
    };
  }

  /** True when the node's last recompute threw and it holds its previous value. */
  isStale(node: Incr<unknown>): boolean {
    if (node instanceof F64Handle) {
      return node.alive && (node.store.metaOf(node.id) & F64_ERRORED) !== 0;
    }
    return ((node as unknown as Node).flags & F_ERRORED) !== 0;
  }

  isDisposed(node: Incr<unknown>): boolean {
    if (node instanceof F64Handle) return !node.alive;
    return ((node as unknown as Node).flags & F_DISPOSED) !== 0;
  }

  /** The leaf with this name, if any. */
  leafNamed<T = unknown>(name: string): Leaf<T> | undefined {
    return this.byName.get(name) as unknown as Leaf<T> | undefined;
  }

  /** Graphviz DOT of the whole graph, in node-id order (deterministic). */
  toDot(title = 'ripple'): string {
    return toDot(this.nodes, title);
  }

  /**
   * DOT with counts, at most `maxNodes` nodes drawn one by one (the first by
   * id); the others are aggregated into one node per kind and height.
   */
  dot(title = 'ripple', maxNodes = Number.POSITIVE_INFINITY): DotExport {
    return dotOf(this.nodes, title, maxNodes);
  }

  // ---------------------------------------------------------------- snapshot

  /** Values of every named leaf as of the last stabilization (pending sets excluded), in name order. */
  snapshot(): GraphSnapshot {
    const f = this.f64;
    const names = [...this.byName.keys(), ...(f?.byName.keys() ?? [])].sort();
    const leaves = names.map((name) => {
      const n = this.byName.get(name);
      return [name, n !== undefined ? n.value : (f as F64Store).val[f?.byName.get(name) as number]] as const;
    });
    return { format: 1, leaves };
  }

  /**
   * Set every leaf named in the snapshot to its value (pending until the next
   * stabilize). With `missing: 'error'` (default) nothing is applied when a
   * name has no leaf; with `'ignore'` the missing names are returned.
   */
  restore(
    snapshot: GraphSnapshot,
    options: { missing?: 'error' | 'ignore' } = {},
  ): { restored: number; missing: string[] } {
    this.assertNotStabilizing('restore()');
    if (snapshot.format !== 1) {
      throw new SnapshotMismatchError(`unsupported graph snapshot format ${String(snapshot.format)}`, []);
    }
    const missing: string[] = [];
    const f64Names = this.f64?.byName;
    for (const [name, value] of snapshot.leaves) {
      if (f64Names?.has(name) === true) {
        if (typeof value !== 'number')
          throw new NumberExpectedError(`restore(): f64 leaf ${JSON.stringify(name)}`, value);
      } else if (!this.byName.has(name)) missing.push(name);
    }
    if (missing.length > 0 && (options.missing ?? 'error') === 'error') {
      throw new SnapshotMismatchError(
        `snapshot names ${missing.length} leaf(s) this graph does not have, e.g. ${JSON.stringify(missing[0])}`,
        missing,
      );
    }
    let restored = 0;
    for (const [name, value] of snapshot.leaves) {
      const n = this.byName.get(name);
      if (n !== undefined) {
        this.set(n as unknown as Leaf<unknown>, value);
        restored++;
        continue;
      }
      const id = f64Names?.get(name);
      if (id === undefined) continue;
      (this.f64 as F64Store).set(id, value as number);
      restored++;
    }
    return { restored, missing };
  }

  // ---------------------------------------------------------------- internals

  private live(x: Incr<unknown>, op: string): Node {
    if (x instanceof F64Handle) return this.viewOf(this.f64Id(x as unknown as F64, op));
    const n = x as unknown as Node;
    if ((n.flags & F_DISPOSED) !== 0) throw new NodeDisposedError(n.id, op);
    return n;
  }

  private f64Store(): F64Store {
    if (this.f64 === null) {
      this.f64 = new F64Store({
        reportError: (e) => {
          this.errors.push(e);
        },
        enqueueView: (view) => {
          if ((view.flags & F_QUEUED) === 0) this.enqueue(view);
        },
      });
    }
    return this.f64;
  }

  /** The id of an f64 node of this graph. */
  private f64Id(x: F64, op: string): number {
    const h = x as unknown as F64Handle;
    if (!(h instanceof F64Handle) || h.store !== this.f64 || !h.alive) {
      throw this.f64HandleError(x, op);
    }
    return h.id;
  }

  /** Why `x` is not a live f64 node of this graph. */
  private f64HandleError(x: F64, op: string): GraphError {
    const h = x as unknown as F64Handle;
    if (h instanceof F64Handle && h.store === this.f64) return new NodeDisposedError(h.id, op);
    return new NotInputError((x as { id?: number }).id ?? -1, `an f64 node of this graph (${op})`);
  }

  /** Remove input slot `slot` from f64 sum `sum` (its contribution leaves at the next stabilization). */
  private removeSumSlot(sum: number, slot: number): void {
    const s = this.f64 as F64Store;
    const state = s.sums[sum] as F64SumState;
    const input = state.inputs[slot] as number;
    const last = state.size - 1;
    const moved = state.removeSlot(slot);
    s.unlink(input, sum, slot);
    if (moved >= 0) s.reslot(moved, sum, last, slot);
    if ((s.metaOf(sum) & F64_QUEUED) === 0) s.enqueue(sum);
  }

  /**
   * Dispose an f64 node: like a generic one, it must have no dependents other than sums (f64 sums,
   * or generic incrFolds through its view), from which it is removed as an input. Its handle is
   * dead from then on (its value reads NaN), even when its id is reused.
   */
  private disposeF64(h: F64Handle): void {
    const f = this.f64;
    if (f === null || h.store !== f) throw new NotInputError(h.id, 'an f64 node of this graph (dispose())');
    if (!h.alive) return;
    const id = h.id;
    let blocking = 0;
    for (const [c] of f.dependents(id)) if (f.kind(c) !== F64_SUM) blocking++;
    const view = f.views[id] ?? null;
    if (view !== null) {
      for (let i = childCount(view) - 1; i >= 0; i--)
        if (childAt(view, i).kind !== KIND_INCR_FOLD) blocking++;
    }
    if (blocking > 0) throw new NodeHasDependentsError(id, f.label(id), blocking);
    for (let deps = f.dependents(id); deps.length > 0; ) {
      const [sum, slot] = deps[0] as [number, number];
      this.removeSumSlot(sum, slot);
      const left = f.dependents(id);
      if (left.length >= deps.length)
        throw new InvariantError(`${f.label(id)}: sum input ${slot} not removed`);
      deps = left;
    }
    if (view !== null) this.dispose(view as unknown as Incr<unknown>);
    switch (f.kind(id)) {
      case F64_MAP:
        f.unlink(f.input0(id), id, 0);
        break;
      case F64_MAP2:
        f.unlink(f.input0(id), id, 0);
        f.unlink(f.input1(id), id, 1);
        break;
      case F64_SUM: {
        const inputs = (f.sums[id] as F64SumState).inputs;
        for (let slot = 0; slot < inputs.length; slot++) f.unlink(inputs[slot] as number, id, slot);
        break;
      }
    }
    f.free(id);
  }

  private nameTaken(name: string): boolean {
    return this.byName.has(name) || this.f64?.byName.has(name) === true;
  }

  private computeF64(name: string | null, compute: () => unknown): number {
    let r: unknown;
    try {
      r = compute();
    } catch (cause) {
      throw new NodeComputeError(this.f64Store().count, name ?? 'new f64 node', cause);
    }
    if (typeof r !== 'number') {
      const cause = new NumberExpectedError(`the function of ${name ?? 'a new f64 node'}`, r);
      throw new NodeComputeError(this.f64Store().count, name ?? 'new f64 node', cause);
    }
    return r;
  }

  /** The generic node showing f64 node `id` to generic dependents (created on first use). */
  private viewOf(id: number): Node {
    const f = this.f64 as F64Store;
    const existing = f.views[id];
    if (existing !== null && existing !== undefined) return existing;
    const n = this.register(KIND_F64_VIEW, f.heightOf(id) + 1, f.val[id], undefined, null);
    n.in1 = id;
    f.views[id] = n;
    f.setMeta(id, f.metaOf(id) | F64_VIEWED);
    return n;
  }

  private observeF64(h: F64Handle, cb: F64ObserverFn): Observer {
    const f = this.f64Store();
    const id = this.f64Id(h as unknown as F64, 'observe()');
    const prev = f.observers[id] ?? null;
    f.setObservers(id, prev === null ? cb : typeof prev === 'function' ? [prev, cb] : [...prev, cb]);
    return {
      dispose: () => {
        if (!h.alive) return; // the node is gone (its id may serve another node now)
        const list = f.observers[id] ?? null;
        if (list === null) return;
        if (typeof list === 'function') {
          if (list === cb) f.setObservers(id, null);
          return;
        }
        const i = list.indexOf(cb);
        if (i < 0) return;
        const rest = list.filter((_, j) => j !== i);
        f.setObservers(id, rest.length === 0 ? null : rest);
      },
    };
  }

  /** Make f64 sum `sum` higher than `input` (and everything depending on it higher still), refusing cycles. */
  private raiseF64(sum: number, input: number): void {
    const f = this.f64 as F64Store;
    const hInput = f.heightOf(input);
    // A cycle needs `input` reachable from `sum`; only nodes not higher than `input` can lie on such a path.
    const stack = [sum];
    const seen = new Set<number>();
    while (stack.length > 0) {
      const x = stack.pop() as number;
      if (x === input) throw new CycleError(input, sum);
      if (seen.has(x)) continue;
      seen.add(x);
      for (const [c] of f.dependents(x)) if (f.heightOf(c) <= hInput) stack.push(c);
    }
    f.setHeight(sum, hInput + 1);
    const work = [sum];
    while (work.length > 0) {
      const x = work.pop() as number;
      const hx = f.heightOf(x);
      for (const [c] of f.dependents(x)) {
        if (f.heightOf(c) <= hx) {
          f.setHeight(c, hx + 1);
          work.push(c);
        }
      }
      const view = f.views[x] ?? null;
      if (view !== null && view.height <= hx) this.raiseFrom(view, hx + 1);
    }
  }

  /** Set generic node `n` to height `h` and raise its dependents above it. */
  private raiseFrom(n: Node, h: number): void {
    n.height = h;
    const work: Node[] = [n];
    while (work.length > 0) {
      const x = work.pop() as Node;
      for (let i = childCount(x) - 1; i >= 0; i--) {
        const c = childAt(x, i);
        if (c.height <= x.height) {
          c.height = x.height + 1;
          work.push(c);
        }
      }
    }
  }

  private extOf(n: Node): NodeExt {
    if (n.ext === null) n.ext = new NodeExt();
    return n.ext;
  }

  private computeNew<T>(options: NodeOptions<T> | undefined, compute: () => unknown): unknown {
    try {
      return compute();
    } catch (cause) {
      const id =
        this.freeIds.length > 0 ? (this.freeIds[this.freeIds.length - 1] as number) : this.nodes.length;
      throw new NodeComputeError(id, options?.name ?? 'new node', cause);
    }
  }

  private register<T>(
    kind: number,
    height: number,
    value: unknown,
    options: NodeOptions<T> | undefined,
    fn: AnyFn | null,
  ): Node {
    const id = this.freeIds.length > 0 ? (this.freeIds.pop() as number) : this.nodes.length;
    const equal = (options?.equal as Equality | undefined) ?? null;
    const n = new GNode(id, kind, height, value, equal, fn, options?.name ?? null);
    if (id === this.nodes.length) this.nodes.push(n);
    else this.nodes[id] = n;
    this.liveCount++;
    return n;
  }

  /** Remove input `p` from incrFold `f` (one edge). */
  private detachIncrInput(f: Node, p: Node): void {
    const at = indexOfChild(p, f, -1);
    if (at < 0) throw new NotInputError(p.id, `an input of node #${f.id}`);
    const slot = slotAt(p, at);
    removeChildAt(p, at);
    const ext = f.ext as NodeExt;
    const parents = f.parents as Node[];
    const state = ext.state as unknown[];
    const pending = ext.pending as Array<number | Node>;
    const c = state[2 * slot];
    if (c !== FRESH) (ext.removed as unknown[]).push(c);
    if (state[2 * slot + 1] === 1) {
      // Drop the slot from the pending list (move the last entry into its place).
      const k = pendingIndex(ext, slot);
      const lastK = 2 * (ext.pendingCount - 1);
      pending[k] = pending[lastK] as number;
      pending[k + 1] = pending[lastK + 1] as Node;
      ext.pendingCount--;
    }
    const last = parents.length - 1;
    if (slot !== last) {
      const moved = parents[last] as Node;
      parents[slot] = moved;
      state[2 * slot] = state[2 * last];
      state[2 * slot + 1] = state[2 * last + 1];
      if (state[2 * last + 1] === 1) pending[pendingIndex(ext, last)] = slot;
      setSlotAt(moved, indexOfChild(moved, f, last), slot);
    }
    parents.pop();
    state.length -= 2;
    if ((f.flags & F_QUEUED) === 0) this.enqueue(f);
  }

  /** Make `f` higher than `p` (and its dependents higher than it), refusing cycles. */
  private raiseHeight(f: Node, p: Node): void {
    // A cycle needs p to be reachable from f; only nodes lower than p can lie on such a path.
    const stack: Node[] = [f];
    const seen = new Set<Node>();
    while (stack.length > 0) {
      const x = stack.pop() as Node;
      if (x === p) throw new CycleError(p.id, f.id);
      if (seen.has(x)) continue;
      seen.add(x);
      for (let i = childCount(x) - 1; i >= 0; i--) {
        const c = childAt(x, i);
        if (c.height <= p.height) stack.push(c);
      }
    }
    this.raiseFrom(f, p.height + 1);
  }
}
