/**
 * Checkpointer configuration: typed options with documented defaults, from
 * the environment. Every invalid value stops start-up with a ConfigError
 * naming the key and its environment variable.
 *
 * | key | variable | default |
 * |---|---|---|
 * | cluster | RIPPLE_CLUSTER | ripple |
 * | checkpoint_interval_sec | RIPPLE_CHECKPOINT_INTERVAL_SEC | 10 |
 * | checkpoint_timeout_sec (acks) | RIPPLE_CHECKPOINT_TIMEOUT_SEC | 10 |
 * | commit_timeout_sec | RIPPLE_COMMIT_TIMEOUT_SEC | 30 |
 * | checkpoints_retained | RIPPLE_CHECKPOINTS_RETAINED | 5 |
 * | static_partitions (0: follow the coordinator's assignment) | RIPPLE_STATIC_PARTITIONS | 0 |
 * | static_epoch | RIPPLE_STATIC_EPOCH | 0 |
 * | store (s3, dir, memory) | RIPPLE_STORE | s3 |
 * | store_dir | RIPPLE_STORE_DIR | (required for dir) |
 * | s3_prefix | RIPPLE_S3_PREFIX | checkpoints/<cluster> |
 * | s3_endpoint, s3_region, s3_bucket | S3_ENDPOINT, S3_REGION, S3_BUCKET | AWS, us-east-1, (required for s3) |
 * | s3 credentials | S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY | SDK default chain |
 * | s3_request_timeout_ms | RIPPLE_S3_REQUEST_TIMEOUT_MS | 5000 |
 * | nats_url (or `ripple-hub:<socket>`: the embedded cluster's hub, `pnpm start`) | NATS_URL | nats://127.0.0.1:4222 (bus memory: none) |
 * | NATS credentials | RIPPLE_NATS_USER + RIPPLE_NATS_PASSWORD(_FILE), RIPPLE_NATS_TOKEN(_FILE), RIPPLE_NATS_NKEY_SEED_FILE, RIPPLE_NATS_CREDS_FILE (as the coordinator's: @ripple/cluster-nats) | none |
 * | bus (nats, memory) | RIPPLE_BUS | nats |
 * | ha (off, lease: one active replica through a JetStream KV lease) | RIPPLE_HA | off |
 * | instance_id (lease holder id) | RIPPLE_INSTANCE_ID | HOSTNAME + random |
 * | lease_ttl_ms | RIPPLE_LEASE_TTL_MS | 10000 |
 * | host | RIPPLE_HOST | 0.0.0.0 |
 * | health_port | RIPPLE_HEALTH_PORT | 9301 |
 * | metrics_port | RIPPLE_METRICS_PORT | 9302 |
 */
import { ConfigError } from './errors.ts';

export interface CheckpointerConfig {
  readonly cluster: string;
  readonly checkpointIntervalSec: number;
  readonly checkpointTimeoutSec: number;
  readonly commitTimeoutSec: number;
  readonly checkpointsRetained: number;
  readonly staticPartitions: number;
  readonly staticEpoch: number;
  readonly store: 's3' | 'dir' | 'memory';
  readonly storeDir: string | null;
  readonly prefix: string;
  readonly s3: {
    readonly endpoint: string | null;
    readonly region: string;
    readonly bucket: string | null;
    readonly accessKeyId: string | null;
    readonly secretAccessKey: string | null;
    readonly requestTimeoutMs: number;
  };
  readonly bus: 'nats' | 'memory';
  readonly natsUrl: string;
  readonly ha: 'off' | 'lease';
  readonly instanceId: string;
  readonly leaseTtlMs: number;
  readonly host: string;
  readonly healthPort: number;
  readonly metricsPort: number;
}

type Env = Readonly<Record<string, string | undefined>>;

