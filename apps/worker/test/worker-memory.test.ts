import { decodeTradeBatch } from '@ripple/protocol';
import { oracle } from '@ripple/test-support';
import { xorshift } from '@ripple/trades';
import { describe, expect, it } from 'vitest';
import { config, finalValues, newWorker, runToEnd, SEC, world } from './memory-world.ts';

// The worker end to end on in-memory ports: the same code as with Kafka and S3,
// deterministic, with crashes (the worker object abandoned mid-stream) and a
// failing snapshot store injected at the seams.

describe('worker on in-memory ports', () => {
  it('computes exactly what an independent oracle computes; malformed records go to the DLQ', async () => {
    const w = world(400, 1);
    const wk = newWorker(w);
    await wk.start();
    expect(wk.lifecycle.state).toBe('active');
    await runToEnd(wk);
    const { values } = finalValues(w.out);
    const o = oracle(w.input, 10n * SEC, 5n * SEC, SEC);
    expect(values.size).toBe(o.windows.size);
    for (const [k, a] of o.windows) {
      const v = values.get(k) as { vwap: number; volume: number; count: number; symbol: string } | undefined;
      expect(v, k).toBeDefined();
      expect(v?.count).toBe(a.count);
      expect(v?.volume).toBe(a.volume);
      expect(v?.vwap).toBeCloseTo(a.vwap, 9);
    }
    const dlq = w.dlq.partitions.flat();
    expect(dlq.length).toBe(w.input.malformed);
    for (const d of dlq)
      expect(d.headers['ripple-dlq-reason']).toMatch(/magic|DECODE|TRUNCATED|LENGTH|CRC|empty|[A-Z_]+/);
    const lateTrades = w.late.partitions.flat().length;
    expect(lateTrades > 0).toBe(o.late > 0);
  });

  it('enforces max_keys_per_partition: refused trades are dead-lettered, none is lost', async () => {
    const w = world(300, 21);
    const wk = newWorker(w, config({ RIPPLE_MAX_KEYS_PER_PARTITION: '2' }));
    await wk.start();
    await runToEnd(wk);
    const refused = w.dlq.partitions
      .flat()
      .filter((d) => /max_keys_per_partition \(2\)/.test(d.headers['ripple-dlq-reason'] ?? ''));
    expect(refused.length).toBeGreaterThan(0);
    const refusedTrades = refused.reduce((n, d) => n + decodeTradeBatch(d.value as Uint8Array).length, 0);
    const lateTrades = w.late.partitions
      .flat()
      .reduce((n, d) => n + decodeTradeBatch(d.value as Uint8Array).length, 0);
    const counted = [...finalValues(w.out).values.values()].reduce<number>(
      (n, v) => n + (v as { count: number }).count,
      0,
    );
    const valid = w.input.trades.reduce((n, t) => n + t.length, 0);
    expect(counted + lateTrades + refusedTrades).toBe(valid);
  });

  it('is exact across crashes at random moments, with duplicates only from replay', async () => {
    const golden = world(600, 7);
    const g = newWorker(golden);
    await g.start();
    await runToEnd(g);
    const expected = finalValues(golden.out).values;

    const w = world(600, 7);
    const rnd = xorshift(99);
    let crashes = 0;
    for (let attempt = 0; attempt < 1000; attempt++) {
      const wk = newWorker(w);
      await wk.start();
      // Run a random number of steps, then "crash": abandon the worker (no drain, no checkpoint).
      const steps = 1 + (rnd() % 12);
      let done = false;
      for (let i = 0; i < steps; i++) {
        if ((await wk.step()) === 0) {
          done = true;
          break;
        }
        if (rnd() % 3 === 0) await wk.waitForCheckpoints(1000);
      }
      if (done) {
        await wk.flushWindows();
        break;
      }
      crashes++;
    }
    expect(crashes).toBeGreaterThanOrEqual(10);
    const got = finalValues(w.out);
    expect(got.values).toEqual(expected);
    expect(got.duplicates).toBeGreaterThan(0); // replays re-emitted; idempotent deltas absorbed them
    expect(w.dlq.partitions.flat().length).toBeGreaterThanOrEqual(w.input.malformed);
  });

  it('a graceful drain checkpoints everything: a restart re-emits nothing', async () => {
    const w = world(300, 3);
    const a = newWorker(w);
    await a.start();
    for (let i = 0; i < 20; i++) await a.step();
    await a.drain();
    expect(a.lifecycle.state).toBe('stopped');
    const before = finalValues(w.out);
    const b = newWorker(w);
    await b.start();
    expect(b.lifecycle.state).toBe('recovering');
    await runToEnd(b);
    expect(b.lifecycle.state).toBe('active');
    const after = finalValues(w.out);
    expect(before.duplicates).toBe(0);
    expect(after.duplicates).toBe(0);
  });

  it('keeps processing while the snapshot store is down; a failed checkpoint never becomes latest', async () => {
    const w = world(300, 5);
    const wk = newWorker(w);
    await wk.start();
    for (let i = 0; i < 5; i++) await wk.step();
    await wk.waitForCheckpoints(1000);
    const good = await w.store.latest(0);
    w.store.failWith = new Error('S3 down');
    for (let i = 0; i < 10; i++) expect(await wk.step()).toBeGreaterThan(0);
    expect(await wk.waitForCheckpoints(50)).toBe(false);
    w.store.failWith = null;
    expect((await w.store.latest(0))?.id).toBe(good?.id);
    expect(await wk.waitForCheckpoints(2000)).toBe(true);
    expect((await w.store.latest(0))?.id).not.toBe(good?.id);
  });

  it('refuses a corrupt snapshot and falls back to an older one or to the start', async () => {
    const w = world(200, 11);
    const a = newWorker(w);
    await a.start();
    await a.drain();
    w.store.corruptLatest(0, (b) => {
      b[b.length - 10] = (b[b.length - 10] as number) ^ 0xff;
    });
    const m = newWorker(w);
    await m.start();
    await runToEnd(m);
    // Partition 0 restarted from the beginning; the output is still right.
    const golden = world(200, 11);
    const g = newWorker(golden);
    await g.start();
    await runToEnd(g);
    expect(finalValues(w.out).values).toEqual(finalValues(golden.out).values);
  });
});
