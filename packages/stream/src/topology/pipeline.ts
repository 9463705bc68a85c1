/**
 * The topology DSL: `source -> partition(by key) -> window -> aggregate -> sink`,
 * typed end to end and compiled into the incremental graph.
 *
 * ```ts
 * const topology = from(trades)
 *   .partitionBy('symbol', { partitions: 8 })
 *   .window(tumbling(60_000_000_000n), { time: 'timestampNs' })
 *   .aggregate((a) => a.vwap('price', 'size'))
 *   .to(sink);
 * await topology.run();
 * ```
 * A key field that is not a string, a time field that is not a bigint, or an
 * aggregated field that is not a number is a compile error.
 *
 * Compiled shape: the window operator keeps the accumulators (mutable, one per
 * key and pane); the graph holds one observed leaf per live key with the key's
 * latest window record (structural equality: an unchanged correction is cut
 * off; a two-node leaf -> map shape measured slower on the fire path). One
 * stabilization per input
 * batch turns every changed record into a delta of one window
 * (`windowKey`, `windowStartNs`), with a per-partition sequence number: `Set` for a window's first value (or
 * a window other than the key's last one), a `Patch` (diff) for a correction
 * of the same window, `Remove` for a retracted session.
 */

import { Graph, type Leaf } from '@ripple/graph-engine';
import {
  type Aggregator,
  count,
  max,
  mean,
  min,
  type NumericField,
  stddev,
  sum,
  vwap,
} from '../aggregate/aggregator.ts';
import { type Delta, diff, type Value, type ValueRecord, valueEqual } from '../delta/delta.ts';
import { InvalidOptionError, WindowSnapshotError } from '../window/errors.ts';
import {
  type WindowEmit,
  type WindowKey,
  WindowOperator,
  type WindowStats,
} from '../window/window-operator.ts';
import {
  applyWindowDelta,
  type WindowSnapshot,
  type WindowSnapshotDelta,
} from '../window/window-snapshot.ts';
import type { WindowOptions, WindowSpec } from '../window/window-spec.ts';
import type { Sink, Source } from './source-sink.ts';

/** Names of the fields of `E` whose type is `T`. */
export type FieldOf<E, T> = { [K in keyof E]-?: E[K] extends T ? K : never }[keyof E] & string;

/** Output record of a window: the key field, the window bounds and the aggregate's fields. */
export type WindowRecord<K extends string, R> = { readonly [P in K]: string } & {
  readonly window_start_ns: bigint;
  readonly window_end_ns: bigint;
} & R;

/**
 * One output delta. `value` is the record after the delta (null after `Remove`).
 * The window it belongs to is `windowKey` (the partition key's value, e.g. a
 * symbol) and `windowStartNs`: read those, never parse `key`.
 */
export interface OutputDelta<O> {
  /** Identity of the window as text (`<windowKey>@<windowStartNs>`), for maps and logs only. */
  readonly key: string;
  /** The value of the key field (e.g. the symbol). */
  readonly windowKey: string;
  readonly windowStartNs: bigint;
  readonly partition: number;
  /** Per partition, from 1, gap-free. */
  readonly seq: number;
  readonly delta: Delta;
  readonly value: O | null;
}

export const tumbling = (sizeNs: bigint): WindowSpec => ({ kind: 'tumbling', sizeNs });
export const sliding = (sizeNs: bigint, slideNs: bigint): WindowSpec => ({
  kind: 'sliding',
  sizeNs,
  slideNs,
});
export const session = (gapNs: bigint): WindowSpec => ({ kind: 'session', gapNs });

/** Aggregators bound to the event type, so that field names are checked. */
export interface AggregatorKit<E> {
  count(): Aggregator<E, unknown, { count: number }>;
  sum(field: NumericField<E>): Aggregator<E, unknown, { sum: number; count: number }>;
  mean(field: NumericField<E>): Aggregator<E, unknown, { mean: number; count: number }>;
  min(field: NumericField<E>): Aggregator<E, unknown, { min: number | null; count: number }>;
  max(field: NumericField<E>): Aggregator<E, unknown, { max: number | null; count: number }>;
  vwap(
    price: NumericField<E>,
    size: NumericField<E>,
  ): Aggregator<E, unknown, { vwap: number; volume: number; count: number }>;
  stddev(field: NumericField<E>): Aggregator<E, unknown, { stddev: number; mean: number; count: number }>;
}

