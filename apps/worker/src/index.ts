/**
 * Public entry of the worker runtime, for embedding it (the local cluster,
 * benches, end-to-end harnesses) and for the cluster agent that drives
 * `assign`/`revoke`. The process itself is `main.ts`.
 */

export { ConfigError } from '@ripple/config';
export { FileSink, FileSource } from './adapters/file.ts';
export { KafkaSink, KafkaSource } from './adapters/kafka.ts';
export {
  isProducerFenced,
  KafkaTransactionalSink,
  type KafkaTransactionalSinkOptions,
} from './adapters/kafka-transactional-sink.ts';
export { LocalSnapshotStore } from './adapters/local-snapshot-store.ts';
export { MemorySink, MemorySnapshotStore, MemorySource, MemoryTopic } from './adapters/memory.ts';
export { S3SnapshotStore } from './adapters/s3-snapshot-store.ts';
export {
  type CheckpointHost,
  CheckpointParticipant,
  type CheckpointParticipantOptions,
} from './checkpoint-participant.ts';
export { CheckpointRestore, type CheckpointRestoreOptions } from './checkpoint-restore.ts';
export { WorkerPartitionHost, type WorkerPartitionHostOptions } from './cluster-host.ts';
export { type ClusterMember, type ClusterMemberOptions, joinCluster } from './cluster-member.ts';
export { loadConfig, readConfig, type WorkerConfig } from './config.ts';
export {
  CheckpointNotStoredError,
  FencedError,
  SnapshotCorruptError,
  SnapshotStoreUnavailableError,
  WorkerError,
  type WorkerErrorCode,
} from './errors.ts';
export type { DeadLetter, Job, JobFactory, JobPartition } from './job.ts';
export { PARTITION_STATE_SCHEMA, VWAP_OUTPUT_SCHEMA } from './jobs/vwap/schemas.ts';
export { vwapJob } from './jobs/vwap/vwap-job.ts';
export { Lifecycle } from './lifecycle.ts';
export { WorkerMetrics } from './metrics.ts';
export type {
  Clock,
  Logger,
  OutputClaims,
  PartitionStart,
  RecordSink,
  RecordSource,
  SinkRecord,
  SnapshotStore,
  SourceRecord,
  StoredSnapshot,
} from './ports.ts';
export { silentLogger, systemClock } from './ports.ts';
export { type PartitionHandoff, Worker, type WorkerDeps } from './worker.ts';
