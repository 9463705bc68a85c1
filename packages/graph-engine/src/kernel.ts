import {
  type GraphError,
  NodeComputeError,
  ObserverError,
  ReentrancyError,
  StabilizeError,
} from './errors.ts';
import type { F64Store } from './f64-store.ts';
import type { GraphOptions } from './graph-api.ts';
import { commitPending, foldPending, markSlot } from './incr-fold-pending.ts';
import { checkInvariants } from './invariants.ts';
import {
  type AnyFn,
  F_DISPOSED,
  F_ERRORED,
  F_NOTIFY,
  F_PENDING,
  F_QUEUED,
  type GNode,
  KIND_F64_VIEW,
  KIND_FOLD,
  KIND_INCR_FOLD,
  KIND_LEAF,
  KIND_MAP,
  KIND_MAP2,
  KIND_MAPN,
  KIND_MASK,
  type NodeExt,
  type ObserverFn,
} from './node.ts';

export const STATE_IDLE = 0;
export const STATE_STABILIZING = 1;
export const STATE_NOTIFYING = 2;

type Node = GNode;

export class GraphKernel {
  protected readonly debug: boolean;
  protected readonly clock: (() => number) | null;
  protected nodes: Array<Node | null> = [];
  protected freeIds: number[] = [];
  protected liveCount = 0;
  protected readonly byName = new Map<string, Node>();

  /** Dirty queue: one array per height (`bucketLen[h]` entries in use). */
  protected buckets: Array<Array<Node | undefined>> = [];
  protected bucketLen: number[] = [];
  protected minDirty = Number.POSITIVE_INFINITY;
  protected maxDirty = -1;
  protected dirtyCount = 0;

  protected state = STATE_IDLE;
  protected notifyList: Node[] = [];
  protected notifyCount = 0;
  protected errors: GraphError[] = [];
  /** The f64 nodes (f64-store.ts), created with the first one. */
  protected f64: F64Store | null = null;
  protected readonly onF64ObserverError = (id: number, cause: unknown): void => {
    this.errors.push(new ObserverError(id, (this.f64 as F64Store).label(id), cause));
  };

  protected nStabilizations = 0;
  protected nRecomputes = 0;
  protected nCutoffs = 0;
  protected nStale = 0;
  protected lastRecomputes = 0;
  protected lastNs = 0;

  constructor(options: GraphOptions = {}) {
    this.debug = options.debug ?? false;
    this.clock = options.clock ?? null;
  }

  protected assertNotStabilizing(op: string): void {
    if (this.state === STATE_STABILIZING) throw new ReentrancyError(op);
  }

  // ------------------------------------------------------------- stabilizing

  /**
   * Propagate every pending change. Returns the number of nodes recomputed.
   * Throws `StabilizeError` (after finishing) if user functions or observers threw.
   */
  stabilize(): number {
    if (this.state !== STATE_IDLE) throw new ReentrancyError('stabilize()');
    this.nStabilizations++;
    const f = this.f64;
    const f64Dirty = f !== null && f.dirtyCount > 0;
    if (this.dirtyCount === 0 && !f64Dirty) {
      this.lastRecomputes = 0;
      return 0;
    }
    const t0 = this.clock !== null ? this.clock() : 0;
    this.state = STATE_STABILIZING;
    let recomputes = 0;
    if (f64Dirty) recomputes = this.stabilizeWithF64(f as F64Store);
    else {
      if (this.dirtyCount === 1) recomputes = this.stabilizeChain();
      // Dependents always sit higher than their inputs, so bucket h never grows while it is drained.
      for (let h = this.minDirty; h <= this.maxDirty; h++) recomputes += this.drainBucket(h);
    }
    this.minDirty = Number.POSITIVE_INFINITY;
    this.maxDirty = -1;
    this.nRecomputes += recomputes;
    this.lastRecomputes = recomputes;
    if (this.debug) {
      checkInvariants({
        nodes: this.nodes,
        bucketLen: this.bucketLen,
        dirtyCount: this.dirtyCount,
        liveCount: this.liveCount,
        f64: this.f64,
      });
    }
    this.state = STATE_NOTIFYING;
    if (f !== null && f.notifyCount > 0) f.notify(this.onF64ObserverError);
    if (this.notifyCount > 0) this.notify();
    this.state = STATE_IDLE;
    if (this.clock !== null) this.lastNs = this.clock() - t0;
    if (this.errors.length > 0) {
      const errors = this.errors;
      this.errors = [];
      throw new StabilizeError(errors);
    }
    return recomputes;
  }

