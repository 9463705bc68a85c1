import { describe, expect, test } from 'vitest';
import {
  ConfigError,
  checkpointerSchema,
  coordinatorSchema,
  formatConfig,
  InvalidConfigError,
  loadConfig,
  MASK,
  UnknownConfigError,
  workerSchema,
} from '../src/index.ts';

const coordinatorEnv = { NATS_URL: 'nats://127.0.0.1:4222', RIPPLE_COORDINATOR_ID: 'c-a' };

function errorOf(f: () => unknown): ConfigError {
  try {
    f();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  test('typed values with their source: default, env, file (the environment wins over the file)', () => {
    const files: Record<string, string> = { '/c.json': JSON.stringify({ vnodes: 64, lease_ttl_sec: 3 }) };
    const c = loadConfig(
      coordinatorSchema,
      { ...coordinatorEnv, RIPPLE_CONFIG_FILE: '/c.json', RIPPLE_LEASE_TTL_SEC: '2.5' },
      { readFile: (p) => files[p] ?? '' },
    );
    expect(c.values).toMatchObject({ cluster: 'ripple', vnodes: 64, leaseTtlSec: 2.5, coordinatorId: 'c-a' });
    expect(c.sources).toMatchObject({
      cluster: 'default',
      vnodes: 'file',
      leaseTtlSec: 'env',
      natsUrl: 'env',
    });
  });

  test('every default of every schema parses (and the derived ones see earlier keys)', () => {
    const w = loadConfig(workerSchema, { HOSTNAME: 'pod-0', RIPPLE_CLUSTER: 'c1' });
    expect(w.values).toMatchObject({
      workerId: 'pod-0',
      window: '60s',
      outputFencing: 'transactional',
      checkpointCluster: 'c1',
      checkpointPrefix: 'checkpoints/c1',
    });
    expect(
      loadConfig(workerSchema, { HOSTNAME: 'pod-0', RIPPLE_SOURCE: 'memory' }).values.outputFencing,
    ).toBe('none');
    expect(loadConfig(checkpointerSchema, { HOSTNAME: 'h.x' }).values).toMatchObject({
      s3Prefix: 'checkpoints/ripple',
      instanceId: `h-x-${process.pid}`,
      natsUrl: 'nats://127.0.0.1:4222',
    });
    expect(loadConfig(coordinatorSchema, { ...coordinatorEnv }).values.apiPort).toBe(9200);
  });

  test('a bad value names its key and variable', () => {
    const cases: [Record<string, string>, string, string, RegExp][] = [
      [
        { RIPPLE_NUM_PARTITIONS: '0' },
        'num_partitions',
        'RIPPLE_NUM_PARTITIONS',
        /0 is outside \[1, 100000\]/,
      ],
      [{ RIPPLE_NUM_PARTITIONS: '1.5' }, 'num_partitions', 'RIPPLE_NUM_PARTITIONS', /is not an integer/],
      [{ RIPPLE_LEASE_TTL_SEC: '-1' }, 'lease_ttl_sec', 'RIPPLE_LEASE_TTL_SEC', /not a number of seconds/],
      [{ NATS_URL: 'nats://a:1,http://b' }, 'nats_url', 'NATS_URL', /"http:\/\/b" is not a nats:\/\/ URL/],
      [
        { OTEL_EXPORTER_OTLP_ENDPOINT: 'jaeger:4318' },
        'otlp_endpoint',
        'OTEL_EXPORTER_OTLP_ENDPOINT',
        /http/,
      ],
      [{ RIPPLE_COORDINATOR_ID: 'a b' }, 'coordinator_id', 'RIPPLE_COORDINATOR_ID', /A-Za-z0-9_-/],
    ];
    for (const [env, key, variable, detail] of cases) {
      const e = errorOf(() => loadConfig(coordinatorSchema, { ...coordinatorEnv, ...env }));
      expect(e, JSON.stringify(env)).toBeInstanceOf(InvalidConfigError);
      expect([e.key, e.variable, e.code, e.retryable]).toEqual([key, variable, 'CONFIG_INVALID', false]);
      expect(e.message).toMatch(new RegExp(`^invalid config ${key} \\(${variable}\\): `));
      expect(e.message).toMatch(detail);
    }
    const required = errorOf(() => loadConfig(coordinatorSchema, { RIPPLE_COORDINATOR_ID: 'c' }));
    expect(required.message).toBe('invalid config nats_url (NATS_URL): required');
    const noHost = errorOf(() => loadConfig(coordinatorSchema, { NATS_URL: 'nats://n:1' }));
    expect(noHost.key).toBe('coordinator_id');
    const duration = errorOf(() => loadConfig(workerSchema, { HOSTNAME: 'w', RIPPLE_WINDOW: '1 minute' }));
    expect([duration.key, duration.message]).toEqual([
      'window',
      'invalid config window (RIPPLE_WINDOW): "1 minute" is not a duration (e.g. 60s, 500ms, 1m)',
    ]);
  });

  test('a misspelled RIPPLE_* variable is refused naming the closest key and its variable', () => {
    const e = errorOf(() =>
      loadConfig(coordinatorSchema, { ...coordinatorEnv, RIPPLE_HEARTBEAT_INTERVAL: '1' }),
    );
    expect(e).toBeInstanceOf(UnknownConfigError);
    expect([e.key, e.variable, e.code]).toEqual([
      'heartbeat_interval_sec',
      'RIPPLE_HEARTBEAT_INTERVAL_SEC',
      'CONFIG_UNKNOWN',
    ]);
    expect(e.message).toBe(
      'unknown variable RIPPLE_HEARTBEAT_INTERVAL: did you mean RIPPLE_HEARTBEAT_INTERVAL_SEC (key heartbeat_interval_sec, worker, coordinator)?',
    );
    // the closest key may belong to another app: it says which
    const other = errorOf(() =>
      loadConfig(coordinatorSchema, { ...coordinatorEnv, RIPPLE_STORE_DIRR: '/x' }),
    );
    expect([other.key, other.variable]).toEqual(['store_dir', 'RIPPLE_STORE_DIR']);
    expect(other.message).toContain('checkpointer');
    // an empty misspelled variable is still a mistake
    expect(errorOf(() => loadConfig(coordinatorSchema, { ...coordinatorEnv, RIPPLE_VNODE: '' })).key).toBe(
      'vnodes',
    );
  });

  test('keys of the other apps and tooling variables are accepted (one environment is shared)', () => {
    const env = {
      ...coordinatorEnv,
      RIPPLE_SOURCE: 'kafka', // worker
      RIPPLE_STORE: 's3', // checkpointer
      RIPPLE_DEV_WORKERS: '3', // scripts/dev.ts
      RIPPLE_CI_CLUSTER: 'ci', // infra
      OTHER_TOOL_VAR: 'x', // not RIPPLE_*: not ours to judge
    };
    expect(loadConfig(coordinatorSchema, env).values.cluster).toBe('ripple');
  });

  test('config file: unknown keys refused with the closest, secrets and credentials only from the environment', () => {
    const read = (text: string) => () => text;
    const unknown = errorOf(() =>
      loadConfig(
        coordinatorSchema,
        { ...coordinatorEnv, RIPPLE_CONFIG_FILE: '/c.json' },
        {
          readFile: read('{"helth_port": 1}'),
        },
      ),
    );
    expect(unknown).toBeInstanceOf(UnknownConfigError);
    expect([unknown.key, unknown.variable, (unknown as UnknownConfigError).where]).toEqual([
      'health_port',
      'RIPPLE_HEALTH_PORT',
      'file',
    ]);
    const cred = errorOf(() =>
      loadConfig(
        coordinatorSchema,
        { ...coordinatorEnv, RIPPLE_CONFIG_FILE: '/c.json' },
        {
          readFile: read('{"nats_password": "p"}'),
        },
      ),
    );
    expect([cred.key, cred.variable]).toEqual(['nats_password', 'RIPPLE_NATS_PASSWORD']);
    for (const text of ['[1]', 'not json']) {
      const bad = errorOf(() =>
        loadConfig(
          coordinatorSchema,
          { ...coordinatorEnv, RIPPLE_CONFIG_FILE: '/c.json' },
          { readFile: read(text) },
        ),
      );
      expect([bad.key, bad.variable]).toEqual(['config_file', 'RIPPLE_CONFIG_FILE']);
    }
  });
});

