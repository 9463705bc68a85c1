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

// ---- stream layer (issue 3): aggregators
export {
  type Aggregator,
  CountAcc,
  count,
  ExtremumAcc,
  max,
  mean,
  min,
  NSum,
  type NumericField,
  type ResultOf,
  type StddevResult,
  SumAcc,
  stddev,
  sum,
  VwapAcc,
  type VwapResult,
  vwap,
  WelfordAcc,
} from './aggregate/aggregator.ts';
export { SlidingAggregate } from './aggregate/sliding.ts';
// ---- stream layer (issue 3): delta algebra
export {
  apply,
  compose,
  type Delta,
  diff,
  isRecord,
  type PatchOp,
  patchDelta,
  removeDelta,
  setDelta,
  type Value,
  type ValueRecord,
  valueEqual,
} from './delta/delta.ts';
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
  ObserverError,
  ReentrancyError,
  SnapshotMismatchError,
  StabilizeError,
} from './errors.ts';
export {
  checkEqual,
  Graph,
  type GraphOptions,
  type GraphSnapshot,
  type GraphStats,
  type Incr,
  type IncrFold,
  type IncrFoldOptions,
  type Leaf,
  type NodeOptions,
  type Observer,
} from './graph.ts';
// ---- stream layer (issue 3): topology DSL, sources and sinks
export { formatDuration, parseDuration } from './topology/duration.ts';
export {
  AggregateStep,
  type AggregatorKit,
  CompiledPipeline,
  type CompileOptions,
  type FieldOf,
  from,
  type OutputDelta,
  PartitionStep,
  type PipelineStats,
  type RunSummary,
  SourceStep,
  session,
  sliding,
  Topology,
  tumbling,
  type WindowRecord,
  WindowStep,
  type WindowStepOptions,
} from './topology/pipeline.ts';
export { MemorySink, MemorySource, type Sink, type Source } from './topology/source-sink.ts';
// ---- stream layer (issue 3): windows
export {
  InvalidOptionError,
  StreamClosedError,
  StreamError,
  type StreamErrorCode,
  WindowSnapshotError,
} from './window/errors.ts';
export {
  KeyState,
  type WindowCallbacks,
  type WindowEmit,
  WindowOperator,
  type WindowOptions,
  type WindowSpec,
  type WindowStats,
} from './window/window-operator.ts';
