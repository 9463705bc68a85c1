/**
 * Every metric the worker exports, declared once (`ripple_` prefix; names,
 * units and the original's names in docs/metrics.md). Prometheus conventions:
 * base units (seconds, bytes), `_total` only on counters. The registry speaks
 * OpenMetrics so the latency histograms can carry trace-id exemplars.
 */

import { WORKER_STATES, type WorkerState } from '@ripple/protocol';
import {
  Counter,
  collectDefaultMetrics,
  Gauge,
  Histogram,
  type OpenMetricsContentType,
  Registry,
} from 'prom-client';

export class WorkerMetrics {
  readonly registry = new Registry<OpenMetricsContentType>();
  readonly recordsIn: Counter<'partition'>;
  readonly tradesIn: Counter<'partition'>;
  readonly deltasSent: Counter<'partition'>;
  readonly deltaBytes: Counter<'partition'>;
  readonly deadLetters: Counter<'partition' | 'reason'>;
  readonly outputFenced: Counter<'partition'>;
  readonly stalePartitionsDropped: Counter<'reason'>;
  readonly dlqTruncated: Counter;
  readonly degraded: Gauge<'dependency'>;
  readonly retries: Counter<'dependency'>;
  readonly cacheWriteFailures: Counter;
  readonly lateEvents: Counter<'partition'>;
  readonly consumerLag: Gauge<'partition'>;
  readonly keys: Gauge<'partition'>;
  readonly watermark: Gauge<'partition'>;
  readonly watermarkLag: Gauge<'partition'>;
  readonly checkpointCapture: Histogram;
  readonly checkpointStore: Histogram;
  readonly lastCheckpoint: Gauge;
  readonly checkpointFailures: Counter;
  readonly checkpointWriting: Gauge;
  readonly checkpoints: Counter;
  readonly checkpointBytes: Counter<'kind'>;
  readonly checkpointTriggersRefused: Counter;
  readonly queries: Counter;
  readonly recoveries: Counter<'source'>;
  readonly snapshotRejected: Counter<'reason'>;
  readonly snapshotFallbacks: Counter;
  readonly recoveryStoreErrors: Counter<'store'>;
  readonly recoveryBlocked: Gauge;
  readonly partitionsFailed: Gauge;
  readonly sinkLatency: Histogram;
  readonly backpressure: Gauge;
  readonly state: Gauge<'state'>;
  /** Read at scrape time; the output sender installs its meter. */
  backpressureLevel: () => number = () => 0;
  readonly graphStabilizations: Counter;
  readonly graphCutoffs: Counter;
  readonly graphNodes: Gauge;
  readonly graphDirty: Gauge;
  readonly graphStabilization: Histogram;
  readonly graphRecomputes: Histogram;

