/**
 * Bookkeeping of an incremental fold: which inputs changed since the last
 * stabilization (`markSlot`), folding their new values in (`foldPending`, pure,
 * may throw in user code) and committing the result (`commitPending`).
 *
 * `ext.state` holds, per input slot, [contribution folded in, pending flag];
 * `ext.pending` holds [slot, input] pairs, `pendingCount` of them in use.
 */
import { InvariantError } from './errors.ts';
import { type AnyFn, FRESH, type GNode, type NodeExt } from './node.ts';

type Node = GNode;

export function markSlot(ext: NodeExt, slot: number, input: Node): void {
  const state = ext.state as unknown[];
  if (state[2 * slot + 1] === 0) {
    state[2 * slot + 1] = 1;
    const pending = ext.pending as Array<number | Node>;
    const k = 2 * ext.pendingCount++;
    pending[k] = slot;
    pending[k + 1] = input;
  }
}

export function pendingIndex(ext: NodeExt, slot: number): number {
  const pending = ext.pending as Array<number | Node>;
  for (let k = 0; k < 2 * ext.pendingCount; k += 2) if (pending[k] === slot) return k;
  throw new InvariantError(`pending slot ${slot} not found`);
}

/** Pure part of an incrFold recompute: may throw (user code), changes nothing. */
export function foldPending(n: Node): unknown {
  const ext = n.ext as NodeExt;
  const add = n.fn as AnyFn;
  const remove = ext.remove as AnyFn;
  const replace = ext.replace;
  const state = ext.state as unknown[];
  const pending = ext.pending as Array<number | Node>;
  const removed = ext.removed as unknown[];
  let acc = n.value;
  for (let i = 0; i < removed.length; i++) acc = remove(acc, removed[i]);
  const end = 2 * ext.pendingCount;
  for (let k = 0; k < end; k += 2) {
    const c = state[2 * (pending[k] as number)];
    const v = (pending[k + 1] as Node).value;
    if (c === FRESH) acc = add(acc, v);
    else if (replace !== null) acc = replace(acc, c, v);
    else acc = add(remove(acc, c), v);
  }
  return acc;
}

/** Commit part of an incrFold recompute: record what is now folded in. */
export function commitPending(n: Node): void {
  const ext = n.ext as NodeExt;
  const state = ext.state as unknown[];
  const pending = ext.pending as Array<number | Node>;
  const end = 2 * ext.pendingCount;
  for (let k = 0; k < end; k += 2) {
    const s = 2 * (pending[k] as number);
    state[s] = (pending[k + 1] as Node).value;
    state[s + 1] = 0;
    pending[k + 1] = undefined as unknown as Node; // do not retain the input
  }
  ext.pendingCount = 0;
  const removed = ext.removed as unknown[];
  if (removed.length > 0) removed.length = 0;
}
