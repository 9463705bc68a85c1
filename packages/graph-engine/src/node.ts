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

export const KIND_NAMES = ['leaf', 'map', 'map2', 'mapN', 'fold', 'incrFold'] as const;

/** Queued in the dirty queue. */
export const F_QUEUED = 1;
/** Disposed: every operation on it is refused; skipped if still queued. */
export const F_DISPOSED = 2;
/** The last recompute threw: the node holds its previous value (stale) until an input changes. */
export const F_ERRORED = 4;
/** A leaf with a value set but not yet stabilized. */
export const F_PENDING = 8;
/** Already in this stabilization's list of changed observed nodes. */
export const F_NOTIFY = 16;

/** Marks an incrFold input whose value has not been folded in yet. */
export const FRESH: unique symbol = Symbol('ripple.fresh');

// biome-ignore lint/suspicious/noExplicitAny: user functions of every arity are stored in one slot
export type AnyFn = (...args: any[]) => unknown;
export type Equality = (a: unknown, b: unknown) => boolean;

export class NodeExt {
  observers: Array<(oldValue: unknown, newValue: unknown) => void> | null = null;
  /** Value before the current stabilization, for observers. */
  old: unknown = undefined;
  /** fold / incrFold: the initial accumulator. */
  init: unknown = undefined;
  /** incrFold: removes one input's contribution. */
  remove: AnyFn | null = null;
  /** incrFold: the value of each input that is currently folded in (or FRESH). */
  contrib: unknown[] | null = null;
  /** incrFold: input slots whose change is not folded in yet (deduplicated by `mark`). */
  pending: number[] | null = null;
  pendingCount = 0;
  mark: number[] | null = null;
  /** incrFold: contributions of removed inputs still to subtract. */
  removed: unknown[] | null = null;
  /** mapN: reused argument array (never retained by user code). */
  scratch: unknown[] | null = null;
}

export class GNode {
  id: number;
  kind: number;
  flags = 0;
  height: number;
  value: unknown;
  /** leaf: the pending value while F_PENDING is set. */
  aux: unknown = undefined;
  /** null means Object.is (inlined in the hot loop). */
  equal: Equality | null;
  fn: AnyFn | null;
  p0: GNode | null = null;
  p1: GNode | null = null;
  /** mapN, fold, incrFold inputs. */
  parents: GNode[] | null = null;
  /** Dependents, interleaved: [child, slotInChild, child, slotInChild, ...]. */
  out: Array<GNode | number> = [];
  nextDirty: GNode | null = null;
  name: string | null;
  ext: NodeExt | null = null;

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
    this.kind = kind;
    this.height = height;
    this.value = value;
    this.equal = equal;
    this.fn = fn;
    this.name = name;
  }

  label(): string {
    return this.name ?? `${KIND_NAMES[this.kind] ?? 'node'}#${this.id}`;
  }
}