describe('formatConfig (--print-config)', () => {
  test('every key with value, source and variable; secrets masked', () => {
    const loaded = loadConfig(checkpointerSchema, {
      HOSTNAME: 'h',
      S3_BUCKET: 'bucket-1',
      S3_SECRET_ACCESS_KEY: 'very-secret',
      S3_ACCESS_KEY_ID: 'AKIA123',
      RIPPLE_NATS_USER: 'ops',
      RIPPLE_NATS_PASSWORD: 'hunter2',
      RIPPLE_NATS_TOKEN: 'tok-1',
    });
    const text = formatConfig(loaded);
    for (const secret of ['very-secret', 'AKIA123', 'hunter2', 'tok-1']) expect(text).not.toContain(secret);
    expect(text).toMatch(/^s3_bucket +bucket-1 +env +S3_BUCKET$/m);
    expect(text).toMatch(/^cluster +ripple +default +RIPPLE_CLUSTER$/m);
    expect(text).toMatch(
      new RegExp(`^nats_password +${MASK.replace(/\*/g, '\\*')} +env +RIPPLE_NATS_PASSWORD$`, 'm'),
    );
    expect(text).toMatch(/^nats_user +ops +env +RIPPLE_NATS_USER$/m);
    const json = JSON.parse(formatConfig(loaded, true)) as {
      app: string;
      config: Record<string, { value: string | null; source: string; variable: string }>;
    };
    expect(json.app).toBe('checkpointer');
    expect(json.config.s3_secret_access_key).toEqual({
      value: MASK,
      source: 'env',
      variable: 'S3_SECRET_ACCESS_KEY',
    });
    expect(json.config.store_dir).toEqual({ value: null, source: 'default', variable: 'RIPPLE_STORE_DIR' });
    expect(Object.keys(json.config)).toHaveLength(Object.keys(checkpointerSchema.keys).length);
  });
});
