/**
 * Auto-instrumentation, as the apps run (`node --import @ripple/telemetry/register`),
 * against the real Jaeger, S3 and Kafka: a process serves an HTTP request (a
 * server span; its /metrics probe untraced), writes an object to S3 inside a
 * span (an `S3.PutObject` span as its child, the HTTP PUT under it) and sends
 * to Kafka inside another (a `kafka send` child, from @platformatic/kafka's
 * diagnostics channels); the real coordinator (NATS from the environment)
 * answers GET /status and a dashboard asset with HTTP server spans.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Admin } from '@platformatic/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, requireEnv, uniqueId } from './helpers.ts';

const env = requireEnv(
  'KAFKA_BROKERS',
  'JAEGER_QUERY_URL',
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'S3_ENDPOINT',
  'NATS_URL',
);
const brokers = env.KAFKA_BROKERS.split(',');
const ROOT = join(import.meta.dirname, '..', '..');
const fixture = join(import.meta.dirname, 'fixtures', 'auto-instrumented.ts');

interface JaegerSpan {
  spanID: string;
  operationName: string;
  references?: Array<{ spanID: string }>;
  tags: Array<{ key: string; value: unknown }>;
}

async function spans(service: string): Promise<JaegerSpan[]> {
  const r = await fetch(`${env.JAEGER_QUERY_URL}/api/traces?service=${service}&limit=100&lookback=1h`);
  const body = (await r.json()) as { data?: Array<{ spans: JaegerSpan[] }> };
  return (body.data ?? []).flatMap((t) => t.spans);
}

describe('auto-instrumentation (--import @ripple/telemetry/register)', () => {
  const topic = `dash-auto-${uniqueId()}`;
  const admin = new Admin({ clientId: 'dash-auto-it', bootstrapBrokers: brokers });

  beforeAll(async () => {
    await admin.createTopics({ topics: [topic], partitions: 1, replicas: 1 });
  });

  afterAll(async () => {
    await admin.deleteTopics({ topics: [topic] }).catch(() => {});
    await admin.close();
  });

  it('an HTTP server span, an S3 PutObject span under its parent, a kafka send span under its parent', async () => {
    const service = `ripple-auto-it-${uniqueId()}`;
    const child = spawn(
      process.execPath,
      ['--conditions=@ripple/source', '--import', '@ripple/telemetry/register', fixture],
      {
        cwd: ROOT,
        env: { ...process.env, AUTO_TEST_SERVICE: service, AUTO_TEST_TOPIC: topic },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout.on('data', (d) => (out += String(d)));
    child.stderr.on('data', (d) => (out += String(d)));
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    expect(code, out).toBe(0);
    const all = await eventually('the spans in Jaeger', 30_000, async () => {
      const s = await spans(service);
      const names = new Set(s.map((x) => x.operationName));
      return ['S3.PutObject', 'kafka send', 'fixture.checkpoint', 'fixture.batch'].every((n) => names.has(n))
        ? s
        : undefined;
    });
    const kind = (s: JaegerSpan) => s.tags.find((t) => t.key === 'span.kind')?.value;
    const byId = new Map(all.map((s) => [s.spanID, s]));
    const parentOf = (s: JaegerSpan) => byId.get(s.references?.[0]?.spanID ?? '')?.operationName;
    const servers = all.filter((s) => kind(s) === 'server');
    expect(servers.map((s) => s.operationName)).toEqual(['GET']); // /status; the /metrics probe is not traced
    expect(servers[0]?.tags.find((t) => t.key === 'http.target' || t.key === 'url.path')?.value).toBe(
      '/status',
    );
    const put = all.find((s) => s.operationName === 'S3.PutObject')!;
    expect(parentOf(put)).toBe('fixture.checkpoint');
    expect(all.some((s) => s.operationName === 'PUT' && parentOf(s) === 'S3.PutObject')).toBe(true);
    const send = all.find((s) => s.operationName === 'kafka send')!;
    expect(parentOf(send)).toBe('fixture.batch');
    expect(kind(send)).toBe('producer');
    expect(send.tags.find((t) => t.key === 'messaging.destination.name')?.value).toBe(topic);
  }, 90_000);

  it('the coordinator (its real entry point) answers GET /status with an HTTP server span', async () => {
    const service = `ripple-coordinator-auto-it-${uniqueId()}`;
    const child = spawn(
      process.execPath,
      [
        '--conditions=@ripple/source',
        '--import',
        '@ripple/telemetry/register',
        join(ROOT, 'apps/coordinator/src/main.ts'),
      ],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          OTEL_SERVICE_NAME: service,
          RIPPLE_COORDINATOR_ID: 'auto-it',
          RIPPLE_CLUSTER: `auto-it-${uniqueId().replace(/[^A-Za-z0-9]/g, '')}`.slice(0, 60),
          RIPPLE_API_PORT: '0',
          RIPPLE_HEALTH_PORT: '0',
          RIPPLE_METRICS_PORT: '0',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let log = '';
    const exited = new Promise<number | null>((r) => child.once('exit', r));
    try {
      const api = await new Promise<number>((resolve, reject) => {
        const take = (d: Buffer) => {
          log += String(d);
          const m = /"api":(\d+)/.exec(log);
          if (m !== null) resolve(Number(m[1]));
        };
        child.stdout.on('data', take);
        child.stderr.on('data', take);
        void exited.then((c) => reject(new Error(`coordinator exited ${c}: ${log}`)));
      });
      await eventually('/status answers', 20_000, async () => {
        const r = await fetch(`http://127.0.0.1:${api}/status`);
        return r.status === 200 ? true : undefined;
      });
      await fetch(`http://127.0.0.1:${api}/dashboard/app.js`);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
    const servers = await eventually('the server spans in Jaeger', 30_000, async () => {
      const s = (await spans(service)).filter(
        (x) => x.tags.find((t) => t.key === 'span.kind')?.value === 'server',
      );
      return s.length >= 2 ? s : undefined;
    });
    const targets = servers.map(
      (s) => s.tags.find((t) => t.key === 'http.target' || t.key === 'url.path')?.value,
    );
    expect(targets).toContain('/status');
    expect(targets).toContain('/dashboard/app.js');
  }, 90_000);
});
