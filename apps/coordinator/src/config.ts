/**
 * Coordinator configuration: its keys are declared in @ripple/config
 * (`coordinatorSchema`; reference in docs/config.md), loaded from the
 * environment and the optional RIPPLE_CONFIG_FILE (the environment wins).
 * Every invalid value, and any misspelled RIPPLE_* variable, fails start-up
 * with a ConfigError naming the key and its environment variable. NATS
 * credentials (RIPPLE_NATS_*) are read by @ripple/cluster-nats.
 */
import {
  type ConfigValues,
  coordinatorSchema,
  type Env,
  invalid,
  type LoadedConfig,
  loadConfig as load,
} from '@ripple/config';

type Keys = typeof coordinatorSchema.keys;

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
  /** host:port list; the dashboard reads the output topic when set */
  readonly kafkaBrokers: readonly string[] | null;
  readonly outputTopic: string;
}

/** The loaded keys (with their sources, for --print-config) and the coordinator's options. */
export function readConfig(env: Env = process.env): {
  loaded: LoadedConfig<Keys>;
  config: CoordinatorConfig;
} {
  const loaded = load(coordinatorSchema, env);
  const v: ConfigValues<Keys> = loaded.values;
  const k = coordinatorSchema.keys;
  if (v.failureDetectionTimeoutSec <= v.heartbeatIntervalSec)
    throw invalid(
      k.failureDetectionTimeoutSec,
      `${v.failureDetectionTimeoutSec} must exceed heartbeat_interval_sec (${v.heartbeatIntervalSec})`,
    );
  return {
    loaded,
    config: {
      cluster: v.cluster,
      coordinatorId: v.coordinatorId,
      natsUrl: v.natsUrl,
      numPartitions: v.numPartitions,
      heartbeatIntervalSec: v.heartbeatIntervalSec,
      failureDetectionTimeoutSec: v.failureDetectionTimeoutSec,
      leaseTtlSec: v.leaseTtlSec,
      vnodes: v.vnodes,
      host: v.host,
      apiPort: v.apiPort,
      healthPort: v.healthPort,
      metricsPort: v.metricsPort,
      otlpEndpoint: v.otlpEndpoint,
      kafkaBrokers: v.kafkaBrokers === null || v.kafkaBrokers.length === 0 ? null : v.kafkaBrokers,
      outputTopic: v.outputTopic,
    },
  };
}

export function loadConfig(env: Env = process.env): CoordinatorConfig {
  return readConfig(env).config;
}
