/**
 * Worker configuration: its keys are declared in @ripple/config
 * (`workerSchema`; reference in docs/config.md), loaded from the environment
 * and the optional JSON file `RIPPLE_CONFIG_FILE` (environment wins). Every
 * invalid value, and any misspelled RIPPLE_* variable, fails start-up with a
 * ConfigError naming the key and its environment variable. The cross-key
 * rules (required when, must exceed, not in cluster mode) are here.
 */
import {
  type ConfigValues,
  type Env,
  invalid,
  type LoadedConfig,
  loadConfig as load,
  workerSchema,
} from '@ripple/config';
import { parseDuration } from '@ripple/stream';

export type SourceKind = 'kafka' | 'memory' | 'file' | 'log';
export type SnapshotStoreKind = 's3' | 'local' | 'memory';

export interface WorkerConfig {
  /** Stable worker identity (the pod name in Kubernetes). */
  readonly workerId: string;
  readonly source: SourceKind;
  readonly snapshotStore: SnapshotStoreKind;
  readonly kafkaBrokers: readonly string[];
  readonly inputTopic: string;
  readonly outputTopic: string;
  readonly dlqTopic: string;
  /** Partitions this worker owns (single-worker mode; empty in cluster mode, where the coordinator assigns them). */
  readonly partitions: readonly number[];
  /**
   * Cluster name (`RIPPLE_CLUSTER`): when set the worker joins that cluster
   * over the control bus (registers, heartbeats, takes and gives partitions
   * at runtime) instead of owning `partitions`.
   */
  readonly cluster: string | null;
  /** NATS servers of the control bus (cluster mode). */
  readonly natsUrl: string | null;
  /**
   * `transactional`: one Kafka transactional producer per owned partition, so
   * a new owner fences a previous one's output (default in cluster mode with
   * Kafka); `none`: one idempotent producer (default otherwise).
   */
  readonly outputFencing: 'transactional' | 'none';
  readonly numPartitions: number;
  readonly maxKeysPerPartition: number;
  readonly checkpointIntervalSec: number;
  /** Seconds between heartbeats (cluster mode; fractions allowed for tests). */
  readonly heartbeatIntervalSec: number;
  /** Seconds of silence after which the coordinator declares a worker dead (must exceed the heartbeat). */
  readonly failureDetectionTimeoutSec: number;
  /** Assignment epoch written into checkpoints and output; a stale epoch is fenced. */
  readonly epoch: number;
  readonly windowNs: bigint;
  readonly allowedLatenessNs: bigint;
  readonly outOfOrdernessNs: bigint;
  /** Where to start a partition that has no checkpoint. */
  readonly startPosition: 'earliest' | 'latest';
  readonly maxBatchRecords: number;
  readonly s3: {
    readonly endpoint: string | null;
    readonly region: string;
    readonly bucket: string;
    readonly accessKeyId: string | null;
    readonly secretAccessKey: string | null;
    readonly prefix: string;
  };
  readonly checkpointCacheDir: string | null;
  /** File mode: `<inputDir>/<input_topic>-p<N>.csv` in, `<outputDir>/<topic>-p<N>.ndjson` out. */
  readonly inputDir: string | null;
  /** Log mode (`source` log): the partitioned log's directory, `<logDir>/<topic>/<partition>.log`. */
  readonly logDir: string | null;
  readonly outputDir: string | null;
  readonly host: string;
  readonly healthPort: number;
  readonly metricsPort: number;
  readonly otlpEndpoint: string | null;
  readonly shutdownGraceSec: number;
  /** Trades further than this ahead of their record's log time are dead-lettered (`future_timestamp`). */
  readonly maxFutureNs: bigint;
  /** Largest record the worker writes (the broker's `message.max.bytes`); bigger output is split or truncated. */
  readonly maxMessageBytes: number;
  /** Embedded mode (`source` memory): trades in the synthetic input stream. */
  readonly syntheticEvents: number;
  /** Snapshots kept per partition in the store (recovery falls back through them). */
  readonly keepSnapshots: number;
  /**
   * When every snapshot of a partition is unusable (corrupt, missing,
   * incompatible), start it empty from `start_position` instead of refusing
   * to start it. Off by default: a reset restarts output sequence numbers.
   */
  readonly recoveryAllowReset: boolean;
  /**
   * `worker`: the worker snapshots its partitions itself every
   * `checkpoint_interval_sec` into `snapshot_store` and restores from there.
   * `cluster`: the checkpointer (apps/checkpointer) triggers checkpoints over
   * NATS; snapshots go to S3 in its layout (`checkpoint_prefix`); partitions
   * are restored only through its committed manifests (restore lookup).
   */
  readonly checkpointMode: 'worker' | 'cluster';
  /**
   * The checkpointer's cluster name (its `RIPPLE_CLUSTER`: NATS subjects
   * `ripple.<cluster>.checkpoint.*`): `RIPPLE_CHECKPOINT_CLUSTER`, else
   * `RIPPLE_CLUSTER`, else `ripple` (a worker with static partitions can use
   * cluster checkpoints without joining a coordinated cluster).
   */
  readonly checkpointCluster: string;
  /** Key prefix of the checkpointer's layout in `s3_bucket` (its `RIPPLE_S3_PREFIX`). */
  readonly checkpointPrefix: string;
  /**
   * Cluster checkpoints in this local directory instead of S3 (the
   * checkpointer's `RIPPLE_STORE=dir` + `RIPPLE_STORE_DIR`: the embedded
   * cluster of `pnpm start`); null: `s3_bucket`.
   */
  readonly checkpointStoreDir: string | null;
  /** A full snapshot after this many increments (K). */
  readonly checkpointFullEvery: number;
  /** A full snapshot when a chain's increments exceed this multiple of its base's bytes. */
  readonly checkpointMaxIncrementRatio: number;
}

