/**
 * Coordinator configuration: typed options with documented defaults, loaded
 * from the environment and an optional JSON file (`RIPPLE_CONFIG_FILE`,
 * snake_case keys; the environment wins) — the worker's approach
 * (apps/worker/src/config.ts). Every invalid value fails start-up with a
 * ConfigError naming the key and its environment variable. Durations in
 * seconds accept fractions (tests run with 0.1 s heartbeats).
 *
 * | key | variable | default |
 * |---|---|---|
 * | cluster | RIPPLE_CLUSTER | ripple |
 * | coordinator_id | RIPPLE_COORDINATOR_ID | $HOSTNAME |
 * | nats_url | NATS_URL | (required) |
 * | num_partitions | RIPPLE_NUM_PARTITIONS | 128 |
 * | heartbeat_interval_sec | RIPPLE_HEARTBEAT_INTERVAL_SEC | 5 |
 * | failure_detection_timeout_sec | RIPPLE_FAILURE_DETECTION_TIMEOUT_SEC | 30 |
 * | lease_ttl_sec | RIPPLE_LEASE_TTL_SEC | 10 |
 * | vnodes | RIPPLE_VNODES | 128 |
 * | host | RIPPLE_HOST | 127.0.0.1 |
 * | api_port | RIPPLE_API_PORT | 9200 |
 * | health_port | RIPPLE_HEALTH_PORT | 9201 |
 * | metrics_port | RIPPLE_METRICS_PORT | 9202 |
 * | otlp_endpoint | OTEL_EXPORTER_OTLP_ENDPOINT | none (tracing off) |
 * | NATS credentials | RIPPLE_NATS_USER + RIPPLE_NATS_PASSWORD(_FILE), RIPPLE_NATS_TOKEN(_FILE), RIPPLE_NATS_NKEY_SEED_FILE, RIPPLE_NATS_CREDS_FILE | none |
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from './errors.ts';

export interface CoordinatorConfig {
  readonly cluster: string;
  readonly coordinatorId: string;
  readonly natsUrl: string;
  readonly numPartitions: number;
  readonly heartbeatIntervalSec: number;
  readonly failureDetectionTimeoutSec: number;
  readonly leaseTtlSec: number;
  readonly vnodes: number;
  readonly host: string;
  readonly apiPort: number;
  readonly healthPort: number;
  readonly metricsPort: number;
  readonly otlpEndpoint: string | null;
}

type Env = Readonly<Record<string, string | undefined>>;

export function loadConfig(env: Env = process.env): CoordinatorConfig {
  let file: Record<string, unknown> = {};
  const path = env.RIPPLE_CONFIG_FILE;
  if (path !== undefined && path !== '') {
    try {
      const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        throw new Error('not a JSON object');
      file = parsed as Record<string, unknown>;
    } catch (e) {
      throw new ConfigError(
        'config_file',
        'RIPPLE_CONFIG_FILE',
        `cannot read ${path}: ${(e as Error).message}`,
      );
    }
  }
  const get = (variable: string, key: string): string | undefined => {
    const e = env[variable];
    if (e !== undefined && e !== '') return e;
    const f = file[key];
    if (f === undefined || f === null) return undefined;
    return typeof f === 'string' ? f : JSON.stringify(f);
  };
  const str = (variable: string, key: string, dflt: string | null): string => {
    const v = get(variable, key) ?? dflt;
    if (v === null) throw new ConfigError(key, variable, 'required');
    return v;
  };
  const int = (variable: string, key: string, dflt: number, min: number, max: number): number => {
    const raw = get(variable, key);
    if (raw === undefined) return dflt;
    if (!/^-?\d+$/.test(raw.trim()))
      throw new ConfigError(key, variable, `${JSON.stringify(raw)} is not an integer`);
    const v = Number(raw);
    if (v < min || v > max) throw new ConfigError(key, variable, `${v} is outside [${min}, ${max}]`);
    return v;
  };
  const seconds = (variable: string, key: string, dflt: number, min: number, max: number): number => {
    const raw = get(variable, key);
    if (raw === undefined) return dflt;
    if (!/^\d+(\.\d+)?$/.test(raw.trim()))
      throw new ConfigError(key, variable, `${JSON.stringify(raw)} is not a number of seconds`);
    const v = Number(raw);
    if (v < min || v > max) throw new ConfigError(key, variable, `${v} is outside [${min}, ${max}]`);
    return v;
  };
  const id = (variable: string, key: string, dflt: string | null): string => {
    const v = str(variable, key, dflt);
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(v))
      throw new ConfigError(key, variable, `${JSON.stringify(v)} is not [A-Za-z0-9_-]{1,64}`);
    return v;
  };
  const port = (variable: string, key: string, dflt: number) => int(variable, key, dflt, 0, 65_535);

  const natsUrl = str('NATS_URL', 'nats_url', null);
  // `ripple-hub:<socket>`: the embedded cluster's hub (`pnpm start`, @ripple/cluster-local) instead of NATS
  for (const u of natsUrl.startsWith('ripple-hub:/') ? [] : natsUrl.split(',')) {
    if (!/^(nats|tls|ws|wss):\/\/[^\s]+$/.test(u.trim()))
      throw new ConfigError('nats_url', 'NATS_URL', `${JSON.stringify(u)} is not a nats:// URL`);
  }
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
      'RIPPLE_FAILURE_DETECTION_TIMEOUT_SEC',
      `${failureDetectionTimeoutSec} must exceed heartbeat_interval_sec (${heartbeatIntervalSec})`,
    );
  }
  const otlp = get('OTEL_EXPORTER_OTLP_ENDPOINT', 'otlp_endpoint') ?? null;
  if (otlp !== null && !/^https?:\/\/[^\s]+$/.test(otlp)) {
    throw new ConfigError(
      'otlp_endpoint',
      'OTEL_EXPORTER_OTLP_ENDPOINT',
      `${JSON.stringify(otlp)} is not an http(s) URL`,
    );
  }
  return {
    cluster: id('RIPPLE_CLUSTER', 'cluster', 'ripple'),
    coordinatorId: id('RIPPLE_COORDINATOR_ID', 'coordinator_id', env.HOSTNAME ?? null),
    natsUrl,
    numPartitions: int('RIPPLE_NUM_PARTITIONS', 'num_partitions', 128, 1, 100_000),
    heartbeatIntervalSec,
    failureDetectionTimeoutSec,
    leaseTtlSec: seconds('RIPPLE_LEASE_TTL_SEC', 'lease_ttl_sec', 10, 0.05, 3600),
    vnodes: int('RIPPLE_VNODES', 'vnodes', 128, 1, 4096),
    host: str('RIPPLE_HOST', 'host', '127.0.0.1'),
    apiPort: port('RIPPLE_API_PORT', 'api_port', 9200),
    healthPort: port('RIPPLE_HEALTH_PORT', 'health_port', 9201),
    metricsPort: port('RIPPLE_METRICS_PORT', 'metrics_port', 9202),
    otlpEndpoint: otlp,
  };
}