  /** Recompute the queued generic nodes of height `h`; returns the number of recomputes. */
  protected drainBucket(h: number): number {
    const bucketLen = this.bucketLen;
    const len = bucketLen[h] as number;
    if (len === 0) return 0;
    const bucket = this.buckets[h] as Array<Node | undefined>;
    let recomputes = 0;
    for (let i = 0; i < len; i++) {
      const n = bucket[i] as Node;
      bucket[i] = undefined;
      n.flags &= ~F_QUEUED;
      if ((n.flags & F_DISPOSED) !== 0) continue;
      if (n.height !== h) {
        // Height was raised after the node was queued: requeue at its height.
        this.enqueue(n);
        continue;
      }
      recomputes++;
      if (this.recompute(n)) this.propagate(n);
    }
    bucketLen[h] = 0;
    this.dirtyCount -= len;
    return recomputes;
  }

  /**
   * Stabilization with f64 nodes dirty: heights in increasing order, at each height the f64 nodes
   * (whose views are queued one height up) and then the generic ones. Nodes of one height never
   * depend on each other, so the order inside a height does not matter.
   */
  private stabilizeWithF64(f: F64Store): number {
    let recomputes = 0;
    const fLen = f.bucketLen;
    const gLen = this.bucketLen;
    for (let h = Math.min(this.minDirty, f.minDirty); h <= this.maxDirty || h <= f.maxDirty; h++) {
      if (h < fLen.length && (fLen[h] as number) > 0) recomputes += f.drain(h);
      if (h < gLen.length) recomputes += this.drainBucket(h);
    }
    f.minDirty = Number.POSITIVE_INFINITY;
    f.maxDirty = -1;
    return recomputes;
  }

  /** Recompute one node; true when its value changed (dependents must follow). */
  protected recompute(n: Node): boolean {
    const old = n.value;
    let nv: unknown;
    let same: boolean;
    try {
      switch (n.flags & KIND_MASK) {
        case KIND_LEAF:
          nv = n.in1; // the pending value
          n.in1 = undefined;
          n.flags &= ~F_PENDING;
          break;
        case KIND_MAP:
          nv = (n.fn as AnyFn)((n.p0 as Node).value);
          break;
        case KIND_MAP2:
          nv = (n.fn as AnyFn)((n.p0 as Node).value, (n.p1 as Node).value);
          break;
        case KIND_MAPN: {
          const ps = n.in1 as Node[];
          const scratch = (n.ext as NodeExt).scratch as unknown[];
          for (let i = 0; i < ps.length; i++) scratch[i] = (ps[i] as Node).value;
          nv = (n.fn as AnyFn)(scratch);
          break;
        }
        case KIND_FOLD: {
          const ps = n.in1 as Node[];
          const f = n.fn as AnyFn;
          let acc = (n.ext as NodeExt).init;
          for (let i = 0; i < ps.length; i++) acc = f(acc, (ps[i] as Node).value);
          nv = acc;
          break;
        }
        case KIND_F64_VIEW:
          nv = (this.f64 as F64Store).val[n.in1 as number];
          break;
        default:
          nv = foldPending(n);
      }
      const eq = n.equal;
      // Inlined Object.is: NaN equals NaN, +0 differs from -0.
      same =
        eq === null
          ? old === nv
            ? old !== 0 || 1 / (old as number) === 1 / (nv as number)
            : // biome-ignore lint/suspicious/noSelfCompare: NaN test without a call on the hot path
              old !== old && nv !== nv
          : eq(old, nv);
    } catch (cause) {
      this.fail(n, cause);
      return false;
    }
    if ((n.flags & KIND_MASK) === KIND_INCR_FOLD) commitPending(n);
    if ((n.flags & F_ERRORED) !== 0) {
      n.flags &= ~F_ERRORED;
      this.nStale--;
    }
    if (same) {
      this.nCutoffs++;
      return false;
    }
    n.value = nv;
    if (n.observers !== null && (n.flags & F_NOTIFY) === 0) {
      n.flags |= F_NOTIFY;
      n.old = old;
      this.notifyList[this.notifyCount++] = n;
    }
    return true;
  }

