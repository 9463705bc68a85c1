/**
 * Keys several apps read, declared once: the same variable means the same
 * thing in every app (its default may differ per app, e.g. the ports).
 */
import { derived, optional, withDefault } from '../config-key.ts';
import { decimal, httpUrl, identifier, integer, port, text } from '../value-types.ts';

export const configFile = optional({
  key: 'config_file',
  variable: 'RIPPLE_CONFIG_FILE',
  type: text(),
  description:
    'A JSON object of snake_case keys (as in this reference) read at start-up; the environment wins over it.',
  envOnly: true,
  none: 'none (environment only)',
});

export const numPartitions = withDefault({
  key: 'num_partitions',
  variable: 'RIPPLE_NUM_PARTITIONS',
  type: integer(1, 100_000),
  default: '128',
  description: 'Partitions of the input topic (the key space the coordinator assigns).',
});

export const heartbeatIntervalSec = withDefault({
  key: 'heartbeat_interval_sec',
  variable: 'RIPPLE_HEARTBEAT_INTERVAL_SEC',
  type: decimal(0.01, 3600, 'seconds'),
  default: '5',
  description: 'Seconds between worker heartbeats (fractions allowed for tests).',
});

export const failureDetectionTimeoutSec = withDefault({
  key: 'failure_detection_timeout_sec',
  variable: 'RIPPLE_FAILURE_DETECTION_TIMEOUT_SEC',
  type: decimal(0.02, 86_400, 'seconds'),
  default: '30',
  description:
    'Seconds of silence after which the coordinator declares a worker dead; must exceed heartbeat_interval_sec.',
});

export const otlpEndpoint = optional({
  key: 'otlp_endpoint',
  variable: 'OTEL_EXPORTER_OTLP_ENDPOINT',
  type: httpUrl,
  description: 'OTLP/HTTP endpoint traces are exported to.',
  none: 'none (tracing off)',
});

export const host = (dflt: string) =>
  withDefault({
    key: 'host',
    variable: 'RIPPLE_HOST',
    type: text(),
    default: dflt,
    description: 'Address the health/metrics (and API) servers listen on.',
  });

export const healthPort = (dflt: string) =>
  withDefault({
    key: 'health_port',
    variable: 'RIPPLE_HEALTH_PORT',
    type: port,
    default: dflt,
    description: 'Port of /health and /ready (0: any free port).',
  });

export const metricsPort = (dflt: string) =>
  withDefault({
    key: 'metrics_port',
    variable: 'RIPPLE_METRICS_PORT',
    type: port,
    default: dflt,
    description: 'Port of the Prometheus /metrics endpoint (0: any free port).',
  });

/** The cluster name (`ripple` unless set) of the apps that always belong to one. */
export const clusterName = (description: string) =>
  withDefault({
    key: 'cluster',
    variable: 'RIPPLE_CLUSTER',
    type: identifier,
    default: 'ripple',
    description,
  });

/** `$HOSTNAME` (the pod name in Kubernetes), checked like a given value. */
export const fromHostname = derived('$HOSTNAME', (c) => c.env.HOSTNAME);

export const s3Endpoint = optional({
  key: 's3_endpoint',
  variable: 'S3_ENDPOINT',
  type: httpUrl,
  description: 'S3 API endpoint (MinIO, SeaweedFS, ...).',
  none: 'AWS',
});

export const s3Region = withDefault({
  key: 's3_region',
  variable: 'S3_REGION',
  type: text(),
  default: 'us-east-1',
  description: 'S3 region.',
});

export const s3AccessKeyId = optional({
  key: 's3_access_key_id',
  variable: 'S3_ACCESS_KEY_ID',
  type: text(),
  description: 'S3 access key id.',
  secret: true,
  none: 'the SDK default chain',
});

export const s3SecretAccessKey = optional({
  key: 's3_secret_access_key',
  variable: 'S3_SECRET_ACCESS_KEY',
  type: text(),
  description: 'S3 secret access key.',
  secret: true,
  none: 'the SDK default chain',
});

/**
 * NATS credentials (@ripple/cluster-nats reads them from the environment:
 * exactly one method). Declared here so they are documented, masked and
 * known to the unknown-variable check.
 */
export const natsCredentials = {
  natsUser: optional({
    key: 'nats_user',
    variable: 'RIPPLE_NATS_USER',
    type: text(),
    description: 'NATS user (with nats_password or nats_password_file).',
    envOnly: true,
  }),
  natsPassword: optional({
    key: 'nats_password',
    variable: 'RIPPLE_NATS_PASSWORD',
    type: text(),
    description: 'NATS password of nats_user.',
    secret: true,
    envOnly: true,
  }),
  natsPasswordFile: optional({
    key: 'nats_password_file',
    variable: 'RIPPLE_NATS_PASSWORD_FILE',
    type: text(),
    description: 'File holding the NATS password (a mounted secret).',
    envOnly: true,
  }),
  natsToken: optional({
    key: 'nats_token',
    variable: 'RIPPLE_NATS_TOKEN',
    type: text(),
    description: 'NATS token.',
    secret: true,
    envOnly: true,
  }),
  natsTokenFile: optional({
    key: 'nats_token_file',
    variable: 'RIPPLE_NATS_TOKEN_FILE',
    type: text(),
    description: 'File holding the NATS token.',
    envOnly: true,
  }),
  natsNkeySeedFile: optional({
    key: 'nats_nkey_seed_file',
    variable: 'RIPPLE_NATS_NKEY_SEED_FILE',
    type: text(),
    description: 'File holding a NATS user nkey seed (SU...).',
    envOnly: true,
  }),
  natsCredsFile: optional({
    key: 'nats_creds_file',
    variable: 'RIPPLE_NATS_CREDS_FILE',
    type: text(),
    description: 'NATS decentralized-auth .creds file.',
    envOnly: true,
  }),
  natsTlsCaFile: optional({
    key: 'nats_tls_ca_file',
    variable: 'RIPPLE_NATS_TLS_CA_FILE',
    type: text(),
    description: 'CA file for tls:// NATS servers.',
    envOnly: true,
  }),
} as const;
