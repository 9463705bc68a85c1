// A paused worker (SIGSTOP past the failure timeout) over the real NATS: the
// coordinator process moves its partitions away under new epochs; when the
// worker resumes (SIGCONT) with its stale copies, the coordinator fences them
// (revoke with rebalance id `fence-*`), the zombie drops them, and no partition
// ends up held under an epoch the coordinator does not count on. The workers
// are scripts/demo-worker.ts processes (the production WorkerAgent with an
// in-memory host); the data-plane half of fencing (Kafka producer epochs,
// epoch-checked manifests) needs the real worker and is not tested here.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import {
  clusterSubjects,
  decodeControlMessage,
  encodeControlMessage,
  type Heartbeat,
  type StatusResponse,
} from '@ripple/protocol';
import { afterAll, describe, expect, test } from 'vitest';
import { eventually, requireEnv, uniqueId } from './helpers.ts';

describe('zombie worker (SIGSTOP / SIGCONT) against the coordinator process', () => {
  const { NATS_URL } = requireEnv('NATS_URL');
  const cluster = `it-zombie-${uniqueId()}`;
  const s = clusterSubjects(cluster);
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const env = {
    ...process.env,
    NATS_URL,
    RIPPLE_CLUSTER: cluster,
    RIPPLE_NUM_PARTITIONS: '12',
    RIPPLE_HEARTBEAT_INTERVAL_SEC: '0.1',
    RIPPLE_FAILURE_DETECTION_TIMEOUT_SEC: '0.8',
    RIPPLE_LEASE_TTL_SEC: '0.8',
    RIPPLE_API_PORT: '0',
    RIPPLE_HEALTH_PORT: '0',
    RIPPLE_METRICS_PORT: '0',
    RIPPLE_COORDINATOR_ID: 'zc',
  };
  const procs: ChildProcess[] = [];
  let nc: NatsConnection | undefined;
  const run = (file: string, ...args: string[]) => {
    const p = spawn(process.execPath, ['--conditions=@ripple/source', `${root}/${file}`, ...args], {
      env,
      stdio: 'ignore',
    });
    procs.push(p);
    return p;
  };

  afterAll(async () => {
    for (const p of procs) if (p.pid !== undefined && p.exitCode === null) process.kill(p.pid, 'SIGKILL');
    if (nc !== undefined) {
      for (const b of [s.leaseBucket, s.stateBucket])
        await (await new Kvm(nc).open(b)).destroy().catch(() => {});
      await nc.drain();
    }
  });

  test('stale copies are fenced after the pause; the table stays single-owner', async () => {
    nc = await connect({ servers: NATS_URL });
    const conn = nc;
    const beats = new Map<string, Heartbeat>();
    conn.subscribe(s.allHeartbeats, {
      callback: (_e, m) => {
        const hb = decodeControlMessage(m.data);
        if (hb.type === 'heartbeat') beats.set(hb.workerId, hb);
      },
    });
    const fences: number[] = [];
    conn.subscribe(s.rebalanceFor('w1'), {
      callback: (_e, m) => {
        const msg = decodeControlMessage(m.data);
        if (msg.type === 'revoke' && msg.rebalanceId.startsWith('fence-')) fences.push(...msg.partitions);
      },
    });
    const status = async () => {
      const reply = await conn.request(
        s.status,
        encodeControlMessage({ type: 'status_request', v: 1, requestId: 'z' }),
        { timeout: 1000 },
      );
      return decodeControlMessage(reply.data) as StatusResponse;
    };
    const settled = (st: StatusResponse, workers: string[]) =>
      st.unassigned.length === 0 &&
      st.partitions!.every((p) => p.movingTo === null) &&
      new Set(st.partitions!.map((p) => p.workerId)).size === workers.length &&
      st.partitions!.every((p) => workers.includes(p.workerId!));

    run('apps/coordinator/src/main.ts');
    const w1 = run('scripts/demo-worker.ts', 'w1');
    run('scripts/demo-worker.ts', 'w0');
    run('scripts/demo-worker.ts', 'w2');
    const before = await eventually('three workers own everything', 30_000, async () => {
      const st = await status();
      return settled(st, ['w0', 'w1', 'w2']) ? st : undefined;
    });
    const w1Had = before.partitions!.filter((p) => p.workerId === 'w1');
    expect(w1Had.length).toBeGreaterThan(0);

    // pause w1 past the failure timeout: its partitions move under new epochs
    process.kill(w1.pid!, 'SIGSTOP');
    const moved = await eventually('w1 declared dead, partitions moved', 15_000, async () => {
      const st = await status();
      return settled(st, ['w0', 'w2']) ? st : undefined;
    });
    for (const p of w1Had) expect(moved.partitions![p.partition]!.epoch).toBeGreaterThan(p.epoch);

    // resume: the zombie still believes it owns w1Had; the coordinator fences those copies
    process.kill(w1.pid!, 'SIGCONT');
    const after = await eventually('w1 back, fenced and reassigned', 20_000, async () => {
      const st = await status();
      const hb = beats.get('w1');
      if (!settled(st, ['w0', 'w1', 'w2']) || hb === undefined) return undefined;
      // every copy w1 holds is one the coordinator counts on: its owner, at the current epoch
      const consistent = hb.partitions.every(
        (h) =>
          st.partitions![h.partition]!.workerId === 'w1' && st.partitions![h.partition]!.epoch === h.epoch,
      );
      return consistent && hb.partitions.length === st.partitions!.filter((p) => p.workerId === 'w1').length
        ? st
        : undefined;
    });
    expect(fences.length).toBeGreaterThan(0);
    expect(new Set(fences).size).toBeLessThanOrEqual(w1Had.length);
    for (const p of fences) expect(w1Had.map((x) => x.partition)).toContain(p);
    // partitions w1 owns again carry epochs newer than the ones it held before the pause
    for (const p of after.partitions!.filter((x) => x.workerId === 'w1')) {
      const old = w1Had.find((x) => x.partition === p.partition);
      if (old !== undefined) expect(p.epoch).toBeGreaterThan(old.epoch);
    }
    process.stdout.write(
      `${JSON.stringify({ suite: 'zombie', paused_partitions: w1Had.length, fenced: [...new Set(fences)].length })}\n`,
    );
  }, 90_000);
});
