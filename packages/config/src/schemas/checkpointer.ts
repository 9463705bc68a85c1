/** The checkpointer's keys (apps/checkpointer). Cross-key rules live in the app's config.ts. */
import { derived, optional, schema, withDefault } from '../config-key.ts';
import {
  bucketName,
  decimal,
  identifier,
  integer,
  keyPrefix,
  natsUrls,
  oneOf,
  text,
} from '../value-types.ts';
import {
  clusterName,
  configFile,
  healthPort,
  host,
  metricsPort,
  natsCredentials,
  s3AccessKeyId,
  s3Endpoint,
  s3Region,
  s3SecretAccessKey,
} from './shared-keys.ts';

const seconds = (key: string, variable: string, dflt: string, description: string) =>
  withDefault({ key, variable, type: decimal(0.05, 86_400, 'seconds'), default: dflt, description });

export const checkpointerSchema = schema('checkpointer', {
  configFile,
  cluster: clusterName('Cluster name: NATS subjects ripple.<cluster>.checkpoint.*.'),
  store: withDefault({
    key: 'store',
    variable: 'RIPPLE_STORE',
    type: oneOf(['s3', 'dir', 'memory']),
    default: 's3',
    description: 'Where checkpoints are kept: S3, a local directory (store_dir) or memory (tests).',
  }),
  storeDir: optional({
    key: 'store_dir',
    variable: 'RIPPLE_STORE_DIR',
    type: text(),
    description: 'Directory of the checkpoints (required when store is dir).',
  }),
  s3Bucket: optional({
    key: 's3_bucket',
    variable: 'S3_BUCKET',
    type: bucketName,
    description: 'Bucket of the checkpoints (required when store is s3).',
  }),
  s3Endpoint,
  s3Prefix: withDefault({
    key: 's3_prefix',
    variable: 'RIPPLE_S3_PREFIX',
    type: keyPrefix,
    default: derived('checkpoints/<cluster>', (c) => `checkpoints/${String(c.values.cluster)}`),
    description: 'Key prefix of the checkpoint layout (manifests, snapshots) in the store.',
  }),
  natsUrl: withDefault({
    key: 'nats_url',
    variable: 'NATS_URL',
    type: natsUrls,
    default: 'nats://127.0.0.1:4222',
    description: 'NATS servers of the control bus (bus nats).',
  }),
  ha: withDefault({
    key: 'ha',
    variable: 'RIPPLE_HA',
    type: oneOf(['off', 'lease']),
    default: 'off',
    description: 'lease: one active replica through a JetStream KV lease (needs bus nats).',
  }),
  bus: withDefault({
    key: 'bus',
    variable: 'RIPPLE_BUS',
    type: oneOf(['nats', 'memory']),
    default: 'nats',
    description: 'Control bus: NATS, or in-process memory (tests).',
  }),
  instanceId: withDefault({
    key: 'instance_id',
    variable: 'RIPPLE_INSTANCE_ID',
    type: identifier,
    default: derived(
      '$HOSTNAME-<pid>',
      (c) =>
        `${(c.env.HOSTNAME ?? 'checkpointer').replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 48)}-${process.pid}`,
    ),
    description: 'Lease holder id of this replica.',
  }),
  checkpointIntervalSec: seconds(
    'checkpoint_interval_sec',
    'RIPPLE_CHECKPOINT_INTERVAL_SEC',
    '10',
    'Seconds between checkpoints.',
  ),
  checkpointTimeoutSec: seconds(
    'checkpoint_timeout_sec',
    'RIPPLE_CHECKPOINT_TIMEOUT_SEC',
    '10',
    'Seconds to wait for every partition’s ack before aborting a checkpoint.',
  ),
  commitTimeoutSec: seconds(
    'commit_timeout_sec',
    'RIPPLE_COMMIT_TIMEOUT_SEC',
    '30',
    'Seconds to write and verify a checkpoint’s manifest before aborting it.',
  ),
  checkpointsRetained: withDefault({
    key: 'checkpoints_retained',
    variable: 'RIPPLE_CHECKPOINTS_RETAINED',
    type: integer(1, 10_000),
    default: '5',
    description: 'Committed checkpoints kept (older ones and their unshared objects are deleted).',
  }),
  staticPartitions: withDefault({
    key: 'static_partitions',
    variable: 'RIPPLE_STATIC_PARTITIONS',
    type: integer(0, 65_536),
    default: '0',
    description: 'Partitions of a cluster without coordinator (0: follow the coordinator’s assignment).',
  }),
  staticEpoch: withDefault({
    key: 'static_epoch',
    variable: 'RIPPLE_STATIC_EPOCH',
    type: integer(0, Number.MAX_SAFE_INTEGER),
    default: '0',
    description: 'Epoch of the static partitions.',
  }),
  s3Region,
  s3AccessKeyId,
  s3SecretAccessKey,
  s3RequestTimeoutMs: withDefault({
    key: 's3_request_timeout_ms',
    variable: 'RIPPLE_S3_REQUEST_TIMEOUT_MS',
    type: integer(100, 600_000),
    default: '5000',
    description: 'Timeout of one S3 request.',
  }),
  leaseTtlMs: withDefault({
    key: 'lease_ttl_ms',
    variable: 'RIPPLE_LEASE_TTL_MS',
    type: integer(300, 600_000),
    default: '10000',
    description: 'Time-to-live of the HA lease (ha lease).',
  }),
  host: host('0.0.0.0'),
  healthPort: healthPort('9301'),
  metricsPort: metricsPort('9302'),
  ...natsCredentials,
});
