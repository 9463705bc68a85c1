/**
 * The public types of the graph: node handles (`Incr`, `Leaf`, `IncrFold`),
 * their options, the graph's options, statistics and snapshot. The engine
 * that gives them meaning is graph.ts.
 */

declare const incrBrand: unique symbol;
declare const leafBrand: unique symbol;
declare const foldBrand: unique symbol;
declare const f64Brand: unique symbol;
declare const f64LeafBrand: unique symbol;
declare const f64SumBrand: unique symbol;

/** A node of the graph: read its `value` (the value as of the last stabilization). */
export interface Incr<T> {
  readonly id: number;
  readonly value: T;
  readonly height: number;
  readonly name: string | null;
  readonly [incrBrand]?: T;
}
/** A settable input. */
export interface Leaf<T> extends Incr<T> {
  readonly [leafBrand]: true;
}
/** An incremental fold whose inputs can be added and removed while the graph is live. */
export interface IncrFold<T, A> extends Incr<A> {
  readonly [foldBrand]: T;
}

/**
 * A node of the typed numeric path (`Graph.f64Leaf`, `f64Map`, `f64Map2`, `f64Sum`): its value is
 * a double held in the graph's Float64Array, and updating it allocates nothing. A generic node
 * can take it as an input like any `Incr<number>`. Its `id` numbers the f64 nodes (a sequence of
 * their own, apart from the generic nodes' ids).
 */
export interface F64 extends Incr<number> {
  readonly [f64Brand]: true;
}
/** A settable f64 input (`Graph.f64Set`). */
export interface F64Leaf extends F64 {
  readonly [f64LeafBrand]: true;
}
/** An incremental f64 sum whose inputs can be added and removed while the graph is live. */
export interface F64Sum extends F64 {
  readonly [f64SumBrand]: true;
}

export interface F64NodeOptions {
  /** Shown in errors; for leaves, the key used by snapshots (one namespace with generic leaves). */
  name?: string;
}

export interface NodeOptions<T> {
  /** Equality used for cutoff: an equal recomputed value stops propagation. Default `Object.is`. */
  equal?: (a: T, b: T) => boolean;
  /** Shown in errors and DOT output; for leaves, the key used by snapshots. */
  name?: string;
}

export interface IncrFoldOptions<T, A> extends NodeOptions<A> {
  /**
   * Optional fused update for a changed input: must equal
   * `add(remove(acc, oldValue), newValue)`. Saves a call and an intermediate
   * accumulator on the hot path.
   */
  replace?: (acc: A, oldValue: T, newValue: T) => A;
}

export interface GraphOptions {
  /** Check invariants after every stabilization (heights, queue, every value against a recompute). */
  debug?: boolean;
  /**
   * Monotonic clock in nanoseconds, injected for determinism. When given, each
   * stabilization's duration is measured with it (`stats().lastStabilizeNs`).
   */
  clock?: () => number;
}

export interface GraphStats {
  stabilizations: number;
  recomputes: number;
  cutoffs: number;
  nodeCount: number;
  dirtyCount: number;
  /** Nodes whose last recompute threw and that hold their previous value. */
  staleCount: number;
  /** Recomputes done by the last stabilization. */
  lastRecomputes: number;
  /** Duration of the last stabilization (0 without a clock). */
  lastStabilizeNs: number;
}

/** Leaf values keyed by leaf name, in name order: the state that derived nodes are rebuilt from. */
export interface GraphSnapshot {
  readonly format: 1;
  readonly leaves: ReadonlyArray<readonly [name: string, value: unknown]>;
}

export interface Observer {
  /** Stop receiving changes. Idempotent. */
  dispose(): void;
}
