/**
 * The debug checker's part for f64 nodes (run with the rest of `checkInvariants` after every
 * stabilization in debug mode): the f64 queue is empty, heights strictly increase along every f64
 * edge and every edge is listed on both ends, every map/map2 holds its function of its inputs
 * (`Object.is`), and every sum holds its inputs' current values and a total within
 * 1e-9 × max(1, Σ|xᵢ|) of a compensated re-sum of them (f64-sum.ts explains the tolerance).
 */
import { InvariantError } from './errors.ts';
import {
  F64_ERRORED,
  F64_KIND_MASK,
  F64_LEAF,
  F64_MAP,
  F64_MAP2,
  F64_PENDING,
  F64_QUEUED,
  type F64Fn1,
  type F64Fn2,
  type F64Store,
} from './f64-store.ts';
import type { F64SumState } from './f64-sum.ts';

export function checkF64Invariants(f: F64Store): void {
  if (f.dirtyCount !== 0) throw new InvariantError(`f64 dirty count ${f.dirtyCount} after stabilize`);
  for (let h = 0; h < f.bucketLen.length; h++) {
    if (f.bucketLen[h] !== 0) throw new InvariantError(`f64 queue bucket ${h} not empty after stabilize`);
  }
  let live = 0;
  for (let id = 0; id < f.count; id++) {
    if (f.handles[id] === null) {
      if (f.firstDependent(id) !== 0 || f.views[id] !== null)
        throw new InvariantError(`free f64 id ${id} still linked`);
      continue;
    }
    live++;
    const m = f.metaOf(id);
    if ((m & (F64_QUEUED | F64_PENDING)) !== 0) {
      throw new InvariantError(`${f.label(id)} still queued/pending`);
    }
    for (const p of inputsOf(f, id)) {
      if (f.handles[p] === null) throw new InvariantError(`${f.label(id)} has a disposed input`);
      if (f.heightOf(p) >= f.heightOf(id)) {
        throw new InvariantError(`${f.label(id)} height ${f.heightOf(id)} <= input ${f.label(p)}`);
      }
      if (!f.dependents(p).some(([c]) => c === id)) {
        throw new InvariantError(`${f.label(p)} does not list dependent ${f.label(id)}`);
      }
    }
    for (const [c, slot] of f.dependents(id)) {
      const ins = inputsOf(f, c);
      if (ins[slot] !== id) throw new InvariantError(`${f.label(c)} input ${slot} is not ${f.label(id)}`);
    }
    const kind = m & F64_KIND_MASK;
    if (kind === F64_LEAF || (m & F64_ERRORED) !== 0) continue;
    const v = f.val[id] as number;
    if (kind === F64_MAP || kind === F64_MAP2) {
      const x = f.val[f.input0(id)] as number;
      const expected =
        kind === F64_MAP ? (f.fn[id] as F64Fn1)(x) : (f.fn[id] as F64Fn2)(x, f.val[f.input1(id)] as number);
      if (!Object.is(v, expected)) {
        throw new InvariantError(
          `${f.label(id)} holds ${v} but its inputs give ${expected} (stale or impure)`,
        );
      }
      continue;
    }
    const s = f.sums[id] as F64SumState;
    if (s.pendingCount !== 0) throw new InvariantError(`${f.label(id)} has unapplied input changes`);
    for (let slot = 0; slot < s.size; slot++) {
      const x = f.val[s.inputs[slot] as number] as number;
      if (!Object.is(s.contrib[slot], x)) {
        throw new InvariantError(`${f.label(id)} input ${slot} contribution is stale`);
      }
    }
    const ref = s.reference();
    const tolerance = 1e-9 * Math.max(1, s.magnitude());
    if (!(Object.is(v, ref) || Math.abs(v - ref) <= tolerance)) {
      throw new InvariantError(`${f.label(id)} holds ${v} but a re-sum of its inputs gives ${ref}`);
    }
  }
  if (live !== f.live) throw new InvariantError(`f64 node count ${f.live} but ${live} live nodes`);
}

/** The f64 inputs of node `id`, by slot. */
export function inputsOf(f: F64Store, id: number): number[] {
  const kind = f.metaOf(id) & F64_KIND_MASK;
  if (kind === F64_LEAF) return [];
  if (kind === F64_MAP) return [f.input0(id)];
  if (kind === F64_MAP2) return [f.input0(id), f.input1(id)];
  return [...(f.sums[id] as F64SumState).inputs];
}
