/**
 * NATS security with our own auth-enabled nats-server (started here on a
 * free port, stopped by pid): an unauthenticated client is refused, and
 * subject permissions limit a worker's credentials to its own subjects.
 * Credentials reach the client through natsAuthFromEnv from a mounted file.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { clusterSubjects } from '@ripple/protocol';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { NatsBus, natsAuthFromEnv } from '../src/index.ts';

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a !== null ? a.port : 0));
    });
  });

describe('NATS auth and subject permissions (own nats-server)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ripple-nats-auth-'));
  const s = clusterSubjects('sec');
  let server: ChildProcess | undefined;
  let url = '';

  beforeAll(async () => {
    const port = await freePort();
    url = `nats://127.0.0.1:${port}`;
    writeFileSync(
      join(dir, 'server.conf'),
      `
authorization {
  users = [
    { user: coordinator, password: "coord-secret-1", permissions: { publish: ">", subscribe: ">" } }
    { user: w1, password: "w1-secret-2", permissions: {
        publish: { allow: ["${s.prefix}.worker.w1.>", "${s.register}", "_INBOX.>"] }
        subscribe: { allow: ["${s.prefix}.rebalance.w1.>", "${s.assignment}", "_INBOX.>"] }
    } }
  ]
}
`,
    );
    writeFileSync(join(dir, 'w1.password'), 'w1-secret-2\n');
    server = spawn('nats-server', ['-c', join(dir, 'server.conf'), '-a', '127.0.0.1', '-p', String(port)], {
      stdio: 'ignore',
    });
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        const nc = await connect({
          servers: url,
          user: 'coordinator',
          pass: 'coord-secret-1',
          reconnect: false,
        });
        await nc.close();
        break;
      } catch (e) {
        if (Date.now() > deadline) throw new Error(`nats-server did not start on ${url}: ${String(e)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  });

  afterAll(() => {
    if (server?.pid !== undefined) process.kill(server.pid, 'SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  test('a client without credentials is refused', async () => {
    await expect(connect({ servers: url, reconnect: false })).rejects.toThrow(/Authorization/i);
    await expect(connect({ servers: url, user: 'w1', pass: 'wrong', reconnect: false })).rejects.toThrow(
      /Authorization/i,
    );
  });

  test('a worker publishes and subscribes on its own subjects only', async () => {
    const auth = natsAuthFromEnv({
      RIPPLE_NATS_USER: 'w1',
      RIPPLE_NATS_PASSWORD_FILE: join(dir, 'w1.password'),
    });
    expect(auth.method).toBe('user_password');
    expect(auth.describe).toBe('user w1');
    expect(JSON.stringify(auth.describe)).not.toContain('secret');
    const coord = await connect({ servers: url, user: 'coordinator', pass: 'coord-secret-1' });
    const errors: string[] = [];
    const worker: NatsConnection = await connect({ servers: url, ...auth.options });
    (async () => {
      for await (const st of worker.status()) if (st.type === 'error') errors.push(String(st.error));
    })().catch(() => {});
    try {
      const got: string[] = [];
      coord.subscribe(s.allHeartbeats, {
        callback: (_e, m) => {
          got.push(m.subject);
        },
      });
      await coord.flush();
      const bus = new NatsBus(worker);
      bus.publish(s.heartbeat('w1'), new TextEncoder().encode('{}'));
      bus.publish(s.heartbeat('w2'), new TextEncoder().encode('{}')); // another worker's subject
      await worker.flush();
      await new Promise((r) => setTimeout(r, 300));
      expect(got).toEqual([s.heartbeat('w1')]);

      // its own rebalance subjects arrive; another worker's cannot be subscribed
      const mine: string[] = [];
      bus.subscribe(s.rebalanceFor('w1'), (m) => mine.push(m.subject));
      bus.subscribe(s.rebalanceFor('w2'), () => {
        throw new Error('must never be delivered');
      });
      await worker.flush();
      await new Promise((r) => setTimeout(r, 200));
      coord.publish(s.revoke('w1'), new TextEncoder().encode('{}'));
      coord.publish(s.revoke('w2'), new TextEncoder().encode('{}'));
      await coord.flush();
      await new Promise((r) => setTimeout(r, 300));
      expect(mine).toEqual([s.revoke('w1')]);
      expect(errors.join('\n')).toMatch(
        /Permissions Violation for Publish to "ripple\.sec\.worker\.w2\.heartbeat"/,
      );
      expect(errors.join('\n')).toMatch(
        /Permissions Violation for Subscription to "ripple\.sec\.rebalance\.w2\.\*"/,
      );
    } finally {
      await worker.close();
      await coord.close();
    }
  });
});
