/**
 * Wiring of cluster checkpoints (`checkpoint_mode: cluster`) over the
 * worker's control bus (cluster-bus.ts): the S3 object store (or a local
 * directory, `checkpoint_store_dir`) in the checkpointer's layout, the checkpoint participant (answers triggers) and
 * the restore through committed manifests (the worker's `restorer`).
 */
import type { Tracer } from '@opentelemetry/api';
import type { ControlBus } from '@ripple/cluster';
import { DirObjectStore, type ObjectStore, S3ObjectStore } from '@ripple/object-store';
import { checkpointLayout } from '@ripple/protocol';
import { CheckpointParticipant } from './checkpoint-participant.ts';
import { CheckpointRestore } from './checkpoint-restore.ts';
import type { WorkerConfig } from './config.ts';
import type { Job } from './job.ts';
import type { WorkerMetrics } from './metrics.ts';
import { type Clock, type Logger, systemClock } from './ports.ts';

export interface ClusterCheckpoints {
  readonly participant: CheckpointParticipant;
  readonly restorer: CheckpointRestore;
  close(): Promise<void>;
}

export function clusterCheckpoints(o: {
  readonly config: WorkerConfig;
  readonly bus: ControlBus;
  readonly job: () => Job;
  readonly metrics: WorkerMetrics;
  readonly logger: Logger;
  readonly tracer?: Tracer;
  readonly clock?: Clock;
  readonly signal?: AbortSignal;
}): ClusterCheckpoints {
  const cfg = o.config;
  const bus = o.bus;
  // A local directory shared with the checkpointer (the embedded cluster), else S3.
  const store: ObjectStore =
    cfg.checkpointStoreDir !== null
      ? new DirObjectStore(cfg.checkpointStoreDir)
      : new S3ObjectStore({ ...cfg.s3, requestTimeoutMs: 5000 });
  const layout = checkpointLayout(cfg.checkpointPrefix);
  const participant = new CheckpointParticipant({
    cluster: cfg.checkpointCluster,
    workerId: cfg.workerId,
    inputTopic: cfg.inputTopic,
    bus,
    store,
    layout,
    policy: { fullEvery: cfg.checkpointFullEvery, maxIncrementRatio: cfg.checkpointMaxIncrementRatio },
    metrics: o.metrics,
    logger: o.logger,
    clock: o.clock ?? systemClock,
    ...(o.tracer !== undefined ? { tracer: o.tracer } : {}),
  });
  const restorer = new CheckpointRestore({
    cluster: cfg.checkpointCluster,
    job: o.job,
    inputTopic: cfg.inputTopic,
    bus,
    store,
    metrics: o.metrics,
    logger: o.logger,
    onRestored: (p, chain, part) => participant.adopt(p, chain, part),
    ...(o.signal !== undefined ? { signal: o.signal } : {}),
  });
  return {
    participant,
    restorer,
    close: async () => {
      await participant.stop();
      store.close();
    },
  };
}
