import { describe, expect, it } from 'vitest';
import { WorkerMetrics } from '../src/metrics.ts';
import {
  config,
  contractConsumer,
  finalValues,
  newWorker,
  runToEnd,
  type World,
  world,
} from './memory-world.ts';

// Recovery never silently starts over (issue 9): an unreadable store is
// waited for, a corrupt newest snapshot falls back to an older one, an
// unusable or incompatible history stops the partition, and output sequence
// numbers continue across restarts so a consumer following the contract ends
// exactly where a single uninterrupted run ends.

/** A run with checkpoints, then a crash (the worker abandoned, nothing drained). */
async function runAndCrash(w: World, steps: number): Promise<void> {
  const a = newWorker(w);
  await a.start();
  for (let i = 0; i < steps; i++) {
    await a.step();
    await a.waitForCheckpoints(1000);
  }
}

async function golden(records: number, seed: number) {
  const g = world(records, seed);
  const wk = newWorker(g);
  await wk.start();
  await runToEnd(wk);
  return contractConsumer(g.out);
}

const flip = (b: Uint8Array) => {
  b[b.length - 10] = (b[b.length - 10] as number) ^ 0xff;
};

/** Sum of a metric's values. */
async function metric(m: WorkerMetrics, name: string): Promise<number> {
  const metric = m.registry.getSingleMetric(name);
  if (metric === undefined) throw new Error(`no metric ${name}`);
  return (await metric.get()).values.reduce((n, v) => n + v.value, 0);
}

describe('recovery', () => {
  it('an unreadable store at start is retried while not ready; it never starts the partitions empty', async () => {
    const w = world(400, 31);
    await runAndCrash(w, 30);
    expect(w.store.count(0)).toBeGreaterThan(0);
    w.store.failWith = new Error('S3 down');
    const m = new WorkerMetrics('w-b');
    const b = newWorker(w, config(), m);
    let started = false;
    const starting = b.start().then(() => {
      started = true;
    });
    await new Promise((r) => setTimeout(r, 60));
    expect(started).toBe(false);
    expect(b.lifecycle.state).toBe('starting');
    expect(b.ready).toBe(false);
    expect(await metric(m, 'ripple_worker_recovery_store_errors_total')).toBeGreaterThan(1);
    w.store.failWith = null;
    await starting;
    expect(b.progress().every((p) => (p.nextOffset ?? 0n) > 0n)).toBe(true); // restored, not from the start
    await runToEnd(b);
    const want = await golden(400, 31);
    const got = contractConsumer(w.out);
    expect(got.values).toEqual(want.values);
    expect(got.sequences).toEqual(want.sequences);
  });

  it('a corrupt newest snapshot falls back to the newest valid older one; sequences continue', async () => {
    const w = world(400, 32);
    await runAndCrash(w, 40);
    expect(w.store.count(0)).toBeGreaterThanOrEqual(2);
    w.store.corruptLatest(0, flip);
    const m = new WorkerMetrics('w-b');
    const b = newWorker(w, config(), m);
    await b.start();
    expect(b.progress().find((p) => p.partition === 0)?.nextOffset ?? 0n).toBeGreaterThan(0n);
    expect(await metric(m, 'ripple_worker_snapshot_fallbacks_total')).toBe(1);
    expect(b.ready).toBe(false); // still replaying
    await runToEnd(b);
    expect(b.ready).toBe(true);
    const want = await golden(400, 32);
    const got = contractConsumer(w.out);
    expect(got.values).toEqual(want.values);
    expect(got.sequences).toEqual(want.sequences);
    expect(got.dropped).toBeGreaterThan(0); // the replay re-emitted, the consumer dropped by sequence
  });

  it('no usable snapshot left: the partition does not start, the worker is not ready, the error says why', async () => {
    const w = world(300, 33);
    await runAndCrash(w, 30);
    w.store.corruptAll(0, flip);
    const b = newWorker(w);
    await b.start();
    expect(b.owned()).toEqual([1, 2]);
    expect(b.ready).toBe(false);
    const [f] = b.failures();
    expect(f?.partition).toBe(0);
    expect(f?.code).toBe('WORKER_RECOVERY_FAILED');
    expect(f?.error).toMatch(/PROTO_CRC_MISMATCH|CRC/);
    await runToEnd(b);
    expect(b.ready).toBe(false);
    expect(b.progress().map((p) => p.partition)).toEqual([1, 2]);

    // The documented flag starts it empty instead; the output is still exact by value.
    const c = newWorker(w, config({ RIPPLE_RECOVERY_ALLOW_RESET: 'true' }));
    await c.start();
    expect(c.owned()).toEqual([0, 1, 2]);
    await runToEnd(c);
    expect(c.ready).toBe(true);
    expect(finalValues(w.out).values).toEqual((await golden(300, 33)).values);
  });

  it('a snapshot taken with another window spec is refused, naming what changed', async () => {
    const w = world(300, 34);
    await runAndCrash(w, 30);
    const b = newWorker(w, config({ RIPPLE_WINDOW: '20s' }));
    await b.start();
    expect(b.owned()).toEqual([]);
    expect(b.failures().map((f) => f.partition)).toEqual([0, 1, 2]);
    for (const f of b.failures()) expect(f.error).toMatch(/window spec changed/);
  });
});
