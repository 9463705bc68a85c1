/**
 * Internal node representation. One class for every kind so that the
 * propagation loop only ever sees one hidden class (monomorphic property
 * access). Rarely used state lives in `ext` so the common node stays small.
 */

export const KIND_LEAF = 0;
export const KIND_MAP = 1;
export const KIND_MAP2 = 2;
export const KIND_MAPN = 3;
export const KIND_FOLD = 4;
export const KIND_INCR_FOLD = 5;
/** The generic face of an f64 node (f64-store.ts): `in1` holds the f64 node's id. */
export const KIND_F64_VIEW = 6;

export const KIND_NAMES = ['leaf', 'map', 'map2', 'mapN', 'fold', 'incrFold', 'f64View'] as const;

// `flags` holds the kind in its low 3 bits and these flags above them (one field, not two).
export const KIND_MASK = 7;
/** Queued in the dirty queue. */
export const F_QUEUED = 8;
/** Disposed: every operation on it is refused; skipped if still queued. */
export const F_DISPOSED = 16;
/** The last recompute threw: the node holds its previous value (stale) until an input changes. */
export const F_ERRORED = 32;
/** A leaf with a value set but not yet stabilized. */
export const F_PENDING = 64;
/** Already in this stabilization's list of changed observed nodes. */
export const F_NOTIFY = 128;

/** Marks an incrFold input whose value has not been folded in yet. */
export const FRESH: unique symbol = Symbol('ripple.fresh');

// biome-ignore lint/suspicious/noExplicitAny: user functions of every arity are stored in one slot
export type AnyFn = (...args: any[]) => unknown;
export type Equality = (a: unknown, b: unknown) => boolean;

export type ObserverFn = (oldValue: unknown, newValue: unknown) => void;

export class NodeExt {
  /** fold / incrFold: the initial accumulator. */
  init: unknown = undefined;
  /** incrFold: removes one input's contribution. */
  remove: AnyFn | null = null;
  /** incrFold: optional fused remove-then-add for a changed input. */
  replace: AnyFn | null = null;
  /**
   * incrFold, per input slot s (interleaved so one cache line serves both):
   * state[2s] = the value currently folded in (or FRESH), state[2s+1] = 1 when
   * slot s is in `pending`.
   */
  state: unknown[] | null = null;
  /** incrFold: changed inputs not folded in yet, interleaved [slot, inputNode, ...]. */
  pending: Array<number | GNode> | null = null;
  pendingCount = 0;
  /** incrFold: contributions of removed inputs still to subtract. */
  removed: unknown[] | null = null;
  /** mapN: reused argument array (never retained by user code). */
  scratch: unknown[] | null = null;
}

export class GNode {
  id: number;
  /** Kind (low 3 bits) and F_* flags. */
  flags: number;
  height: number;
  value: unknown;
  /** null means Object.is (inlined in the hot loop). */
  equal: Equality | null;
  fn: AnyFn | null;
  p0: GNode | null = null;
  /**
   * One field, four uses by kind: map2's second input; the input array of
   * mapN, fold and incrFold; a leaf's pending value (while F_PENDING is set);
   * the id of the f64 node an f64View shows.
   */
  in1: unknown = null;
  /**
   * Dependents. The first is held inline (`c0`, with its input slot `c0s`):
   * most nodes have exactly one, and an array would cost ~64 bytes more.
   * Further ones are interleaved in `out`: [child, slot, child, slot, ...].
   * Invariant: `out` is non-null only when `c0` is, and never empty.
   */
  c0: GNode | null = null;
  c0s = 0;
  out: Array<GNode | number> | null = null;
  name: string | null;
  ext: NodeExt | null = null;
  /**
   * The node's observers: the function itself while there is one (the common case: no array, one
   * object fewer to load per notification), an array in registration order once there are more.
   * On the node, not in `ext`: an observed leaf (the pipeline's, one per key) then needs no `ext`.
   */
  observers: ObserverFn | ObserverFn[] | null = null;
  /** Value before the current stabilization, for observers. */
  old: unknown = undefined;

  constructor(
    id: number,
    kind: number,
    height: number,
    value: unknown,
    equal: Equality | null,
    fn: AnyFn | null,
    name: string | null,
  ) {
    this.id = id;
    this.flags = kind;
    this.height = height;
    this.value = value;
    this.equal = equal;
    this.fn = fn;
    this.name = name;
  }

  get kind(): number {
    return this.flags & KIND_MASK;
  }

  get p1(): GNode | null {
    return (this.flags & KIND_MASK) === KIND_MAP2 ? (this.in1 as GNode | null) : null;
  }

  set p1(p: GNode | null) {
    this.in1 = p;
  }

  /** A leaf's pending value. */
  get aux(): unknown {
    return (this.flags & KIND_MASK) === KIND_LEAF ? this.in1 : undefined;
  }

  set aux(v: unknown) {
    this.in1 = v;
  }

  /** Inputs of mapN, fold and incrFold; null for other kinds. */
  get parents(): GNode[] | null {
    const k = this.flags & KIND_MASK;
    return k >= KIND_MAPN && k <= KIND_INCR_FOLD ? (this.in1 as GNode[] | null) : null;
  }

  set parents(ps: GNode[] | null) {
    this.in1 = ps;
  }

  label(): string {
    return this.name ?? `${KIND_NAMES[this.kind] ?? 'node'}#${this.id}`;
  }
}

// ------------------------------------------------------------------ edges
// Dependents are indexed 0..childCount-1: index 0 is `c0`, index i >= 1 is out[2(i-1)].

export function childCount(n: GNode): number {
  return n.c0 === null ? 0 : n.out === null ? 1 : 1 + (n.out.length >> 1);
}

export function childAt(n: GNode, i: number): GNode {
  return (i === 0 ? n.c0 : (n.out as Array<GNode | number>)[2 * (i - 1)]) as GNode;
}

export function slotAt(n: GNode, i: number): number {
  return i === 0 ? n.c0s : ((n.out as Array<GNode | number>)[2 * i - 1] as number);
}

function setAt(n: GNode, i: number, child: GNode, slot: number): void {
  if (i === 0) {
    n.c0 = child;
    n.c0s = slot;
  } else {
    const out = n.out as Array<GNode | number>;
    out[2 * (i - 1)] = child;
    out[2 * i - 1] = slot;
  }
}

export function addChild(parent: GNode, child: GNode, slot: number): void {
  if (parent.c0 === null) {
    parent.c0 = child;
    parent.c0s = slot;
  } else if (parent.out === null) {
    parent.out = [child, slot];
  } else {
    parent.out.push(child, slot);
  }
}

/** Index of dependent `child` (at input slot `slot`, or any slot when negative), or -1. */
export function indexOfChild(parent: GNode, child: GNode, slot: number): number {
  const count = childCount(parent);
  for (let i = 0; i < count; i++) {
    if (childAt(parent, i) === child && (slot < 0 || slotAt(parent, i) === slot)) return i;
  }
  return -1;
}

export function setSlotAt(parent: GNode, i: number, slot: number): void {
  setAt(parent, i, childAt(parent, i), slot);
}

/** Remove dependent i by moving the last one into its place. */
export function removeChildAt(parent: GNode, i: number): void {
  const last = childCount(parent) - 1;
  if (i !== last) setAt(parent, i, childAt(parent, last), slotAt(parent, last));
  if (last === 0) {
    parent.c0 = null;
    parent.c0s = 0;
  } else {
    const out = parent.out as Array<GNode | number>;
    out.length -= 2;
    if (out.length === 0) parent.out = null;
  }
}