  constructor(workerId: string) {
    const r = this.registry;
    r.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    r.setDefaultLabels({ worker: workerId });
    collectDefaultMetrics({ register: r });
    const p = ['partition'] as const;
    this.recordsIn = new Counter({
      name: 'ripple_worker_records_in_total',
      help: 'Kafka records consumed',
      labelNames: p,
      registers: [r],
    });
    this.tradesIn = new Counter({
      name: 'ripple_worker_trades_in_total',
      help: 'Trades decoded, validated and accepted by the job',
      labelNames: p,
      registers: [r],
    });
    this.deltasSent = new Counter({
      name: 'ripple_transport_deltas_sent_total',
      help: 'Output deltas acknowledged by the sink',
      labelNames: p,
      registers: [r],
    });
    this.deltaBytes = new Counter({
      name: 'ripple_transport_delta_bytes_total',
      help: 'Bytes of output delta frames acknowledged by the sink',
      labelNames: p,
      registers: [r],
    });
    this.outputFenced = new Counter({
      name: 'ripple_worker_output_fenced_records_total',
      help: 'Output records dropped because a newer owner fenced the partition (transactional producer epoch bumped)',
      labelNames: ['partition'],
      registers: [r],
    });
    this.stalePartitionsDropped = new Counter({
      name: 'ripple_worker_stale_partitions_dropped_total',
      help: 'Partitions given up without output or snapshot because another owner has them: fence (a fencing revoke or an assign over an older copy) or output_fenced (a revoke of a partition whose output a newer owner fenced)',
      labelNames: ['reason'],
      registers: [r],
    });
    this.deadLetters = new Counter({
      name: 'ripple_worker_dead_letters_total',
      help: 'Records (or refused trades of a record) sent to the dead-letter topic, by reason code',
      labelNames: ['partition', 'reason'],
      registers: [r],
    });
    this.degraded = new Gauge({
      name: 'ripple_worker_degraded',
      help: '1 while a dependency fails with retryable errors and the worker retries with backoff',
      labelNames: ['dependency'],
      registers: [r],
    });
    this.retries = new Counter({
      name: 'ripple_worker_retries_total',
      help: 'Retries after retryable source or sink errors',
      labelNames: ['dependency'],
      registers: [r],
    });
    this.cacheWriteFailures = new Counter({
      name: 'ripple_worker_cache_write_failures_total',
      help: 'Checkpoint writes to the local cache that failed (e.g. a full disk); processing goes on',
      registers: [r],
    });
    this.dlqTruncated = new Counter({
      name: 'ripple_worker_dlq_truncated_total',
      help: 'Dead-letter values truncated to fit the broker message size',
      registers: [r],
    });
    this.lateEvents = new Counter({
      name: 'ripple_worker_late_events_total',
      help: 'Events later than the allowed lateness, sent to the late-data topic',
      labelNames: p,
      registers: [r],
    });
    this.consumerLag = new Gauge({
      name: 'ripple_worker_consumer_lag_records',
      help: 'Records behind the log end',
      labelNames: p,
      registers: [r],
    });
    this.keys = new Gauge({
      name: 'ripple_worker_keys',
      help: 'Live keys (symbols) per partition',
      labelNames: p,
      registers: [r],
    });
    this.watermark = new Gauge({
      name: 'ripple_worker_watermark_timestamp_seconds',
      help: 'Event-time watermark of the partition, as a Unix time in seconds',
      labelNames: p,
      registers: [r],
    });
    this.watermarkLag = new Gauge({
      name: 'ripple_worker_watermark_lag_seconds',
      help: 'Wall-clock time minus the partition event-time watermark, in seconds',
      labelNames: p,
      registers: [r],
    });
    const checkpointBuckets = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
    this.checkpointCapture = new Histogram({
      name: 'ripple_worker_checkpoint_capture_seconds',
      help: 'Time to capture (encode and cache) the checkpoint of the partitions of one capture; processing pauses meanwhile',
      buckets: checkpointBuckets,
      registers: [r],
    });
    this.checkpointStore = new Histogram({
      name: 'ripple_worker_checkpoint_store_seconds',
      help: 'Time to write one partition snapshot to the durable store (in the background), trace-id exemplars',
      buckets: checkpointBuckets,
      enableExemplars: true,
      registers: [r],
    });
    this.lastCheckpoint = new Gauge({
      name: 'ripple_last_checkpoint_timestamp_seconds',
      help: 'Unix time of the last snapshot stored durably (the start of the process before the first); age = time() - this',
      registers: [r],
    });
    this.checkpointFailures = new Counter({
      name: 'ripple_worker_checkpoint_failures_total',
      help: 'Checkpoint writes that failed (retried with backoff)',
      registers: [r],
    });
    this.checkpointWriting = new Gauge({
      name: 'ripple_worker_checkpoint_writing',
      help: '1 while a snapshot is being written to the store, else 0',
      registers: [r],
    });
    this.checkpoints = new Counter({
      name: 'ripple_worker_checkpoints_total',
      help: 'Checkpoints stored',
      registers: [r],
    });
    this.checkpointBytes = new Counter({
      name: 'ripple_worker_checkpoint_bytes_written_total',
      help: 'Bytes of cluster-checkpoint snapshot objects uploaded, by kind (full, incremental)',
      labelNames: ['kind'],
      registers: [r],
    });
    this.queries = new Counter({
      name: 'ripple_worker_queries_total',
      help: 'State queries answered (ripple query / graph), by kind and status; refused: did not decode (by code)',
      labelNames: ['kind', 'status'],
      registers: [r],
    });
    this.checkpointTriggersRefused = new Counter({
      name: 'ripple_worker_checkpoint_triggers_refused_total',
      help: 'Messages on the checkpoint trigger subject that did not decode as a trigger',
      registers: [r],
    });
    this.recoveries = new Counter({
      name: 'ripple_worker_recoveries_total',
      help: 'Partitions restored from a snapshot, by where it came from',
      labelNames: ['source'],
      registers: [r],
    });
    this.snapshotRejected = new Counter({
      name: 'ripple_worker_snapshots_rejected_total',
      help: 'Stored snapshots refused at recovery (CRC, schema, shape)',
      labelNames: ['reason'],
      registers: [r],
    });
    this.snapshotFallbacks = new Counter({
      name: 'ripple_worker_snapshot_fallbacks_total',
      help: 'Partitions restored from an older snapshot because newer ones were unusable',
      registers: [r],
    });
    this.recoveryStoreErrors = new Counter({
      name: 'ripple_worker_recovery_store_errors_total',
      help: 'Snapshot store reads that failed at recovery (retried with backoff)',
      labelNames: ['store'],
      registers: [r],
    });
    this.recoveryBlocked = new Gauge({
      name: 'ripple_worker_recovery_blocked',
      help: 'Partitions whose recovery waits for an unreadable snapshot store',
      registers: [r],
    });
    this.partitionsFailed = new Gauge({
      name: 'ripple_worker_partitions_failed',
      help: 'Assigned partitions that did not start (no usable snapshot)',
      registers: [r],
    });
    this.sinkLatency = new Histogram({
      name: 'ripple_transport_rpc_latency_seconds',
      help: 'Time for the sink to acknowledge one batch, trace-id exemplars',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      enableExemplars: true,
      registers: [r],
    });
    this.backpressure = new Gauge({
      name: 'ripple_transport_backpressure_level',
      help: 'Fraction (0..1) of the last 10 s the processing loop waited for the sink to acknowledge the previous batch',
      registers: [r],
      collect: () => this.backpressure.set(this.backpressureLevel()),
    });
    this.graphStabilizations = new Counter({
      name: 'ripple_graph_stabilizations_total',
      help: 'Graph stabilizations (one per input record batch and partition)',
      registers: [r],
    });
    this.graphCutoffs = new Counter({
      name: 'ripple_graph_cutoff_hits_total',
      help: 'Recomputed nodes whose value was unchanged (propagation stopped)',
      registers: [r],
    });
    this.graphNodes = new Gauge({
      name: 'ripple_graph_nodes',
      help: 'Live graph nodes',
      registers: [r],
    });
    this.graphDirty = new Gauge({
      name: 'ripple_graph_dirty_nodes',
      help: 'Dirty graph nodes',
      registers: [r],
    });
    this.graphStabilization = new Histogram({
      name: 'ripple_graph_stabilization_seconds',
      help: 'Time of one pipeline step: window operator + one graph stabilization',
      buckets: [1e-6, 5e-6, 1e-5, 5e-5, 1e-4, 5e-4, 1e-3, 5e-3, 1e-2, 5e-2],
      registers: [r],
    });
    this.graphRecomputes = new Histogram({
      name: 'ripple_graph_recomputes_per_stabilization',
      help: 'Nodes recomputed per stabilization',
      buckets: [0, 1, 10, 100, 1000, 10000],
      registers: [r],
    });
    this.state = new Gauge({
      name: 'ripple_worker_state',
      help: 'Lifecycle state (1 for the current state)',
      labelNames: ['state'],
      registers: [r],
    });
  }

  /**
   * Dead letters by reason code and late events since the process started, as
   * plain numbers: the heartbeat's load carries them to the dashboard.
   */
  readonly diverted: { readonly deadLetters: Map<string, number>; late: number } = {
    deadLetters: new Map(),
    late: 0,
  };

  /** Count one partition's dead letters (by reason) and late events: the counters and `diverted`. */
  countDiverted(partition: number, dead: ReadonlyMap<string, number>, late: number): void {
    for (const [reason, n] of dead) {
      this.deadLetters.inc({ partition, reason }, n);
      this.diverted.deadLetters.set(reason, (this.diverted.deadLetters.get(reason) ?? 0) + n);
    }
    if (late > 0) {
      this.lateEvents.inc({ partition }, late);
      this.diverted.late += late;
    }
  }

  setState(s: WorkerState): void {
    for (const x of WORKER_STATES) this.state.set({ state: x }, x === s ? 1 : 0);
  }
}