export function loadConfig(env: Env = process.env): CheckpointerConfig {
  const raw = (v: string) => {
    const x = env[v];
    return x === undefined || x === '' ? undefined : x;
  };
  const str = (v: string, dflt: string) => raw(v) ?? dflt;
  const num = (key: string, v: string, dflt: number, min: number, max: number, integer = true): number => {
    const x = raw(v);
    if (x === undefined) return dflt;
    const n = Number(x.trim());
    if (x.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n)))
      throw new ConfigError(key, v, `${JSON.stringify(x)} is not ${integer ? 'an integer' : 'a number'}`);
    if (n < min || n > max) throw new ConfigError(key, v, `${n} is outside [${min}, ${max}]`);
    return n;
  };
  const oneOf = <const T extends string>(key: string, v: string, dflt: T, allowed: readonly T[]): T => {
    const x = raw(v) ?? dflt;
    if (!allowed.includes(x as T))
      throw new ConfigError(key, v, `${JSON.stringify(x)} is not one of ${allowed.join(', ')}`);
    return x as T;
  };

  const cluster = str('RIPPLE_CLUSTER', 'ripple');
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(cluster))
    throw new ConfigError(
      'cluster',
      'RIPPLE_CLUSTER',
      `${JSON.stringify(cluster)} is not [A-Za-z0-9_-]{1,64}`,
    );
  const store = oneOf('store', 'RIPPLE_STORE', 's3', ['s3', 'dir', 'memory'] as const);
  const storeDir = raw('RIPPLE_STORE_DIR') ?? null;
  if (store === 'dir' && storeDir === null)
    throw new ConfigError('store_dir', 'RIPPLE_STORE_DIR', 'required when store is dir');
  const bucket = raw('S3_BUCKET') ?? null;
  if (store === 's3' && bucket === null)
    throw new ConfigError('s3_bucket', 'S3_BUCKET', 'required when store is s3');
  const endpoint = raw('S3_ENDPOINT') ?? null;
  if (endpoint !== null && !/^https?:\/\/[^\s/]+/.test(endpoint))
    throw new ConfigError('s3_endpoint', 'S3_ENDPOINT', `${JSON.stringify(endpoint)} is not an http(s) URL`);
  const prefix = str('RIPPLE_S3_PREFIX', `checkpoints/${cluster}`);
  if (/^\/|\/\/|\\|(^|\/)\.\.?(\/|$)/.test(prefix))
    throw new ConfigError(
      's3_prefix',
      'RIPPLE_S3_PREFIX',
      `${JSON.stringify(prefix)} is not a clean key prefix`,
    );
  const natsUrl = str('NATS_URL', 'nats://127.0.0.1:4222');
  // `ripple-hub:<socket>`: the embedded cluster's hub (`pnpm start`, @ripple/cluster-local) instead of NATS
  if (!natsUrl.startsWith('ripple-hub:/') && !/^(nats|tls|ws|wss):\/\/\S+$/.test(natsUrl.split(',')[0] ?? ''))
    throw new ConfigError('nats_url', 'NATS_URL', `${JSON.stringify(natsUrl)} is not a nats:// URL`);
  const ha = oneOf('ha', 'RIPPLE_HA', 'off', ['off', 'lease'] as const);
  if (ha === 'lease' && oneOf('bus', 'RIPPLE_BUS', 'nats', ['nats', 'memory'] as const) !== 'nats')
    throw new ConfigError('ha', 'RIPPLE_HA', 'lease needs bus nats (the lease lives in JetStream KV)');
  if (ha === 'lease' && natsUrl.startsWith('ripple-hub:/'))
    throw new ConfigError('ha', 'RIPPLE_HA', 'lease needs NATS JetStream KV, not the embedded hub');
  const instanceId = str(
    'RIPPLE_INSTANCE_ID',
    `${(env.HOSTNAME ?? 'checkpointer').replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 48)}-${process.pid}`,
  );
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(instanceId))
    throw new ConfigError(
      'instance_id',
      'RIPPLE_INSTANCE_ID',
      `${JSON.stringify(instanceId)} is not [A-Za-z0-9_-]{1,64}`,
    );
  const interval = num('checkpoint_interval_sec', 'RIPPLE_CHECKPOINT_INTERVAL_SEC', 10, 0.05, 86_400, false);
  return {
    cluster,
    checkpointIntervalSec: interval,
    checkpointTimeoutSec: num(
      'checkpoint_timeout_sec',
      'RIPPLE_CHECKPOINT_TIMEOUT_SEC',
      10,
      0.05,
      86_400,
      false,
    ),
    commitTimeoutSec: num('commit_timeout_sec', 'RIPPLE_COMMIT_TIMEOUT_SEC', 30, 0.05, 86_400, false),
    checkpointsRetained: num('checkpoints_retained', 'RIPPLE_CHECKPOINTS_RETAINED', 5, 1, 10_000),
    staticPartitions: num('static_partitions', 'RIPPLE_STATIC_PARTITIONS', 0, 0, 65_536),
    staticEpoch: num('static_epoch', 'RIPPLE_STATIC_EPOCH', 0, 0, Number.MAX_SAFE_INTEGER),
    store,
    storeDir,
    prefix,
    s3: {
      endpoint,
      region: str('S3_REGION', 'us-east-1'),
      bucket,
      accessKeyId: raw('S3_ACCESS_KEY_ID') ?? null,
      secretAccessKey: raw('S3_SECRET_ACCESS_KEY') ?? null,
      requestTimeoutMs: num('s3_request_timeout_ms', 'RIPPLE_S3_REQUEST_TIMEOUT_MS', 5000, 100, 600_000),
    },
    bus: oneOf('bus', 'RIPPLE_BUS', 'nats', ['nats', 'memory'] as const),
    natsUrl,
    ha,
    instanceId,
    leaseTtlMs: num('lease_ttl_ms', 'RIPPLE_LEASE_TTL_MS', 10_000, 300, 600_000),
    host: str('RIPPLE_HOST', '0.0.0.0'),
    healthPort: num('health_port', 'RIPPLE_HEALTH_PORT', 9301, 0, 65_535),
    metricsPort: num('metrics_port', 'RIPPLE_METRICS_PORT', 9302, 0, 65_535),
  };
}

/** The config as it may be logged: no secrets. */
export function redactedConfig(c: CheckpointerConfig): Record<string, unknown> {
  return {
    ...c,
    s3: {
      ...c.s3,
      accessKeyId: c.s3.accessKeyId === null ? null : '***',
      secretAccessKey: c.s3.secretAccessKey === null ? null : '***',
    },
  };
}