type Keys = typeof workerSchema.keys;

/** The loaded keys (with their sources, for --print-config) and the worker's options. */
export function readConfig(env: Env = process.env): { loaded: LoadedConfig<Keys>; config: WorkerConfig } {
  const loaded = load(workerSchema, env);
  const v: ConfigValues<Keys> = loaded.values;
  const k = workerSchema.keys;
  const { source, cluster, natsUrl } = v;
  const ns = (key: (typeof workerSchema.keys)['window'], text: string): bigint => {
    try {
      return parseDuration(text, key.key);
    } catch (e) {
      throw invalid(key, (e as Error).message);
    }
  };
  const windowNs = ns(k.window, v.window);
  if (windowNs === 0n) throw invalid(k.window, 'must be positive');
  if (source === 'log' && v.logDir === null) throw invalid(k.logDir, 'required when source is log');
  if (source === 'file' && v.inputDir === null) throw invalid(k.inputDir, 'required when source is file');
  if (source === 'file' && v.outputDir === null) throw invalid(k.outputDir, 'required when source is file');
  if (source === 'kafka' && v.kafkaBrokers === null)
    throw invalid(k.kafkaBrokers, 'required when source is kafka');
  if (cluster !== null && v.partitions !== null)
    throw invalid(
      k.partitions,
      'not used in cluster mode: the coordinator assigns partitions (unset RIPPLE_PARTITIONS or RIPPLE_CLUSTER)',
    );
  const partitions = cluster !== null ? [] : parsePartitions(v.partitions ?? '0', v.numPartitions);
  if (cluster !== null && natsUrl === null) throw invalid(k.natsUrl, 'required in cluster mode');
  if (v.outputFencing === 'transactional' && source !== 'kafka')
    throw invalid(k.outputFencing, 'transactional needs source kafka (set RIPPLE_OUTPUT_FENCING=none)');
  if (v.failureDetectionTimeoutSec <= v.heartbeatIntervalSec)
    throw invalid(
      k.failureDetectionTimeoutSec,
      `${v.failureDetectionTimeoutSec} must exceed heartbeat_interval_sec (${v.heartbeatIntervalSec})`,
    );
  if (v.checkpointMode === 'cluster' && natsUrl === null)
    throw invalid(k.natsUrl, 'required when checkpoint_mode is cluster');
  const config: WorkerConfig = {
    workerId: v.workerId,
    source,
    snapshotStore: v.snapshotStore,
    kafkaBrokers: v.kafkaBrokers ?? [],
    inputTopic: v.inputTopic,
    outputTopic: v.outputTopic,
    dlqTopic: v.dlqTopic,
    partitions,
    cluster,
    natsUrl,
    outputFencing: v.outputFencing,
    numPartitions: v.numPartitions,
    maxKeysPerPartition: v.maxKeysPerPartition,
    checkpointIntervalSec: v.checkpointIntervalSec,
    heartbeatIntervalSec: v.heartbeatIntervalSec,
    failureDetectionTimeoutSec: v.failureDetectionTimeoutSec,
    epoch: v.epoch,
    windowNs,
    allowedLatenessNs: ns(k.allowedLateness, v.allowedLateness),
    outOfOrdernessNs: ns(k.outOfOrderness, v.outOfOrderness),
    startPosition: v.startPosition,
    maxBatchRecords: v.maxBatchRecords,
    s3: {
      endpoint: v.s3Endpoint,
      region: v.s3Region,
      bucket: v.s3Bucket,
      accessKeyId: v.s3AccessKeyId,
      secretAccessKey: v.s3SecretAccessKey,
      prefix: v.s3Prefix,
    },
    checkpointCacheDir: v.checkpointCacheDir,
    inputDir: v.inputDir,
    logDir: v.logDir,
    outputDir: v.outputDir,
    host: v.host,
    healthPort: v.healthPort,
    metricsPort: v.metricsPort,
    otlpEndpoint: v.otlpEndpoint,
    shutdownGraceSec: v.shutdownGraceSec,
    maxFutureNs: ns(k.maxFuture, v.maxFuture),
    maxMessageBytes: v.maxMessageBytes,
    syntheticEvents: v.syntheticEvents,
    keepSnapshots: v.keepSnapshots,
    recoveryAllowReset: v.recoveryAllowReset,
    checkpointMode: v.checkpointMode,
    checkpointCluster: v.checkpointCluster,
    checkpointPrefix: v.checkpointPrefix,
    checkpointStoreDir: v.checkpointStoreDir,
    checkpointFullEvery: v.checkpointFullEvery,
    checkpointMaxIncrementRatio: v.checkpointMaxIncrementRatio,
  };
  return { loaded, config };
}

export function loadConfig(env: Env = process.env): WorkerConfig {
  return readConfig(env).config;
}

/** "0-3,8,10-11" -> [0,1,2,3,8,10,11], each < numPartitions, no duplicates. */
export function parsePartitions(text: string, numPartitions: number): number[] {
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const p = part.trim();
    const m = /^(\d+)(?:-(\d+))?$/.exec(p);
    if (m === null) throw invalid(workerSchema.keys.partitions, `${JSON.stringify(p)} is not N or N-M`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo) throw invalid(workerSchema.keys.partitions, `range ${p} is empty`);
    if (hi >= numPartitions) {
      throw invalid(
        workerSchema.keys.partitions,
        `partition ${hi} is not below num_partitions (${numPartitions})`,
      );
    }
    for (let i = lo; i <= hi; i++) {
      if (out.has(i)) throw invalid(workerSchema.keys.partitions, `partition ${i} listed twice`);
      out.add(i);
    }
  }
  return [...out].sort((a, b) => a - b);
}
