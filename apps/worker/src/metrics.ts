/** Every metric the worker exports, declared once. Names follow the original (`ripple_` prefix). */

import { WORKER_STATES, type WorkerState } from '@ripple/protocol';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export class WorkerMetrics {
  readonly registry = new Registry();
  readonly recordsIn: Counter<'partition'>;
  readonly tradesIn: Counter<'partition'>;
  readonly deltasSent: Counter<'partition'>;
  readonly deltaBytes: Counter<'partition'>;
  readonly deadLetters: Counter<'partition' | 'reason'>;
  readonly dlqTruncated: Counter;
  readonly degraded: Gauge<'dependency'>;
  readonly retries: Counter<'dependency'>;
  readonly cacheWriteFailures: Counter;
  readonly lateEvents: Counter<'partition'>;
  readonly consumerLag: Gauge<'partition'>;
  readonly keys: Gauge<'partition'>;
  readonly watermarkLagMs: Gauge<'partition'>;
  readonly checkpointDuration: Histogram;
  readonly checkpointAge: Gauge;
  readonly checkpointFailures: Counter;
  readonly checkpointWriting: Gauge;
  readonly checkpoints: Counter;
  readonly recoveries: Counter<'source'>;
  readonly snapshotRejected: Counter<'reason'>;
  readonly snapshotFallbacks: Counter;
  readonly recoveryStoreErrors: Counter<'store'>;
  readonly recoveryBlocked: Gauge;
  readonly partitionsFailed: Gauge;
  readonly sinkLatency: Histogram;
  readonly backpressure: Gauge;
  readonly state: Gauge<'state'>;
  readonly graphStabilizations: Counter;
  readonly graphCutoffs: Counter;
  readonly graphNodes: Gauge;
  readonly graphDirty: Gauge;
  readonly graphStabilizationNs: Histogram;
  readonly graphRecomputes: Histogram;

  constructor(workerId: string) {
    const r = this.registry;
    r.setDefaultLabels({ worker: workerId });
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
      name: 'ripple_worker_consumer_lag',
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
    this.watermarkLagMs = new Gauge({
      name: 'ripple_worker_watermark_lag_ms',
      help: 'Wall-clock time minus the partition event-time watermark, in milliseconds',
      labelNames: p,
      registers: [r],
    });
    this.checkpointDuration = new Histogram({
      name: 'ripple_worker_checkpoint_duration_seconds',
      help: 'Time to capture and store a checkpoint of all owned partitions',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [r],
    });
    this.checkpointAge = new Gauge({
      name: 'ripple_worker_checkpoint_age_seconds',
      help: 'Seconds since the last successful checkpoint',
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
      help: 'Time for the sink to acknowledge one batch',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: [r],
    });
    this.backpressure = new Gauge({
      name: 'ripple_transport_backpressure_level',
      help: '1 while a batch waits for the sink to acknowledge it (the worker holds at most two batches), else 0',
      registers: [r],
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
      name: 'ripple_graph_node_count',
      help: 'Live graph nodes',
      registers: [r],
    });
    this.graphDirty = new Gauge({
      name: 'ripple_graph_dirty_count',
      help: 'Dirty graph nodes',
      registers: [r],
    });
    this.graphStabilizationNs = new Histogram({
      name: 'ripple_graph_stabilization_ns',
      help: 'Time of one pipeline step: window operator + one graph stabilization (ns)',
      buckets: [1e3, 5e3, 1e4, 5e4, 1e5, 5e5, 1e6, 5e6, 1e7, 5e7],
      registers: [r],
    });
    this.graphRecomputes = new Histogram({
      name: 'ripple_graph_recompute_count',
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

  setState(s: WorkerState): void {
    for (const x of WORKER_STATES) this.state.set({ state: x }, x === s ? 1 : 0);
  }
}
