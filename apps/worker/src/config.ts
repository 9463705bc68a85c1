/**
 * Worker configuration: typed options with documented defaults, loaded from
 * the environment and an optional JSON file (`RIPPLE_CONFIG_FILE`; environment
 * wins). Every invalid value fails start-up with a `ConfigError` naming the key.
 */
import { readFileSync } from 'node:fs';
import { parseDuration } from '@ripple/stream';
import { ConfigError } from './errors.ts';

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

type Env = Readonly<Record<string, string | undefined>>;

/** Raw value of `key`: environment variable first, then the config file (snake_case key). */
function lookup(env: Env, file: Record<string, unknown>, envName: string, key: string): string | undefined {
  const e = env[envName];
  if (e !== undefined && e !== '') return e;
  const f = file[key];
  if (f === undefined || f === null) return undefined;
  return typeof f === 'string' ? f : JSON.stringify(f);
}

export function loadConfig(env: Env = process.env): WorkerConfig {
  let file: Record<string, unknown> = {};
  const path = env.RIPPLE_CONFIG_FILE;
  if (path !== undefined && path !== '') {
    try {
      const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        throw new Error('not a JSON object');
      }
      file = parsed as Record<string, unknown>;
    } catch (e) {
      throw new ConfigError('RIPPLE_CONFIG_FILE', `cannot read ${path}: ${(e as Error).message}`);
    }
  }
  const get = (envName: string, key: string) => lookup(env, file, envName, key);

  const str = (envName: string, key: string, dflt: string | null): string => {
    const v = get(envName, key) ?? dflt;
    if (v === null) throw new ConfigError(key, `required (set ${envName})`);
    return v;
  };
  const int = (envName: string, key: string, dflt: number, min: number, max: number): number => {
    const raw = get(envName, key);
    if (raw === undefined) return dflt;
    if (!/^-?\d+$/.test(raw.trim())) throw new ConfigError(key, `${JSON.stringify(raw)} is not an integer`);
    const v = Number(raw);
    if (v < min || v > max) throw new ConfigError(key, `${v} is outside [${min}, ${max}]`);
    return v;
  };
  const oneOf = <T extends string>(envName: string, key: string, dflt: T, allowed: readonly T[]): T => {
    const v = get(envName, key) ?? dflt;
    if (!(allowed as readonly string[]).includes(v)) {
      throw new ConfigError(key, `${JSON.stringify(v)} is not one of ${allowed.join(', ')}`);
    }
    return v as T;
  };
  const bool = (envName: string, key: string, dflt: boolean): boolean => {
    const raw = get(envName, key);
    if (raw === undefined) return dflt;
    if (raw === 'true' || raw === '1') return true;
    if (raw === 'false' || raw === '0') return false;
    throw new ConfigError(key, `${JSON.stringify(raw)} is not true/false (set ${envName})`);
  };
  const seconds = (envName: string, key: string, dflt: number, min: number, max: number): number => {
    const raw = get(envName, key);
    if (raw === undefined) return dflt;
    if (!/^\d+(\.\d+)?$/.test(raw.trim()))
      throw new ConfigError(key, `${JSON.stringify(raw)} is not a number of seconds (set ${envName})`);
    const v = Number(raw);
    if (v < min || v > max) throw new ConfigError(key, `${v} is outside [${min}, ${max}] (set ${envName})`);
    return v;
  };
  const duration = (envName: string, key: string, dflt: string): bigint => {
    const raw = get(envName, key) ?? dflt;
    let ns: bigint;
    try {
      ns = parseDuration(raw, key);
    } catch (e) {
      throw new ConfigError(key, (e as Error).message);
    }
    if (ns < 0n) throw new ConfigError(key, 'must not be negative');
    return ns;
  };

  const workerId = str('RIPPLE_WORKER_ID', 'worker_id', env.HOSTNAME ?? null);
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(workerId)) {
    throw new ConfigError('worker_id', `${JSON.stringify(workerId)} must be 1-63 of [A-Za-z0-9._-]`);
  }
  const source = oneOf<SourceKind>('RIPPLE_SOURCE', 'source', 'kafka', ['kafka', 'memory', 'file', 'log']);
  // `log`: the embedded cluster's partitioned log on local files (`pnpm start`, @ripple/cluster-local)
  const logDir = get('RIPPLE_LOG_DIR', 'log_dir') ?? null;
  if (source === 'log' && logDir === null)
    throw new ConfigError('log_dir', 'required when source is log (set RIPPLE_LOG_DIR)');
  const inputDir = get('RIPPLE_INPUT_DIR', 'input_dir') ?? null;
  const outputDir = get('RIPPLE_OUTPUT_DIR', 'output_dir') ?? null;
  if (source === 'file' && inputDir === null)
    throw new ConfigError('input_dir', 'required when source is file');
  if (source === 'file' && outputDir === null)
    throw new ConfigError('output_dir', 'required when source is file');
  const snapshotStore = oneOf<SnapshotStoreKind>('RIPPLE_SNAPSHOT_STORE', 'snapshot_store', 's3', [
    's3',
    'local',
    'memory',
  ]);
  const brokersRaw = get('KAFKA_BROKERS', 'kafka_brokers');
  if (source === 'kafka' && brokersRaw === undefined) {
    throw new ConfigError('kafka_brokers', 'required when source is kafka (set KAFKA_BROKERS)');
  }
  const kafkaBrokers = (brokersRaw ?? '')
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b !== '');
  for (const b of kafkaBrokers) {
    if (!/^[^:\s]+:\d{1,5}$/.test(b))
      throw new ConfigError('kafka_brokers', `${JSON.stringify(b)} is not host:port`);
  }
  const numPartitions = int('RIPPLE_NUM_PARTITIONS', 'num_partitions', 128, 1, 100_000);
  const cluster = get('RIPPLE_CLUSTER', 'cluster') ?? null;
  if (cluster !== null && !/^[A-Za-z0-9_-]{1,64}$/.test(cluster))
    throw new ConfigError(
      'cluster',
      `${JSON.stringify(cluster)} is not [A-Za-z0-9_-]{1,64} (set RIPPLE_CLUSTER)`,
    );
  const partitionsRaw = get('RIPPLE_PARTITIONS', 'partitions');
  if (cluster !== null && partitionsRaw !== undefined)
    throw new ConfigError(
      'partitions',
      'not used in cluster mode: the coordinator assigns partitions (unset RIPPLE_PARTITIONS or RIPPLE_CLUSTER)',
    );
  const partitions = cluster !== null ? [] : parsePartitions(partitionsRaw ?? '0', numPartitions);
  const natsUrl = get('NATS_URL', 'nats_url') ?? null;
  if (cluster !== null && natsUrl === null)
    throw new ConfigError('nats_url', 'required in cluster mode (set NATS_URL)');
  // `ripple-hub:<socket>`: the embedded cluster's hub (`pnpm start`, @ripple/cluster-local) instead of NATS
  for (const u of natsUrl?.startsWith('ripple-hub:/') ? [] : (natsUrl?.split(',') ?? [])) {
    if (!/^(nats|tls|ws|wss):\/\/[^\s]+$/.test(u.trim()))
      throw new ConfigError('nats_url', `${JSON.stringify(u)} is not a nats:// URL (set NATS_URL)`);
  }
  const outputFencing = oneOf<'transactional' | 'none'>(
    'RIPPLE_OUTPUT_FENCING',
    'output_fencing',
    cluster !== null && source === 'kafka' ? 'transactional' : 'none',
    ['transactional', 'none'],
  );
  if (outputFencing === 'transactional' && source !== 'kafka')
    throw new ConfigError(
      'output_fencing',
      'transactional needs source kafka (set RIPPLE_OUTPUT_FENCING=none)',
    );
  const heartbeatIntervalSec = seconds(
    'RIPPLE_HEARTBEAT_INTERVAL_SEC',
    'heartbeat_interval_sec',
    5,
    0.01,
    3600,
  );
  const failureDetectionTimeoutSec = seconds(
    'RIPPLE_FAILURE_DETECTION_TIMEOUT_SEC',
    'failure_detection_timeout_sec',
    30,
    0.02,
    86_400,
  );
  if (failureDetectionTimeoutSec <= heartbeatIntervalSec) {
    throw new ConfigError(
      'failure_detection_timeout_sec',
      `${failureDetectionTimeoutSec} must exceed heartbeat_interval_sec (${heartbeatIntervalSec})`,
    );
  }
  const windowNs = duration('RIPPLE_WINDOW', 'window', '60s');
  if (windowNs === 0n) throw new ConfigError('window', 'must be positive');
  const port = (envName: string, key: string, dflt: number) => int(envName, key, dflt, 0, 65_535);
  const s3Endpoint = get('S3_ENDPOINT', 's3_endpoint') ?? null;
  if (s3Endpoint !== null && !/^https?:\/\/[^\s]+$/.test(s3Endpoint)) {
    throw new ConfigError('s3_endpoint', `${JSON.stringify(s3Endpoint)} is not an http(s) URL`);
  }
  const bucket = str('S3_BUCKET', 's3_bucket', 'ripple-checkpoints');
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    throw new ConfigError('s3_bucket', `${JSON.stringify(bucket)} is not a valid bucket name`);
  }
  const otlp = get('OTEL_EXPORTER_OTLP_ENDPOINT', 'otlp_endpoint') ?? null;
  if (otlp !== null && !/^https?:\/\/[^\s]+$/.test(otlp)) {
    throw new ConfigError('otlp_endpoint', `${JSON.stringify(otlp)} is not an http(s) URL`);
  }
  const checkpointMode = oneOf<'worker' | 'cluster'>('RIPPLE_CHECKPOINT_MODE', 'checkpoint_mode', 'worker', [
    'worker',
    'cluster',
  ]);
  const checkpointCluster = str('RIPPLE_CHECKPOINT_CLUSTER', 'checkpoint_cluster', cluster ?? 'ripple');
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(checkpointCluster))
    throw new ConfigError(
      'checkpoint_cluster',
      `${JSON.stringify(checkpointCluster)} is not [A-Za-z0-9_-]{1,64} (set RIPPLE_CHECKPOINT_CLUSTER)`,
    );
  if (checkpointMode === 'cluster' && natsUrl === null)
    throw new ConfigError('nats_url', 'required when checkpoint_mode is cluster (set NATS_URL)');
  const ratioRaw = get('RIPPLE_CHECKPOINT_MAX_INCREMENT_RATIO', 'checkpoint_max_increment_ratio') ?? '1';
  const checkpointMaxIncrementRatio = Number(ratioRaw);
  if (!/^\d+(\.\d+)?$/.test(ratioRaw.trim()) || !(checkpointMaxIncrementRatio > 0))
    throw new ConfigError(
      'checkpoint_max_increment_ratio',
      `${JSON.stringify(ratioRaw)} is not a positive number (set RIPPLE_CHECKPOINT_MAX_INCREMENT_RATIO)`,
    );
  const topic = (envName: string, key: string, dflt: string) => {
    const t = str(envName, key, dflt);
    if (!/^[A-Za-z0-9._-]{1,249}$/.test(t))
      throw new ConfigError(key, `${JSON.stringify(t)} is not a valid topic`);
    return t;
  };

  return {
    workerId,
    source,
    snapshotStore,
    kafkaBrokers,
    inputTopic: topic('RIPPLE_INPUT_TOPIC', 'input_topic', 'trades'),
    outputTopic: topic('RIPPLE_OUTPUT_TOPIC', 'output_topic', 'vwap-output'),
    dlqTopic: topic('RIPPLE_DLQ_TOPIC', 'dlq_topic', 'trades-dlq'),
    partitions,
    cluster,
    natsUrl,
    outputFencing,
    numPartitions,
    maxKeysPerPartition: int('RIPPLE_MAX_KEYS_PER_PARTITION', 'max_keys_per_partition', 2000, 1, 10_000_000),
    checkpointIntervalSec: int('RIPPLE_CHECKPOINT_INTERVAL_SEC', 'checkpoint_interval_sec', 10, 1, 86_400),
    heartbeatIntervalSec,
    failureDetectionTimeoutSec,
    epoch: int('RIPPLE_EPOCH', 'epoch', 1, 0, Number.MAX_SAFE_INTEGER),
    windowNs,
    allowedLatenessNs: duration('RIPPLE_LATENESS', 'allowed_lateness', '0s'),
    outOfOrdernessNs: duration('RIPPLE_OUT_OF_ORDERNESS', 'out_of_orderness', '0s'),
    startPosition: oneOf<'earliest' | 'latest'>('RIPPLE_START_POSITION', 'start_position', 'earliest', [
      'earliest',
      'latest',
    ]),
    maxBatchRecords: int('RIPPLE_MAX_BATCH_RECORDS', 'max_batch_records', 5000, 1, 1_000_000),
    s3: {
      endpoint: s3Endpoint,
      region: str('S3_REGION', 's3_region', 'us-east-1'),
      bucket,
      accessKeyId: get('S3_ACCESS_KEY_ID', 's3_access_key_id') ?? null,
      secretAccessKey: get('S3_SECRET_ACCESS_KEY', 's3_secret_access_key') ?? null,
      prefix: str('RIPPLE_S3_PREFIX', 's3_prefix', 'checkpoints'),
    },
    checkpointCacheDir: get('RIPPLE_CHECKPOINT_CACHE_DIR', 'checkpoint_cache_dir') ?? null,
    inputDir,
    logDir,
    outputDir,
    host: str('RIPPLE_HOST', 'host', '127.0.0.1'),
    healthPort: port('RIPPLE_HEALTH_PORT', 'health_port', 9100),
    metricsPort: port('RIPPLE_METRICS_PORT', 'metrics_port', 9102),
    otlpEndpoint: otlp,
    shutdownGraceSec: int('RIPPLE_SHUTDOWN_GRACE_SEC', 'shutdown_grace_sec', 25, 1, 3600),
    maxFutureNs: duration('RIPPLE_MAX_FUTURE', 'max_future', '1h'),
    maxMessageBytes: int('RIPPLE_MAX_MESSAGE_BYTES', 'max_message_bytes', 1_000_000, 65_536, 100_000_000),
    syntheticEvents: int('RIPPLE_SYNTHETIC_EVENTS', 'synthetic_events', 200_000, 0, 100_000_000),
    keepSnapshots: int('RIPPLE_KEEP_SNAPSHOTS', 'keep_snapshots', 3, 1, 1000),
    recoveryAllowReset: bool('RIPPLE_RECOVERY_ALLOW_RESET', 'recovery_allow_reset', false),
    checkpointMode,
    checkpointCluster,
    checkpointPrefix: str(
      'RIPPLE_CHECKPOINT_PREFIX',
      'checkpoint_prefix',
      `checkpoints/${checkpointCluster}`,
    ),
    checkpointStoreDir: get('RIPPLE_CHECKPOINT_STORE_DIR', 'checkpoint_store_dir') ?? null,
    checkpointFullEvery: int('RIPPLE_CHECKPOINT_FULL_EVERY', 'checkpoint_full_every', 10, 0, 1000),
    checkpointMaxIncrementRatio,
  };
}

/** "0-3,8,10-11" -> [0,1,2,3,8,10,11], each < numPartitions, no duplicates. */
export function parsePartitions(text: string, numPartitions: number): number[] {
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const p = part.trim();
    const m = /^(\d+)(?:-(\d+))?$/.exec(p);
    if (m === null) throw new ConfigError('partitions', `${JSON.stringify(p)} is not N or N-M`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo) throw new ConfigError('partitions', `range ${p} is empty`);
    if (hi >= numPartitions) {
      throw new ConfigError('partitions', `partition ${hi} is not below num_partitions (${numPartitions})`);
    }
    for (let i = lo; i <= hi; i++) {
      if (out.has(i)) throw new ConfigError('partitions', `partition ${i} listed twice`);
      out.add(i);
    }
  }
  return [...out].sort((a, b) => a - b);
}