function kit<E>(): AggregatorKit<E> {
  const u = <A, R extends ValueRecord>(a: Aggregator<E, A, R>) => a as unknown as Aggregator<E, unknown, R>;
  return {
    count: () => u(count<E>()),
    sum: (f) => u(sum<E>(f)),
    mean: (f) => u(mean<E>(f)),
    min: (f) => u(min<E>(f)),
    max: (f) => u(max<E>(f)),
    vwap: (p, s) => u(vwap<E>(p, s)),
    stddev: (f) => u(stddev<E>(f)),
  };
}

export interface WindowStepOptions<E> {
  /** Event-time field (bigint nanoseconds). */
  readonly time: FieldOf<E, bigint>;
  readonly outOfOrdernessNs?: bigint;
  readonly allowedLatenessNs?: bigint;
  readonly idleTimeoutNs?: bigint;
  readonly keyRetentionNs?: bigint;
}

export interface CompileOptions<E> {
  /** Late events (beyond allowed lateness): the side output. They are also counted in `stats().late`. */
  readonly onLate?: (event: E, key: string, windowEndNs: bigint, watermarkNs: bigint) => void;
  /** Check graph invariants after each stabilization (slow; tests). */
  readonly debug?: boolean;
}

interface Spec<E> {
  source: Source<E> | null;
  keyField: string;
  partitions: number;
  window: WindowSpec;
  windowOptions: WindowStepOptions<E>;
  aggregator: Aggregator<E, unknown, ValueRecord>;
}

/** Start a topology, optionally with its source (a compiled pipeline can also be fed by hand). */
export function from<E>(source?: Source<E>): SourceStep<E> {
  return new SourceStep<E>(source ?? null);
}

export class SourceStep<E> {
  private readonly source: Source<E> | null;
  constructor(source: Source<E> | null) {
    this.source = source;
  }
  /** Partition by a string field; each partition has its own watermark and sequence numbers. */
  partitionBy<K extends FieldOf<E, string>>(
    key: K,
    options: { partitions?: number } = {},
  ): PartitionStep<E, K> {
    const partitions = options.partitions ?? 1;
    if (!Number.isInteger(partitions) || partitions < 1) {
      throw new InvalidOptionError('partitions', `must be a positive integer (got ${partitions})`);
    }
    return new PartitionStep<E, K>(this.source, key, partitions);
  }
}

export class PartitionStep<E, K extends string> {
  private readonly source: Source<E> | null;
  private readonly key: K;
  private readonly partitions: number;
  constructor(source: Source<E> | null, key: K, partitions: number) {
    this.source = source;
    this.key = key;
    this.partitions = partitions;
  }
  window(spec: WindowSpec, options: WindowStepOptions<E>): WindowStep<E, K> {
    return new WindowStep<E, K>(this.source, this.key, this.partitions, spec, options);
  }
}

export class WindowStep<E, K extends string> {
  private readonly base: Omit<Spec<E>, 'aggregator'>;
  constructor(
    source: Source<E> | null,
    key: K,
    partitions: number,
    spec: WindowSpec,
    options: WindowStepOptions<E>,
  ) {
    this.base = { source, keyField: key, partitions, window: spec, windowOptions: options };
  }
  aggregate<R extends ValueRecord>(
    make: (aggregators: AggregatorKit<E>) => Aggregator<E, unknown, R>,
  ): AggregateStep<E, WindowRecord<K, R>> {
    const aggregator = make(kit<E>()) as unknown as Aggregator<E, unknown, ValueRecord>;
    return new AggregateStep<E, WindowRecord<K, R>>({ ...this.base, aggregator });
  }
}

export class AggregateStep<E, O> {
  private readonly spec: Spec<E>;
  constructor(spec: Spec<E>) {
    this.spec = spec;
  }
  /** Compile into a graph; feed it with `push` (no source or sink needed). */
  compile(options: CompileOptions<E> = {}): CompiledPipeline<E, O> {
    return new CompiledPipeline<E, O>(this.spec, options);
  }
  to(sink: Sink<OutputDelta<O>>): Topology<E, O> {
    return new Topology<E, O>(this.spec, sink);
  }
}

