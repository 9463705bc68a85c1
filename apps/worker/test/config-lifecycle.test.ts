import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, UnknownConfigError } from '@ripple/config';
import { describe, expect, it } from 'vitest';
import { loadConfig, parsePartitions } from '../src/config.ts';
import { LifecycleError } from '../src/errors.ts';
import { Lifecycle } from '../src/lifecycle.ts';
import { checkPartitionCount } from '../src/partition-count.ts';

const base = { RIPPLE_WORKER_ID: 'w-0', KAFKA_BROKERS: '127.0.0.1:9092' };

function keyOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof ConfigError) {
      // every config error names the key's environment variable too
      expect(e.message).toContain(e.variable);
      return e.key;
    }
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('worker config', () => {
  it('cluster mode: RIPPLE_CLUSTER joins a cluster over NATS_URL, owns no static partitions', () => {
    const cluster = { ...base, RIPPLE_CLUSTER: 'prod-1', NATS_URL: 'nats://127.0.0.1:4222' };
    const c = loadConfig({
      ...cluster,
      RIPPLE_HEARTBEAT_INTERVAL_SEC: '0.1',
      RIPPLE_FAILURE_DETECTION_TIMEOUT_SEC: '0.8',
    });
    expect(c).toMatchObject({ cluster: 'prod-1', partitions: [], heartbeatIntervalSec: 0.1 });
    expect(c.failureDetectionTimeoutSec).toBe(0.8);
    expect(loadConfig(base)).toMatchObject({ cluster: null, partitions: [0] });
    expect(keyOf(() => loadConfig({ ...cluster, RIPPLE_PARTITIONS: '0-3' }))).toBe('partitions');
    expect(keyOf(() => loadConfig({ ...base, RIPPLE_CLUSTER: 'prod-1' }))).toBe('nats_url');
    expect(keyOf(() => loadConfig({ ...cluster, NATS_URL: 'http://x:4222' }))).toBe('nats_url');
    expect(keyOf(() => loadConfig({ ...cluster, RIPPLE_CLUSTER: 'a.b' }))).toBe('cluster');
    expect(keyOf(() => loadConfig({ ...cluster, RIPPLE_HEARTBEAT_INTERVAL_SEC: '1s' }))).toBe(
      'heartbeat_interval_sec',
    );
    expect(
      keyOf(() =>
        loadConfig({
          ...cluster,
          RIPPLE_HEARTBEAT_INTERVAL_SEC: '2',
          RIPPLE_FAILURE_DETECTION_TIMEOUT_SEC: '1.5',
        }),
      ),
    ).toBe('failure_detection_timeout_sec');
  });

  it('num_partitions must equal the input topic partition count (key and variable named)', () => {
    expect(() => checkPartitionCount('trades', 128, 128)).not.toThrow();
    expect(() => checkPartitionCount('trades', 128, 12)).toThrow(ConfigError);
    expect(() => checkPartitionCount('trades', 128, 12)).toThrow(
      /invalid config num_partitions \(RIPPLE_NUM_PARTITIONS\): 128 but topic trades has 12 partition\(s\) \(set RIPPLE_NUM_PARTITIONS=12/,
    );
  });

  it('has the reference defaults', () => {
    const c = loadConfig(base);
    expect(c).toMatchObject({
      numPartitions: 128,
      maxKeysPerPartition: 2000,
      checkpointIntervalSec: 10,
      heartbeatIntervalSec: 5,
      failureDetectionTimeoutSec: 30,
      inputTopic: 'trades',
      outputTopic: 'vwap-output',
      dlqTopic: 'trades-dlq',
      healthPort: 9100,
      metricsPort: 9102,
      windowNs: 60_000_000_000n,
    });
    expect(c.kafkaBrokers).toEqual(['127.0.0.1:9092']);
  });

  it('rejects each bad value naming its key', () => {
    expect(keyOf(() => loadConfig({ ...base, RIPPLE_CHECKPOINT_INTERVAL_SEC: 'ten' }))).toBe(
      'checkpoint_interval_sec',
    );
    expect(keyOf(() => loadConfig({ ...base, RIPPLE_NUM_PARTITIONS: '0' }))).toBe('num_partitions');
    expect(keyOf(() => loadConfig({ ...base, RIPPLE_PARTITIONS: '0-200' }))).toBe('partitions');
    expect(keyOf(() => loadConfig({ ...base, RIPPLE_FAILURE_DETECTION_TIMEOUT_SEC: '5' }))).toBe(
      'failure_detection_timeout_sec',
    );
    expect(keyOf(() => loadConfig({ ...base, KAFKA_BROKERS: 'no-port' }))).toBe('kafka_brokers');
    expect(keyOf(() => loadConfig({ RIPPLE_WORKER_ID: 'w' }))).toBe('kafka_brokers');
    expect(keyOf(() => loadConfig({ KAFKA_BROKERS: 'h:1' }))).toBe('worker_id');
    expect(keyOf(() => loadConfig({ ...base, RIPPLE_WINDOW: '1 minute' }))).toBe('window');
    expect(keyOf(() => loadConfig({ ...base, RIPPLE_WINDOW: '0s' }))).toBe('window');
    expect(keyOf(() => loadConfig({ ...base, RIPPLE_LATENESS: '0.5ns' }))).toBe('allowed_lateness');
    expect(keyOf(() => loadConfig({ ...base, S3_BUCKET: 'Bad_Bucket' }))).toBe('s3_bucket');
    expect(keyOf(() => loadConfig({ ...base, RIPPLE_SOURCE: 'pigeon' }))).toBe('source');
    expect(keyOf(() => loadConfig({ ...base, RIPPLE_SOURCE: 'file' }))).toBe('input_dir');
    expect(keyOf(() => loadConfig({ ...base, RIPPLE_SOURCE: 'file', RIPPLE_INPUT_DIR: '/in' }))).toBe(
      'output_dir',
    );
    expect(keyOf(() => loadConfig({ ...base, RIPPLE_HEALTH_PORT: '70000' }))).toBe('health_port');
    expect(keyOf(() => loadConfig({ ...base, RIPPLE_CHECKPOINT_MODE: 'cluster' }))).toBe('nats_url');
    expect(keyOf(() => loadConfig({ ...base, RIPPLE_CHECKPOINT_MODE: 'both' }))).toBe('checkpoint_mode');
    expect(keyOf(() => loadConfig({ ...base, NATS_URL: 'http://x:4222' }))).toBe('nats_url');
    expect(keyOf(() => loadConfig({ ...base, RIPPLE_CHECKPOINT_MAX_INCREMENT_RATIO: '-1' }))).toBe(
      'checkpoint_max_increment_ratio',
    );
    expect(keyOf(() => loadConfig({ ...base, RIPPLE_CHECKPOINT_CLUSTER: 'a.b' }))).toBe('checkpoint_cluster');
    expect(
      loadConfig({
        ...base,
        RIPPLE_CHECKPOINT_MODE: 'cluster',
        NATS_URL: 'nats://n:4222',
        RIPPLE_CLUSTER: 'c1',
      }),
    ).toMatchObject({
      checkpointPrefix: 'checkpoints/c1',
      checkpointFullEvery: 10,
      checkpointMaxIncrementRatio: 1,
    });
    expect(keyOf(() => loadConfig({ ...base, RIPPLE_CONFIG_FILE: '/nonexistent/ripple.json' }))).toBe(
      'config_file',
    );
  });

  it("refuses a misspelled RIPPLE_* variable naming the closest key, accepts the other apps' keys and tooling variables", () => {
    let err: unknown;
    try {
      loadConfig({ ...base, RIPPLE_WORKR_ID: 'w-1' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UnknownConfigError);
    expect((err as UnknownConfigError).key).toBe('worker_id');
    expect((err as UnknownConfigError).variable).toBe('RIPPLE_WORKER_ID');
    expect((err as Error).message).toBe(
      'unknown variable RIPPLE_WORKR_ID: did you mean RIPPLE_WORKER_ID (key worker_id, worker)?',
    );
    expect(keyOf(() => loadConfig({ ...base, RIPPLE_CHECKPONT_MODE: 'cluster' }))).toBe('checkpoint_mode');
    // a shared ConfigMap gives the worker the coordinator's and the checkpointer's keys: ignored
    expect(
      loadConfig({ ...base, RIPPLE_VNODES: '64', RIPPLE_STORE: 'dir', RIPPLE_DEV_WORKERS: '3' }).workerId,
    ).toBe('w-0');
  });

  it('reads a JSON file, with the environment winning', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ripple-cfg-'));
    const file = join(dir, 'c.json');
    writeFileSync(
      file,
      JSON.stringify({ checkpoint_interval_sec: 3, num_partitions: 16, partitions: '0-3' }),
    );
    const c = loadConfig({ ...base, RIPPLE_CONFIG_FILE: file, RIPPLE_NUM_PARTITIONS: '32' });
    expect([c.checkpointIntervalSec, c.numPartitions, c.partitions]).toEqual([3, 32, [0, 1, 2, 3]]);
    writeFileSync(file, JSON.stringify({ checkpoint_interval_sec: -1 }));
    expect(keyOf(() => loadConfig({ ...base, RIPPLE_CONFIG_FILE: file }))).toBe('checkpoint_interval_sec');
  });

  it('parses partition lists', () => {
    expect(parsePartitions('0-2,5,7-8', 10)).toEqual([0, 1, 2, 5, 7, 8]);
    expect(() => parsePartitions('1,1', 10)).toThrowError(/twice/);
    expect(() => parsePartitions('3-1', 10)).toThrowError(/empty/);
  });
});

describe('worker lifecycle', () => {
  it('follows Starting -> Recovering -> Active -> Draining -> Stopping -> Stopped', () => {
    const l = new Lifecycle();
    const seen: string[] = [];
    l.onTransition((_f, t) => seen.push(t));
    for (const s of ['recovering', 'active', 'draining', 'stopping', 'stopped'] as const) l.transition(s);
    expect(seen).toEqual(['recovering', 'active', 'draining', 'stopping', 'stopped']);
  });

  it('rejects invalid transitions', () => {
    const l = new Lifecycle();
    expect(() => l.transition('draining')).toThrowError(LifecycleError);
    l.transition('active');
    expect(l.ready).toBe(true);
    expect(() => l.transition('stopped')).toThrowError(/active -> stopped/);
    l.transition('failed');
    expect(l.healthy).toBe(false);
    expect(() => l.transition('active')).toThrowError(LifecycleError);
  });
});
