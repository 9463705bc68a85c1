import {
  decodeDeltaBatch,
  decodeTradeBatch,
  SchemaRegistry,
  type Trade,
  TradeBatchEncoder,
} from '@ripple/protocol';
import { apply, type Value } from '@ripple/stream';
import { xorshift } from '@ripple/trades';
import { describe, expect, it } from 'vitest';
import { MemorySink, MemorySnapshotStore, MemorySource, MemoryTopic } from '../src/adapters/memory.ts';
import { loadConfig, type WorkerConfig } from '../src/config.ts';
import { VWAP_OUTPUT_SCHEMA } from '../src/jobs/vwap/schemas.ts';
import { vwapJob } from '../src/jobs/vwap/vwap-job.ts';
import { WorkerMetrics } from '../src/metrics.ts';
import type { Clock } from '../src/ports.ts';
import { Worker } from '../src/worker.ts';
import { oracle } from './vwap-oracle.ts';

// The worker end to end on in-memory ports: the same code as with Kafka and S3,
// deterministic, with crashes (the worker object abandoned mid-stream) and a
// failing snapshot store injected at the seams.

const PARTITIONS = 3;
const SEC = 1_000_000_000n;

interface Input {
  topic: MemoryTopic;
  /** Valid trades per partition in offset order (the oracle's input). */
  trades: Trade[][];
  malformed: number;
}

/** Trades over 12 symbols, 3 partitions; event time mostly increasing, some out of order, some very late; some garbage records. */
function produce(records: number, seed: number): Input {
  const rnd = xorshift(seed);
  const topic = new MemoryTopic('trades', PARTITIONS);
  const trades: Trade[][] = Array.from({ length: PARTITIONS }, () => []);
  const clock = [0n, 0n, 0n];
  let malformed = 0;
  for (let i = 0; i < records; i++) {
    const partition = rnd() % PARTITIONS;
    if (rnd() % 40 === 0) {
      const junk = new Uint8Array(1 + (rnd() % 50)).map(() => rnd() & 0xff);
      if (rnd() % 2 === 0) junk[0] = 0x52; // looks like a frame, is not
      topic.append(partition, junk);
      malformed++;
      continue;
    }
    const enc = new TradeBatchEncoder();
    const n = 1 + (rnd() % 20);
    const batch: Trade[] = [];
    for (let j = 0; j < n; j++) {
      clock[partition] = (clock[partition] as bigint) + BigInt(rnd() % 400) * 1_000_000n; // 0..400 ms
      let ts = clock[partition] as bigint;
      const r = rnd() % 100;
      if (r < 10)
        ts -= BigInt(rnd() % 3000) * 1_000_000n; // out of order, within 3 s
      else if (r < 12) ts -= 90n * SEC; // far beyond lateness: side output
      if (ts < 0n) ts = 0n;
      const t: Trade = {
        symbol: `S${partition}${rnd() % 4}`,
        price: 100 + (rnd() % 1000) / 10,
        size: 1 + (rnd() % 300),
        timestampNs: ts,
        venue: 'XNAS',
      };
      enc.add(t);
      batch.push(t);
    }
    topic.append(partition, enc.finish({ sequence: i }));
    trades[partition]?.push(...batch);
  }
  return { topic, trades, malformed };
}

function config(overrides: Record<string, string> = {}): WorkerConfig {
  return loadConfig({
    RIPPLE_WORKER_ID: 'w-test',
    RIPPLE_SOURCE: 'memory',
    RIPPLE_SNAPSHOT_STORE: 'memory',
    RIPPLE_NUM_PARTITIONS: String(PARTITIONS),
    RIPPLE_PARTITIONS: `0-${PARTITIONS - 1}`,
    RIPPLE_WINDOW: '10s',
    RIPPLE_LATENESS: '5s',
    RIPPLE_OUT_OF_ORDERNESS: '1s',
    RIPPLE_MAX_BATCH_RECORDS: '7',
    RIPPLE_CHECKPOINT_INTERVAL_SEC: '1',
    ...overrides,
  });
}

/** A clock that advances 300 ms per reading: checkpoints happen every few steps, deterministically. */
function steppingClock(): Clock {
  let ms = 0;
  return {
    nowMs: () => (ms += 300),
    nowNs: () => BigInt(ms) * 1_000_000n,
  };
}

interface World {
  input: Input;
  out: MemoryTopic;
  dlq: MemoryTopic;
  late: MemoryTopic;
  store: MemorySnapshotStore;
}

function world(records: number, seed: number): World {
  return {
    input: produce(records, seed),
    out: new MemoryTopic('vwap-output', PARTITIONS),
    dlq: new MemoryTopic('trades-dlq', PARTITIONS),
    late: new MemoryTopic('trades-late', PARTITIONS),
    store: new MemorySnapshotStore(),
  };
}

function newWorker(w: World, cfg = config()): Worker {
  const topics = new Map([w.out, w.dlq, w.late].map((t) => [t.name, t]));
  return new Worker({
    config: cfg,
    job: vwapJob,
    source: new MemorySource(w.input.topic),
    sink: new MemorySink(topics),
    store: w.store,
    metrics: new WorkerMetrics(cfg.workerId),
    clock: steppingClock(),
    lateTopic: 'trades-late',
    retryBackoffMs: { first: 1, max: 4 },
  });
}

/** Final value per (symbol, window) from the output topic, plus how many records were re-emits. */
function finalValues(out: MemoryTopic): {
  values: Map<string, unknown>;
  records: number;
  duplicates: number;
} {
  const schemas = new SchemaRegistry();
  schemas.register(VWAP_OUTPUT_SCHEMA);
  const values = new Map<string, Value>();
  let records = 0;
  let duplicates = 0;
  for (const part of out.partitions) {
    let maxSeq = -1;
    for (const rec of part) {
      const batch = decodeDeltaBatch(rec.value as Uint8Array, { schemas });
      for (const r of batch.records) {
        records++;
        if (r.sequence <= maxSeq) duplicates++;
        maxSeq = Math.max(maxSeq, r.sequence);
        const k = `${r.key}@${r.window.startNs}`;
        const v = apply(r.delta, values.get(k));
        if (v === undefined) values.delete(k);
        else values.set(k, v);
      }
    }
  }
  return { values, records, duplicates };
}

async function runToEnd(wk: Worker): Promise<void> {
  while ((await wk.step()) > 0) {}
  await wk.flushWindows();
}

describe('worker on in-memory ports', () => {
  it('computes exactly what an independent oracle computes; malformed records go to the DLQ', async () => {
    const w = world(400, 1);
    const wk = newWorker(w);
    await wk.start();
    expect(wk.lifecycle.state).toBe('Active');
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
    expect(a.lifecycle.state).toBe('Stopped');
    const before = finalValues(w.out);
    const b = newWorker(w);
    await b.start();
    expect(b.lifecycle.state).toBe('Recovering');
    await runToEnd(b);
    expect(b.lifecycle.state).toBe('Active');
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
