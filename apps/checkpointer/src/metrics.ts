/**
 * Every metric the checkpointer exports, declared once (`ripple_checkpoint_`
 * prefix, see docs/metrics.md), plus the process defaults. OpenMetrics, so the
 * trigger-to-commit histogram carries the checkpoint's trace id as exemplar.
 */
import {
  Counter,
  collectDefaultMetrics,
  Gauge,
  Histogram,
  type OpenMetricsContentType,
  Registry,
} from 'prom-client';

export class CheckpointerMetrics {
  readonly registry = new Registry<OpenMetricsContentType>();
  readonly triggered: Counter;
  readonly committed: Counter;
  readonly aborted: Counter<'reason'>;
  readonly commitSeconds: Histogram;
  readonly bytesWritten: Counter<'kind'>;
  readonly lastBytes: Gauge<'kind'>;
  readonly latestCommitted: Gauge;
  readonly latestSeq: Gauge;
  readonly acks: Counter;
  readonly acksRefused: Counter<'reason'>;
  readonly retainedObjects: Gauge;
  readonly retainedBytes: Gauge;
  readonly retainedCheckpoints: Gauge;
  readonly deletedObjects: Counter<'what'>;
  readonly storeErrors: Counter<'op'>;
  readonly corruptObjects: Counter;
  readonly corruptManifests: Gauge;
  readonly lookups: Counter<'status'>;
  readonly badMessages: Counter<'code'>;
  readonly ready: Gauge;
  readonly leader: Gauge;

  constructor(cluster: string) {
    const r = this.registry;
    r.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    r.setDefaultLabels({ cluster });
    collectDefaultMetrics({ register: r });
    const reg = [r];
    this.triggered = new Counter({
      name: 'ripple_checkpoint_triggered_total',
      help: 'Checkpoints triggered',
      registers: reg,
    });
    this.committed = new Counter({
      name: 'ripple_checkpoint_committed_total',
      help: 'Checkpoints committed (manifest durable)',
      registers: reg,
    });
    this.aborted = new Counter({
      name: 'ripple_checkpoint_aborted_total',
      help: 'Checkpoints aborted, never committed, by reason',
      labelNames: ['reason'],
      registers: reg,
    });
    this.commitSeconds = new Histogram({
      name: 'ripple_checkpoint_trigger_to_commit_seconds',
      help: 'Time from trigger to durable manifest',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      enableExemplars: true,
      registers: reg,
    });
    this.bytesWritten = new Counter({
      name: 'ripple_checkpoint_bytes_written_total',
      help: 'Bytes of snapshot objects newly referenced by committed checkpoints, by kind (full, incremental)',
      labelNames: ['kind'],
      registers: reg,
    });
    this.lastBytes = new Gauge({
      name: 'ripple_checkpoint_last_bytes',
      help: 'Bytes newly written by the latest committed checkpoint, by kind (full, incremental)',
      labelNames: ['kind'],
      registers: reg,
    });
    this.latestCommitted = new Gauge({
      name: 'ripple_checkpoint_latest_committed_timestamp_seconds',
      help: 'Unix time of the latest committed checkpoint (age = time() - this)',
      registers: reg,
    });
    this.latestSeq = new Gauge({
      name: 'ripple_checkpoint_latest_seq',
      help: 'Sequence of the latest committed checkpoint',
      registers: reg,
    });
    this.acks = new Counter({
      name: 'ripple_checkpoint_acks_total',
      help: 'Checkpoint acks accepted',
      registers: reg,
    });
    this.acksRefused = new Counter({
      name: 'ripple_checkpoint_acks_refused_total',
      help: 'Checkpoint acks refused, by reason (stale_epoch, not_owner, ...)',
      labelNames: ['reason'],
      registers: reg,
    });
    this.retainedObjects = new Gauge({
      name: 'ripple_checkpoint_retained_objects',
      help: 'Snapshot objects kept after the last retention pass',
      registers: reg,
    });
    this.retainedBytes = new Gauge({
      name: 'ripple_checkpoint_retained_bytes',
      help: 'Bytes of snapshot objects kept after the last retention pass',
      registers: reg,
    });
    this.retainedCheckpoints = new Gauge({
      name: 'ripple_checkpoint_retained_checkpoints',
      help: 'Committed checkpoints kept',
      registers: reg,
    });
    this.deletedObjects = new Counter({
      name: 'ripple_checkpoint_deleted_total',
      help: 'Objects deleted by retention (what: manifest, snapshot)',
      labelNames: ['what'],
      registers: reg,
    });
    this.storeErrors = new Counter({
      name: 'ripple_checkpoint_store_errors_total',
      help: 'Object store operations that failed (retried), by operation',
      labelNames: ['op'],
      registers: reg,
    });
    this.corruptObjects = new Counter({
      name: 'ripple_checkpoint_corrupt_objects_total',
      help: 'Snapshot objects that failed size/CRC verification on a restore lookup',
      registers: reg,
    });
    this.corruptManifests = new Gauge({
      name: 'ripple_checkpoint_corrupt_manifests',
      help: 'Manifests in the store that do not decode',
      registers: reg,
    });
    this.lookups = new Counter({
      name: 'ripple_checkpoint_restore_lookups_total',
      help: 'Restore lookups answered, by status (ok, none, unavailable)',
      labelNames: ['status'],
      registers: reg,
    });
    this.badMessages = new Counter({
      name: 'ripple_checkpoint_bad_messages_total',
      help: 'Messages refused at the boundary, by error code',
      labelNames: ['code'],
      registers: reg,
    });
    this.leader = new Gauge({
      name: 'ripple_checkpoint_leader',
      help: '1 while this replica holds the checkpointer lease (or runs without HA)',
      registers: reg,
    });
    this.ready = new Gauge({
      name: 'ripple_checkpoint_ready',
      help: '1 when the checkpointer is ready',
      registers: reg,
    });
  }
}
