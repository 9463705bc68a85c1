// `pnpm start --real`: the embedded scenario on the real local services (Kafka topics, NATS, the
// S3 bucket, the checkpointer), as a process: exact against the oracle, checkpoints committed and
// the moved partitions restored through committed manifests, and nothing of the run left behind
// (its topics, KV buckets and objects); without reachable services it refuses with the command to run.
// Measured: 56 s at load 17; 114 s at load 23 (the processes take long to start there); bounded at
// 240 s, a timeout kills the run's app processes (start.ts on SIGTERM).
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { Admin } from '@platformatic/kafka';
import { S3ObjectStore } from '@ripple/object-store';
import { describe, expect, test } from 'vitest';
import { eventually, requireEnv } from './helpers.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const env = requireEnv('KAFKA_BROKERS', 'NATS_URL', 'S3_ENDPOINT', 'S3_BUCKET');

function start(args: string[], e: Record<string, string | undefined>, timeoutMs: number) {
  return new Promise<{ code: number; out: string; err: string }>((resolve) =>
    execFile(
      process.execPath,
      ['--conditions=@ripple/source', join(ROOT, 'scripts/start.ts'), ...args],
      { cwd: ROOT, env: e, timeout: timeoutMs, maxBuffer: 64 << 20 },
      (x, out, err) =>
        resolve({ code: x === null ? 0 : Number((x as { code?: number }).code ?? 1), out, err }),
    ),
  );
}

describe('pnpm start --real', () => {
  test('refuses with the command to run when the services are not reachable', async () => {
    const base = { PATH: process.env.PATH, HOME: process.env.HOME };
    const unset = await start(['--real', '--json'], base, 30_000);
    expect(unset.code).toBe(2);
    expect(unset.err).toContain('KAFKA_BROKERS, NATS_URL, S3_ENDPOINT, S3_BUCKET not set');
    expect(unset.err).toContain('pnpm infra:up && source infra/.run/env && pnpm start --real');
    const down = await start(
      ['--real', '--json'],
      {
        ...base,
        KAFKA_BROKERS: '127.0.0.1:1',
        NATS_URL: 'nats://127.0.0.1:1',
        S3_ENDPOINT: 'http://127.0.0.1:1',
        S3_BUCKET: 'b',
      },
      30_000,
    );
    expect(down.code).toBe(2);
    expect(down.err).toMatch(
      /Kafka 127\.0\.0\.1:1: ECONNREFUSED; NATS nats:\/\/127\.0\.0\.1:1: ECONNREFUSED; S3 http:\/\/127\.0\.0\.1:1: ECONNREFUSED/,
    );
    expect(down.out).toBe('');
  }, 60_000);

  test('the scenario on Kafka, NATS and S3: exact, checkpointed, restored through manifests, cleaned up', async () => {
    const r = await start(['--real', '--seconds', '15', '--json'], { ...process.env }, 230_000);
    const lines = r.out.trim().split('\n');
    const summary = JSON.parse(lines.at(-1) ?? '{}') as Record<string, unknown>;
    expect(summary, r.err.slice(-4000)).toMatchObject({
      summary: true,
      exact: true,
      missing: 0,
      wrong: 0,
      extra: 0,
      joined: true,
      killed: true,
    });
    expect(summary.windows as number).toBeGreaterThan(100);
    const ck = summary.checkpoints as { committed: number; restores: { ok: number; none: number } };
    expect(ck.committed).toBeGreaterThanOrEqual(3);
    expect(r.code).toBe(0);
    expect(summary.checkpointed).toBe(true);
    expect(ck.restores.ok).toBeGreaterThan(0); // the join's and the kill's moves, from committed manifests
    process.stdout.write(
      `${JSON.stringify({ startReal: true, checkpoints: ck, seconds: summary.seconds })}\n`,
    );
    const views = lines
      .slice(0, -1)
      .map((l) => JSON.parse(l) as { cluster: string; bus: string; workers: unknown[] });
    expect(views.some((v) => v.workers.length === 4)).toBe(true);
    const cluster = views[0]?.cluster as string;
    expect(cluster).toMatch(/^start-[0-9a-z]+$/);
    expect(views[0]?.bus).toBe(env.NATS_URL);
    // the run's traces in Jaeger, found by the resource attribute every process carries: the
    // workers' checkpoint spans with the auto-instrumented S3 and Kafka spans (the register module),
    // the coordinator's rebalances
    if (process.env.JAEGER_QUERY_URL !== undefined) {
      const ops = async (service: string) => {
        const q = new URLSearchParams({
          service,
          tags: JSON.stringify({ 'ripple.cluster': cluster }),
          limit: '500',
          lookback: '1h',
        });
        const body = (await (await fetch(`${process.env.JAEGER_QUERY_URL}/api/traces?${q}`)).json()) as {
          data: Array<{ spans: Array<{ operationName: string }> }> | null;
        };
        return new Set((body.data ?? []).flatMap((t) => t.spans.map((x) => x.operationName)));
      };
      const want = ['ripple.worker.checkpoint', 'S3.PutObject', 'kafka send'];
      const worker = await eventually("the run's worker spans in Jaeger", 30_000, async () => {
        const o = await ops('ripple-worker');
        return want.every((w) => o.has(w)) ? o : undefined;
      });
      expect([...worker].filter((o) => want.includes(o)).sort()).toEqual([...want].sort());
      expect(await ops('ripple-coordinator')).toContain('ripple.rebalance');
    }
    // nothing of the run is left: its topics, its objects
    const admin = new Admin({ clientId: 'ripple-it', bootstrapBrokers: env.KAFKA_BROKERS.split(',') });
    try {
      const topics = await admin.listTopics();
      expect(topics.filter((t) => t.startsWith(`${cluster}-`))).toEqual([]);
    } finally {
      await admin.close();
    }
    const s3 = new S3ObjectStore({
      endpoint: env.S3_ENDPOINT,
      region: process.env.S3_REGION ?? 'us-east-1',
      bucket: env.S3_BUCKET,
      accessKeyId: process.env.S3_ACCESS_KEY_ID ?? null,
      secretAccessKey: process.env.S3_SECRET_ACCESS_KEY ?? null,
    });
    try {
      expect(await s3.list(`checkpoints/${cluster}/`)).toEqual([]);
      expect(await s3.list(`${cluster}/`)).toEqual([]);
    } finally {
      s3.close();
    }
  }, 240_000);
});
