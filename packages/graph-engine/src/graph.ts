import { type DotExport, dotOf, toDot } from './dot.ts';
import { link, maxHeight, unlink } from './edges.ts';
import {
  CycleError,
  DuplicateNameError,
  NodeComputeError,
  NodeDisposedError,
  NodeHasDependentsError,
  NotInputError,
  ReentrancyError,
  SnapshotMismatchError,
} from './errors.ts';
import type {
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
    if (name !== null && this.byName.has(name)) throw new DuplicateNameError(name);
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
    return {
      stabilizations: this.nStabilizations,
      recomputes: this.nRecomputes,
      cutoffs: this.nCutoffs,
      nodeCount: this.liveCount,
      dirtyCount: this.dirtyCount,
      staleCount: this.nStale,
      lastRecomputes: this.lastRecomputes,
      lastStabilizeNs: this.lastNs,
    };
  }

  /** True when the node's last recompute threw and it holds its previous value. */
  isStale(node: Incr<unknown>): boolean {
    return ((node as unknown as Node).flags & F_ERRORED) !== 0;
  }

  isDisposed(node: Incr<unknown>): boolean {
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
    const names = [...this.byName.keys()].sort();
    const leaves = names.map((name) => [name, (this.byName.get(name) as Node).value] as const);
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
    for (const [name] of snapshot.leaves) if (!this.byName.has(name)) missing.push(name);
    if (missing.length > 0 && (options.missing ?? 'error') === 'error') {
      throw new SnapshotMismatchError(
        `snapshot names ${missing.length} leaf(s) this graph does not have, e.g. ${JSON.stringify(missing[0])}`,
        missing,
      );
    }
    let restored = 0;
    for (const [name, value] of snapshot.leaves) {
      const n = this.byName.get(name);
      if (n === undefined) continue;
      this.set(n as unknown as Leaf<unknown>, value);
      restored++;
    }
    return { restored, missing };
  }

  // ---------------------------------------------------------------- internals

  private live(x: Incr<unknown>, op: string): Node {
    const n = x as unknown as Node;
    if ((n.flags & F_DISPOSED) !== 0) throw new NodeDisposedError(n.id, op);
    return n;
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
    f.height = p.height + 1;
    const work: Node[] = [f];
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
}
