/**
 * Checkpointer configuration: its keys are declared in @ripple/config
 * (`checkpointerSchema`; reference in docs/config.md), loaded from the
 * environment and the optional RIPPLE_CONFIG_FILE (the environment wins).
 * Every invalid value, and any misspelled RIPPLE_* variable, stops start-up
 * with a ConfigError naming the key and its environment variable. NATS
 * credentials (RIPPLE_NATS_*) are read by @ripple/cluster-nats.
 */
import {
  type ConfigValues,
  checkpointerSchema,
  type Env,
  invalid,
  type LoadedConfig,
  loadConfig as load,
} from '@ripple/config';

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

type Keys = typeof checkpointerSchema.keys;

/** The loaded keys (with their sources, for --print-config) and the checkpointer's options. */
export function readConfig(env: Env = process.env): {
  loaded: LoadedConfig<Keys>;
  config: CheckpointerConfig;
} {
  const loaded = load(checkpointerSchema, env);
  const v: ConfigValues<Keys> = loaded.values;
  const k = checkpointerSchema.keys;
  if (v.store === 'dir' && v.storeDir === null) throw invalid(k.storeDir, 'required when store is dir');
  if (v.store === 's3' && v.s3Bucket === null) throw invalid(k.s3Bucket, 'required when store is s3');
  if (v.ha === 'lease' && v.bus !== 'nats')
    throw invalid(k.ha, 'lease needs bus nats (the lease lives in JetStream KV)');
  if (v.ha === 'lease' && v.natsUrl.startsWith('ripple-hub:/'))
    throw invalid(k.ha, 'lease needs NATS JetStream KV, not the embedded hub');
  const config: CheckpointerConfig = {
    cluster: v.cluster,
    checkpointIntervalSec: v.checkpointIntervalSec,
    checkpointTimeoutSec: v.checkpointTimeoutSec,
    commitTimeoutSec: v.commitTimeoutSec,
    checkpointsRetained: v.checkpointsRetained,
    staticPartitions: v.staticPartitions,
    staticEpoch: v.staticEpoch,
    store: v.store,
    storeDir: v.storeDir,
    prefix: v.s3Prefix,
    s3: {
      endpoint: v.s3Endpoint,
      region: v.s3Region,
      bucket: v.s3Bucket,
      accessKeyId: v.s3AccessKeyId,
      secretAccessKey: v.s3SecretAccessKey,
      requestTimeoutMs: v.s3RequestTimeoutMs,
    },
    bus: v.bus,
    natsUrl: v.natsUrl,
    ha: v.ha,
    instanceId: v.instanceId,
    leaseTtlMs: v.leaseTtlMs,
    host: v.host,
    healthPort: v.healthPort,
    metricsPort: v.metricsPort,
  };
  return { loaded, config };
}

export function loadConfig(env: Env = process.env): CheckpointerConfig {
  return readConfig(env).config;
}
