import { describe, expect, test } from 'vitest';
import { ConfigError, loadConfig } from '../src/index.ts';

const base = { NATS_URL: 'nats://127.0.0.1:4222', RIPPLE_COORDINATOR_ID: 'c-a' };

describe('coordinator config', () => {
  test('defaults are the reference values', () => {
    expect(loadConfig(base)).toMatchObject({
      cluster: 'ripple',
      numPartitions: 128,
      heartbeatIntervalSec: 5,
      failureDetectionTimeoutSec: 30,
      leaseTtlSec: 10,
      vnodes: 128,
      apiPort: 9200,
      healthPort: 9201,
      metricsPort: 9202,
      otlpEndpoint: null,
      kafkaBrokers: null,
      outputTopic: 'vwap-output',
    });
    expect(loadConfig({ ...base, KAFKA_BROKERS: 'k1:9092, k2:9093' }).kafkaBrokers).toEqual([
      'k1:9092',
      'k2:9093',
    ]);
  });

  test('sub-second intervals for tests', () => {
    const c = loadConfig({
      ...base,
      RIPPLE_HEARTBEAT_INTERVAL_SEC: '0.1',
      RIPPLE_FAILURE_DETECTION_TIMEOUT_SEC: '0.8',
    });
    expect(c.heartbeatIntervalSec).toBe(0.1);
    expect(c.failureDetectionTimeoutSec).toBe(0.8);
  });

  test('every invalid value names its key and variable', () => {
    const cases: [Record<string, string>, string, string][] = [
      [{ RIPPLE_COORDINATOR_ID: 'c' }, 'nats_url', 'NATS_URL'],
      [{ ...base, NATS_URL: 'http://x' }, 'nats_url', 'NATS_URL'],
      [{ ...base, RIPPLE_NUM_PARTITIONS: '0' }, 'num_partitions', 'RIPPLE_NUM_PARTITIONS'],
      [{ ...base, RIPPLE_NUM_PARTITIONS: 'many' }, 'num_partitions', 'RIPPLE_NUM_PARTITIONS'],
      [
        { ...base, RIPPLE_HEARTBEAT_INTERVAL_SEC: '-1' },
        'heartbeat_interval_sec',
        'RIPPLE_HEARTBEAT_INTERVAL_SEC',
      ],
      [
        { ...base, RIPPLE_HEARTBEAT_INTERVAL_SEC: '10', RIPPLE_FAILURE_DETECTION_TIMEOUT_SEC: '5' },
        'failure_detection_timeout_sec',
        'RIPPLE_FAILURE_DETECTION_TIMEOUT_SEC',
      ],
      [{ ...base, RIPPLE_CLUSTER: 'a.b' }, 'cluster', 'RIPPLE_CLUSTER'],
      [{ NATS_URL: base.NATS_URL }, 'coordinator_id', 'RIPPLE_COORDINATOR_ID'],
      [{ ...base, RIPPLE_API_PORT: '70000' }, 'api_port', 'RIPPLE_API_PORT'],
      [{ ...base, OTEL_EXPORTER_OTLP_ENDPOINT: 'jaeger' }, 'otlp_endpoint', 'OTEL_EXPORTER_OTLP_ENDPOINT'],
      [{ ...base, RIPPLE_CONFIG_FILE: '/nonexistent.json' }, 'config_file', 'RIPPLE_CONFIG_FILE'],
      [{ ...base, KAFKA_BROKERS: 'kafka' }, 'kafka_brokers', 'KAFKA_BROKERS'],
      [{ ...base, RIPPLE_OUTPUT_TOPIC: 'a topic' }, 'output_topic', 'RIPPLE_OUTPUT_TOPIC'],
    ];
    for (const [env, key, variable] of cases) {
      let err: unknown;
      try {
        loadConfig(env);
      } catch (e) {
        err = e;
      }
      expect(err, `${key} with ${JSON.stringify(env)}`).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).key).toBe(key);
      expect((err as ConfigError).variable).toBe(variable);
      expect((err as Error).message).toContain(variable);
    }
  });
});