  /**
   * The common case of one dirty node (one leaf set): while the queue holds nothing else and the
   * changed node has exactly one dependent, that dependent is the only dirty node, so it is
   * recomputed at once, without a round trip through the queue (height order holds trivially).
   * Ends by queueing the dependents of a node with several; returns the number of recomputes.
   */
  protected stabilizeChain(): number {
    const h0 = this.minDirty;
    const bucket = this.buckets[h0] as Array<Node | undefined>;
    let n = bucket[0] as Node;
    bucket[0] = undefined;
    this.bucketLen[h0] = 0;
    this.dirtyCount = 0;
    this.minDirty = Number.POSITIVE_INFINITY;
    this.maxDirty = -1;
    n.flags &= ~F_QUEUED;
    if ((n.flags & F_DISPOSED) !== 0) return 0;
    let recomputes = 0;
    for (;;) {
      recomputes++;
      if (!this.recompute(n)) return recomputes;
      const c0 = n.c0;
      if (c0 === null) return recomputes;
      if (n.out !== null || this.dirtyCount !== 0) {
        this.propagate(n);
        return recomputes;
      }
      if ((c0.flags & KIND_MASK) === KIND_INCR_FOLD) markSlot(c0.ext as NodeExt, n.c0s, n);
      n = c0;
    }
  }

  /** Queue the dependents of a changed node. */
  protected propagate(n: Node): void {
    const c0 = n.c0;
    if (c0 === null) return;
    if ((c0.flags & KIND_MASK) === KIND_INCR_FOLD) markSlot(c0.ext as NodeExt, n.c0s, n);
    if ((c0.flags & F_QUEUED) === 0) this.enqueue(c0);
    const out = n.out;
    if (out === null) return;
    for (let i = 0; i < out.length; i += 2) {
      const c = out[i] as Node;
      if ((c.flags & KIND_MASK) === KIND_INCR_FOLD) markSlot(c.ext as NodeExt, out[i + 1] as number, n);
      if ((c.flags & F_QUEUED) === 0) this.enqueue(c);
    }
  }

  protected fail(n: Node, cause: unknown): void {
    if (n.kind === KIND_LEAF) {
      // Only a user equality can throw here: the set is rejected, the leaf keeps its value.
      n.aux = undefined;
      n.flags &= ~F_PENDING;
    }
    if ((n.flags & F_ERRORED) === 0) {
      n.flags |= F_ERRORED;
      this.nStale++;
    }
    this.errors.push(new NodeComputeError(n.id, n.label(), cause));
  }

  protected notify(): void {
    const list = this.notifyList;
    const count = this.notifyCount;
    this.notifyCount = 0;
    for (let i = 0; i < count; i++) {
      const n = list[i] as Node;
      list[i] = undefined as unknown as Node;
      n.flags &= ~F_NOTIFY;
      const old = n.old;
      n.old = undefined;
      if ((n.flags & F_DISPOSED) !== 0) continue;
      const observers = n.observers;
      if (observers === null) continue;
      const value = n.value;
      if (typeof observers === 'function') {
        try {
          observers(old, value);
        } catch (cause) {
          this.errors.push(new ObserverError(n.id, n.label(), cause));
        }
        continue;
      }
      for (let j = 0; j < observers.length; j++) {
        try {
          (observers[j] as ObserverFn)(old, value);
        } catch (cause) {
          this.errors.push(new ObserverError(n.id, n.label(), cause));
        }
      }
    }
  }

  protected enqueue(n: Node): void {
    n.flags |= F_QUEUED;
    const h = n.height;
    const bucketLen = this.bucketLen;
    while (bucketLen.length <= h) {
      this.buckets.push([]);
      bucketLen.push(0);
    }
    const len = bucketLen[h] as number;
    (this.buckets[h] as Array<Node | undefined>)[len] = n;
    bucketLen[h] = len + 1;
    if (h < this.minDirty) this.minDirty = h;
    if (h > this.maxDirty) this.maxDirty = h;
    this.dirtyCount++;
  }
}