export interface RunSummary {
  readonly events: number;
  readonly late: number;
  readonly deltas: number;
  readonly batches: number;
}

/** A complete topology: source, compiled pipeline, sink. */
export class Topology<E, O> {
  private readonly spec: Spec<E>;
  readonly sink: Sink<OutputDelta<O>>;
  constructor(spec: Spec<E>, sink: Sink<OutputDelta<O>>) {
    this.spec = spec;
    this.sink = sink;
  }
  compile(options: CompileOptions<E> = {}): CompiledPipeline<E, O> {
    return new CompiledPipeline<E, O>(this.spec, options);
  }
  /**
   * Pull every batch from the source, push it through the pipeline, write the
   * deltas to the sink (awaiting it: backpressure), then end the stream (all
   * windows are emitted) and close the sink. `onBatch` sees progress.
   */
  async run(
    options: CompileOptions<E> & { onBatch?: (p: CompiledPipeline<E, O>) => void } = {},
  ): Promise<RunSummary> {
    const source = this.spec.source;
    if (source === null)
      throw new InvalidOptionError('source', 'this topology has no source (use from(source))');
    const p = this.compile(options);
    let batches = 0;
    for await (const batch of source.batches()) {
      const out = p.push(batch);
      batches++;
      if (out.length > 0) await this.sink.write(out);
      options.onBatch?.(p);
    }
    const last = p.end();
    if (last.length > 0) await this.sink.write(last);
    await this.sink.close?.();
    const s = p.stats();
    return { events: s.window.events, late: s.window.late, deltas: s.deltas, batches };
  }
}

interface KeySlot {
  /** The key's latest window record (structural equality: an unchanged correction is cut off). */
  leaf: Leaf<ValueRecord | null>;
  /** Batch number in which the leaf was last set (a second set in the same batch flushes first). */
  pending: number;
}

export interface PipelineStats {
  window: WindowStats;
  deltas: number;
  graphNodes: number;
  stabilizations: number;
}

export const PIPELINE_SNAPSHOT_VERSION = 1;

/**
 * Snapshot of a compiled pipeline: the window operator's state and the last
 * sequence number emitted per partition. Graph nodes are derived state, rebuilt
 * as keys emit again.
 */
export interface PipelineSnapshot {
  readonly version: typeof PIPELINE_SNAPSHOT_VERSION;
  readonly window: WindowSnapshot;
  /** Last sequence number emitted, by partition (0 = none yet). */
  readonly lastSequences: readonly number[];
}

/** A pipeline snapshot's changes since a base (see `CompiledPipeline.snapshotChanges`). */
export interface PipelineSnapshotDelta {
  readonly version: typeof PIPELINE_SNAPSHOT_VERSION;
  readonly window: WindowSnapshotDelta;
  readonly lastSequences: readonly number[];
}

/** The pipeline snapshot `delta` describes on top of `base` (see `applyWindowDelta`). */
export function applyPipelineDelta(base: PipelineSnapshot, delta: PipelineSnapshotDelta): PipelineSnapshot {
  if (delta.version !== base.version || delta.lastSequences.length !== base.lastSequences.length)
    throw new WindowSnapshotError('delta does not apply to this pipeline snapshot');
  return {
    version: delta.version,
    window: applyWindowDelta(base.window, delta.window),
    lastSequences: [...delta.lastSequences],
  };
}

/**
 * Cutoff of a key's leaf. Records of different windows differ in window_start_ns: decided without a
 * structural walk. One function shared by every leaf (not a closure per key: one object fewer per key,
 * and the graph's equality call site sees a single target).
 */
function recordEqual(a: ValueRecord | null, b: ValueRecord | null): boolean {
  return a === b || (a !== null && b !== null && a.window_start_ns === b.window_start_ns && valueEqual(a, b));
}

/** A compiled pipeline: push batches of events, get output deltas back. Deterministic. */
export class CompiledPipeline<E, O> {
  readonly graph: Graph;
  private readonly op: WindowOperator<E, unknown, ValueRecord>;
  private readonly keyField: string;
  private readonly seqs: number[];
  private out: Array<OutputDelta<O>> = [];
  private batchNo = 1;
  private nDeltas = 0;
  private lastStart = -1n;
  private lastStartText = '-1';

