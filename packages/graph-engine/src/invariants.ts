/**
 * The debug-mode invariant checker (`new Graph({ debug: true })`), run after
 * every stabilization: the queue is empty, heights strictly increase along
 * every edge, edges are listed on both ends, and every derived node equals a
 * from-scratch recompute of its function over its inputs (within 1e-9 for
 * numbers). A failure is an `InvariantError`: an engine bug or an impure user
 * function.
 */

import { inputsOf } from './edges.ts';
import { InvariantError } from './errors.ts';
import { checkF64Invariants } from './f64-invariants.ts';
import type { F64Store } from './f64-store.ts';
import {
  type AnyFn,
  F_DISPOSED,
  F_ERRORED,
  F_PENDING,
  F_QUEUED,
  type GNode,
  indexOfChild,
  KIND_F64_VIEW,
  KIND_INCR_FOLD,
  KIND_LEAF,
  KIND_MAP,
  KIND_MAP2,
  KIND_MAPN,
  type NodeExt,
} from './node.ts';

type Node = GNode;

/** What the checker reads of a graph's private state. */
export interface GraphInternals {
  readonly nodes: ReadonlyArray<Node | null>;
  readonly bucketLen: readonly number[];
  readonly dirtyCount: number;
  readonly liveCount: number;
  readonly f64: F64Store | null;
}

export function checkInvariants(g: GraphInternals): void {
  if (g.dirtyCount !== 0) throw new InvariantError(`dirty count ${g.dirtyCount} after stabilize`);
  for (let h = 0; h < g.bucketLen.length; h++) {
    if (g.bucketLen[h] !== 0) throw new InvariantError(`queue bucket ${h} not empty after stabilize`);
  }
  let live = 0;
  for (const n of g.nodes) {
    if (n === null) continue;
    live++;
    if ((n.flags & (F_QUEUED | F_PENDING)) !== 0)
      throw new InvariantError(`${n.label()} still queued/pending`);
    for (const p of inputsOf(n)) {
      if ((p.flags & F_DISPOSED) !== 0) throw new InvariantError(`${n.label()} has a disposed input`);
      if (p.height >= n.height)
        throw new InvariantError(`${n.label()} height ${n.height} <= input ${p.label()}`);
      if (indexOfChild(p, n, -1) < 0)
        throw new InvariantError(`${p.label()} does not list dependent ${n.label()}`);
    }
    if (n.kind === KIND_F64_VIEW) {
      const f = g.f64 as F64Store;
      const id = n.in1 as number;
      if (f.views[id] !== n || n.height <= f.heightOf(id)) {
        throw new InvariantError(`${n.label()} is not the view of ${f.label(id)} or not above it`);
      }
      if (!Object.is(n.value, f.val[id])) {
        throw new InvariantError(`${n.label()} shows ${preview(n.value)} but ${f.label(id)} is ${f.val[id]}`);
      }
      continue;
    }
    if (n.kind === KIND_LEAF || (n.flags & F_ERRORED) !== 0) continue;
    const expected = recomputeForCheck(n);
    if (!checkEqual(n.value, expected)) {
      throw new InvariantError(
        `${n.label()} holds ${preview(n.value)} but its inputs give ${preview(expected)} (stale value or impure function)`,
      );
    }
  }
  if (live !== g.liveCount) throw new InvariantError(`node count ${g.liveCount} but ${live} live nodes`);
  if (g.f64 !== null) checkF64Invariants(g.f64);
}

function recomputeForCheck(n: Node): unknown {
  const f = n.fn as AnyFn;
  switch (n.kind) {
    case KIND_MAP:
      return f((n.p0 as Node).value);
    case KIND_MAP2:
      return f((n.p0 as Node).value, (n.p1 as Node).value);
    case KIND_MAPN:
      return f((n.parents as Node[]).map((p) => p.value));
    default: {
      const ext = n.ext as NodeExt;
      const ps = n.parents as Node[];
      if (n.kind === KIND_INCR_FOLD) {
        if (ext.pendingCount !== 0 || (ext.removed as unknown[]).length !== 0) {
          throw new InvariantError(`${n.label()} has unapplied input changes`);
        }
        for (let i = 0; i < ps.length; i++) {
          if (!Object.is((ext.state as unknown[])[2 * i], (ps[i] as Node).value)) {
            throw new InvariantError(`${n.label()} input ${i} contribution is stale`);
          }
        }
      }
      let acc = ext.init;
      for (const p of ps) acc = f(acc, p.value);
      return acc;
    }
  }
}

/**
 * Equality for debug checks: structural, with numbers compared to a relative
 * tolerance of 1e-9 (an incremental sum may differ from a refold in the last bits).
 */
export function checkEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a === 'number' && typeof b === 'number') {
    return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
  }
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (a instanceof Map && b instanceof Map) {
    if (a.size !== b.size) return false;
    for (const [k, v] of a) if (!b.has(k) || !checkEqual(v, b.get(k))) return false;
    return true;
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (const k of ka) {
    if (!checkEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  }
  return true;
}

export function preview(v: unknown): string {
  try {
    const s = JSON.stringify(v);
    return s === undefined ? String(v) : s.length > 80 ? `${s.slice(0, 77)}...` : s;
  } catch {
    return String(v);
  }
}
