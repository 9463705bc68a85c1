/** The coordinator's keys (apps/coordinator). */
import { optional, required, schema, withDefault } from '../config-key.ts';
import { decimal, hostPortList, identifier, integer, natsUrls, port, topicName } from '../value-types.ts';
import {
  clusterName,
  configFile,
  failureDetectionTimeoutSec,
  fromHostname,
  healthPort,
  heartbeatIntervalSec,
  host,
  metricsPort,
  natsCredentials,
  numPartitions,
  otlpEndpoint,
} from './shared-keys.ts';

export const coordinatorSchema = schema('coordinator', {
  configFile,
  cluster: clusterName('Cluster name: NATS subjects ripple.<cluster>.* and the lease key.'),
  coordinatorId: withDefault({
    key: 'coordinator_id',
    variable: 'RIPPLE_COORDINATOR_ID',
    type: identifier,
    default: fromHostname,
    description: 'This replica’s id (lease holder name).',
  }),
  natsUrl: required({
    key: 'nats_url',
    variable: 'NATS_URL',
    type: natsUrls,
    description: 'NATS servers of the control bus.',
  }),
  numPartitions,
  heartbeatIntervalSec,
  failureDetectionTimeoutSec,
  leaseTtlSec: withDefault({
    key: 'lease_ttl_sec',
    variable: 'RIPPLE_LEASE_TTL_SEC',
    type: decimal(0.05, 3600, 'seconds'),
    default: '10',
    description: 'Leader lease time-to-live; a standby takes over within it.',
  }),
  vnodes: withDefault({
    key: 'vnodes',
    variable: 'RIPPLE_VNODES',
    type: integer(1, 4096),
    default: '128',
    description: 'Virtual nodes per worker on the consistent-hash ring.',
  }),
  host: host('127.0.0.1'),
  apiPort: withDefault({
    key: 'api_port',
    variable: 'RIPPLE_API_PORT',
    type: port,
    default: '9200',
    description: 'Port of the HTTP API (/status) and dashboard (0: any free port).',
  }),
  healthPort: healthPort('9201'),
  metricsPort: metricsPort('9202'),
  otlpEndpoint,
  kafkaBrokers: optional({
    key: 'kafka_brokers',
    variable: 'KAFKA_BROKERS',
    type: hostPortList,
    description:
      'Kafka bootstrap brokers: the dashboard’s VWAP table reads the output topic (unset: no table).',
  }),
  outputTopic: withDefault({
    key: 'output_topic',
    variable: 'RIPPLE_OUTPUT_TOPIC',
    type: topicName,
    default: 'vwap-output',
    description: 'Output topic the dashboard’s VWAP table reads (when kafka_brokers is set).',
  }),
  ...natsCredentials,
});