  constructor(spec: Spec<E>, options: CompileOptions<E>) {
    this.graph = new Graph({ debug: options.debug ?? false });
    this.keyField = spec.keyField;
    const keyField = spec.keyField;
    const timeField = spec.windowOptions.time;
    const w = spec.windowOptions;
    const wo: WindowOptions = {
      window: spec.window,
      partitions: spec.partitions,
      ...(w.outOfOrdernessNs !== undefined ? { outOfOrdernessNs: w.outOfOrdernessNs } : {}),
      ...(w.allowedLatenessNs !== undefined ? { allowedLatenessNs: w.allowedLatenessNs } : {}),
      ...(w.idleTimeoutNs !== undefined ? { idleTimeoutNs: w.idleTimeoutNs } : {}),
      ...(w.keyRetentionNs !== undefined ? { keyRetentionNs: w.keyRetentionNs } : {}),
    };
    this.seqs = new Array<number>(spec.partitions).fill(0);
    this.op = new WindowOperator<E, unknown, ValueRecord>(
      spec.aggregator,
      (e) => (e as Record<string, unknown>)[keyField] as string,
      (e) => (e as Record<string, unknown>)[timeField] as bigint,
      wo,
      {
        onEmit: (k, em) => this.onEmit(k, em),
        onResult: (k, startNs, endNs, result) => this.onResult(k, startNs, endNs, result),
        onEvict: (k) => this.onEvict(k),
        ...(options.onLate !== undefined ? { onLate: options.onLate } : {}),
      },
    );
  }

  /** Process one batch (one stabilization); returns the deltas it produced, in order. */
  push(batch: readonly E[]): ReadonlyArray<OutputDelta<O>> {
    this.out = [];
    const op = this.op;
    for (let i = 0; i < batch.length; i++) op.push(batch[i] as E);
    op.advanceIdle();
    this.flush();
    return this.out;
  }

  /** End of input: emit every remaining window and drop all state. */
  end(): ReadonlyArray<OutputDelta<O>> {
    this.out = [];
    this.op.end();
    this.flush();
    return this.out;
  }

  /** Live keys (O(1)). */
  get keyCount(): number {
    return this.op.keyCount;
  }

  /** Watermark of a partition (O(1)). */
  watermarkOf(partition: number): bigint {
    return this.op.watermarkOf(partition);
  }

  /** Whether the key has live window state (O(1)). */
  hasKey(key: string): boolean {
    return this.op.hasKey(key);
  }

  /**
   * A key's state, read-only (queries): `windows`, the windows its state
   * holds with their current values, as output records (the key field and
   * window_start_ns / window_end_ns set; `closed` once the watermark passed
   * the end, i.e. emitted), oldest first; `lastEmitted`, the last value the
   * pipeline output for the key (null before its first). Nothing is emitted.
   */
  query(key: string): {
    windows: Array<{ startNs: bigint; endNs: bigint; closed: boolean; value: O }>;
    lastEmitted: O | null;
  } {
    const windows = this.op.windowsOf(key).map((w) => {
      const rec = w.result as { [f: string]: Value };
      rec[this.keyField] = key;
      rec.window_start_ns = w.startNs;
      rec.window_end_ns = w.endNs;
      return { startNs: w.startNs, endNs: w.endNs, closed: w.closed, value: rec as unknown as O };
    });
    const slot = this.op.slotOf(key) as KeySlot | null;
    const last = slot === null ? null : slot.leaf.value;
    return { windows, lastEmitted: last as O | null };
  }

  stats(): PipelineStats {
    const g = this.graph.stats();
    return {
      window: this.op.stats(),
      deltas: this.nDeltas,
      graphNodes: g.nodeCount,
      stabilizations: g.stabilizations,
    };
  }

  /** Operator state + sequence numbers (see `PipelineSnapshot`). */
  snapshot(): PipelineSnapshot {
    return { version: PIPELINE_SNAPSHOT_VERSION, window: this.op.snapshot(), lastSequences: [...this.seqs] };
  }

