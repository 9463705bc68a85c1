/**
 * @ripple/graph-engine — Ripple's incremental computation graph.
 *
 * Build a DAG of leaves (inputs) and derived nodes (`map`, `map2`, `mapN`,
 * `fold`, `incrFold`), `set` leaves, then `stabilize()`: only nodes that depend
 * on a changed leaf recompute, in height order, each at most once, and an
 * unchanged value (cutoff) stops propagation. Observers see (old, new) of each
 * changed observed node. No I/O, no clock or randomness of its own.
 *
 * See `Graph` for the error, disposal and snapshot semantics.
 */

export type { DotExport } from './dot.ts';
export {
  CycleError,
  DuplicateNameError,
  GraphError,
  type GraphErrorCode,
  InvariantError,
  NodeComputeError,
  NodeDisposedError,
  NodeHasDependentsError,
  NotInputError,
  NumberExpectedError,
  ObserverError,
  ReentrancyError,
  SnapshotMismatchError,
  StabilizeError,
} from './errors.ts';
export { Graph } from './graph.ts';
export type {
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
