/**
 * @ripple/stream — Ripple's stream layer, built on @ripple/graph-engine.
 *
 * - Delta algebra (`Set | Patch | Remove`, idempotent, composable).
 * - Aggregators (count, sum, mean, min, max, VWAP, stddev) and the two-stack
 *   sliding aggregate.
 * - Event-time windows (tumbling, sliding, session) with watermarks, allowed
 *   lateness, a late side output and a typed, versioned snapshot
 *   (`WindowSnapshot`, `PipelineSnapshot`).
 * - The topology DSL `from(source).partitionBy().window().aggregate().to(sink)`,
 *   compiled into the incremental graph.
 *
 * No I/O, no clock of its own: the same events in the same order give the
 * same deltas and the same snapshots.
 */

// ---- aggregators
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
  type VwapAcc,
  type VwapResult,
  vwap,
  WelfordAcc,
} from './aggregate/aggregator.ts';
export { SlidingAggregate } from './aggregate/sliding.ts';
// ---- delta algebra
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
// ---- topology DSL, sources and sinks
export { formatDuration, parseDuration } from './topology/duration.ts';
export {
  AggregateStep,
  type AggregatorKit,
  applyPipelineDelta,
  CompiledPipeline,
  type CompileOptions,
  type FieldOf,
  from,
  type OutputDelta,
  PartitionStep,
  PIPELINE_SNAPSHOT_VERSION,
  type PipelineSnapshot,
  type PipelineSnapshotDelta,
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
// ---- windows
export {
  InvalidOptionError,
  StreamClosedError,
  StreamError,
  type StreamErrorCode,
  WindowSnapshotError,
} from './window/errors.ts';
export { TIME_NEVER, TIME_NONE } from './window/event-time.ts';
export {
  type WindowCallbacks,
  type WindowEmit,
  type WindowKey,
  WindowOperator,
  type WindowStats,
} from './window/window-operator.ts';
export {
  applyWindowDelta,
  type KeySnapshot,
  type PaneSnapshot,
  type PartitionTimeSnapshot,
  type SessionSnapshot,
  WINDOW_SNAPSHOT_VERSION,
  type WindowSnapshot,
  type WindowSnapshotDelta,
} from './window/window-snapshot.ts';
export type { WindowOptions, WindowSpec } from './window/window-spec.ts';