  /**
   * The changes since the last `markSnapshotted` (or `restore`): applied to
   * the snapshot taken then (`applyPipelineDelta`) they give `snapshot()`.
   */
  snapshotChanges(): PipelineSnapshotDelta {
    return {
      version: PIPELINE_SNAPSHOT_VERSION,
      window: this.op.snapshotChanges(),
      lastSequences: [...this.seqs],
    };
  }

  /** The current state is the base of the next `snapshotChanges`. */
  markSnapshotted(): void {
    this.op.markSnapshotted();
  }

  /** Keys changed since the last snapshot mark (an upper bound). */
  get changedKeyCount(): number {
    return this.op.changedKeyCount;
  }

  /** Restore into a freshly compiled pipeline of the same topology. */
  restore(snap: PipelineSnapshot): void {
    const seqs = snap.lastSequences;
    if (
      snap.version !== PIPELINE_SNAPSHOT_VERSION ||
      snap.window === undefined ||
      !Array.isArray(seqs) ||
      seqs.length !== this.seqs.length ||
      !seqs.every((n) => Number.isSafeInteger(n) && n >= 0)
    ) {
      throw new WindowSnapshotError('not a pipeline snapshot of this topology');
    }
    this.op.restore(snap.window);
    for (let i = 0; i < this.seqs.length; i++) this.seqs[i] = seqs[i] as number;
  }

  // ---------------------------------------------------------------- internals

  private flush(): void {
    this.graph.stabilize();
    this.batchNo++;
  }

  /** A retraction (results come to `onResult`; both are handled here for completeness). */
  private onEmit(k: WindowKey, em: WindowEmit<ValueRecord>): void {
    if (!em.retract) {
      this.onResult(k, em.startNs, em.endNs, em.result as ValueRecord);
      return;
    }
    const slot = k.slot as KeySlot | null;
    if (slot !== null && slot.pending === this.batchNo) this.flush();
    this.output(k.partition, k.key, em.startNs, `${k.key}@${em.startNs}`, { kind: 'remove' }, null);
  }

  private onResult(k: WindowKey, startNs: bigint, endNs: bigint, result: ValueRecord): void {
    let slot = k.slot as KeySlot | null;
    if (slot === null) slot = this.makeSlot(k);
    else if (slot.pending === this.batchNo) this.flush();
    slot.pending = this.batchNo;
    // The aggregate's result object is fresh per emission: extend it in place into the record.
    const rec = result as { [f: string]: Value };
    rec[this.keyField] = k.key;
    rec.window_start_ns = startNs;
    rec.window_end_ns = endNs;
    this.graph.set(slot.leaf, rec);
  }

  private onEvict(k: WindowKey): void {
    const slot = k.slot as KeySlot | null;
    if (slot === null) return;
    if (slot.pending === this.batchNo) this.flush();
    this.graph.dispose(slot.leaf);
    k.slot = null;
  }

  private makeSlot(k: WindowKey): KeySlot {
    const g = this.graph;
    const key = k.key;
    const partition = k.partition;
    // The window key text's prefix, built once per key (not a string per emission).
    const prefix = `${key}@`;
    const leaf = g.leaf<ValueRecord | null>(null, { equal: recordEqual });
    g.observe(leaf, (old, now) => {
      if (now === null) return;
      const start = now.window_start_ns as bigint;
      const delta: Delta =
        old !== null && old.window_start_ns === start ? diff(old, now) : { kind: 'set', value: now };
      this.output(partition, key, start, prefix + this.startText(start), delta, now as unknown as O);
    });
    const slot: KeySlot = { leaf, pending: 0 };
    k.slot = slot;
    return slot;
  }

  /** Decimal text of a window start; cached, as every key of a window shares it. */
  private startText(start: bigint): string {
    if (start !== this.lastStart) {
      this.lastStart = start;
      this.lastStartText = String(start);
    }
    return this.lastStartText;
  }

  private output(
    partition: number,
    windowKey: string,
    windowStartNs: bigint,
    key: string,
    delta: Delta,
    value: O | null,
  ): void {
    const seq = ++(this.seqs[partition] as number);
    this.seqs[partition] = seq;
    this.nDeltas++;
    this.out.push({ key, windowKey, windowStartNs, partition, seq, delta, value });
  }
}
