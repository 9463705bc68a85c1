import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { needs, preflight, processes } from '../dev.ts';

const SCRIPT = join(import.meta.dirname, '..', 'dev.ts');

describe('scripts/dev.ts (pnpm turbo dev)', () => {
  it('without the services set, each role says exactly what to run (exit 1)', async () => {
    const r = await new Promise<{ code: number; err: string }>((resolve) =>
      execFile(process.execPath, [SCRIPT, 'workers'], { env: { PATH: process.env.PATH } }, (e, _o, err) =>
        resolve({ code: (e as { code?: number } | null)?.code ?? 0, err }),
      ),
    );
    expect(r.code).toBe(1);
    expect(r.err).toContain('ripple dev workers: NATS_URL, S3_ENDPOINT, KAFKA_BROKERS, S3_BUCKET not set');
    expect(r.err).toContain('pnpm infra:up && source infra/.run/env && pnpm turbo dev');
  });

  it('set but not answering: names the service and its variable', async () => {
    // a port that was just free: nothing listens there
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const a = s.address();
        s.close(() => resolve(typeof a === 'object' && a !== null ? a.port : 0));
      });
    });
    const msg = await preflight('coordinator', { NATS_URL: `nats://127.0.0.1:${port}` });
    expect(msg).toContain(`NATS (NATS_URL=nats://127.0.0.1:${port}) does not answer`);
    expect(msg).toContain('pnpm infra:up');
    const up = await new Promise<{ port: number; close: () => void }>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const a = s.address();
        resolve({ port: typeof a === 'object' && a !== null ? a.port : 0, close: () => s.close() });
      });
    });
    try {
      expect(await preflight('coordinator', { NATS_URL: `nats://127.0.0.1:${up.port}` })).toBeNull();
    } finally {
      up.close();
    }
  });

  it('roles: which services, and N workers with their own ports in one cluster', () => {
    expect(needs('coordinator', {}).missing).toEqual(['NATS_URL']);
    const ws = processes('workers', { RIPPLE_DEV_WORKERS: '4', RIPPLE_CLUSTER: 'c1' });
    expect(ws.map((w) => w.name)).toEqual(['dev-worker-0', 'dev-worker-1', 'dev-worker-2', 'dev-worker-3']);
    expect(new Set(ws.flatMap((w) => [w.env.RIPPLE_HEALTH_PORT, w.env.RIPPLE_METRICS_PORT])).size).toBe(8);
    for (const w of ws)
      expect(w.env).toMatchObject({
        RIPPLE_CLUSTER: 'c1',
        RIPPLE_SOURCE: 'kafka',
        RIPPLE_NUM_PARTITIONS: '8',
        RIPPLE_CHECKPOINT_MODE: 'cluster',
      });
    expect(processes('workers', { RIPPLE_S3_PREFIX: 'ck/x' })[0]?.env.RIPPLE_CHECKPOINT_PREFIX).toBe('ck/x');
    expect(processes('workers', {})[0]?.env.RIPPLE_CHECKPOINT_PREFIX).toBeUndefined();
    expect(processes('coordinator', {})[0]?.env.RIPPLE_CLUSTER).toBe('dev');
  });
});
