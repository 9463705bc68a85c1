import { decodeTradeBatch, type Trade, TradeBatchEncoder } from '@ripple/protocol';
import { oracle } from '@ripple/test-support';
import { describe, expect, it } from 'vitest';
import { MemorySnapshotStore, MemoryTopic } from '../src/adapters/memory.ts';
import {
  config,
  contractConsumer,
  newWorker,
  PARTITIONS,
  produce,
  runToEnd,
  SEC,
  type World,
} from './memory-world.ts';

// Poison input (issue 9): nothing a producer writes can corrupt the windows,
// stop checkpoints or make the worker write a record the broker refuses.

const HOUR = 3600n * SEC;

/** The seeded input of `produce`, with extra records spliced into partition 0 after its `at`-th record. */
function worldWith(
  records: number,
  seed: number,
  at: number,
  extra: Array<{ value: Uint8Array; headers?: Record<string, string>; valid?: Trade[] }>,
): World {
  const base = produce(records, seed);
  const topic = new MemoryTopic('trades', PARTITIONS);
  const trades: Trade[][] = base.trades.map(() => []);
  for (let p = 0; p < PARTITIONS; p++) {
    const log = base.topic.partitions[p] ?? [];
    for (let i = 0; i < log.length; i++) {
      const r = log[i] as { value: Uint8Array | null; headers: Record<string, string> };
      topic.append(p, r.value, r.headers);
      if (p === 0 && i === at) for (const e of extra) topic.append(0, e.value, e.headers ?? {});
    }
  }
  // Oracle input: the valid trades in offset order (the extra ones after record `at` of partition 0).
  for (let p = 0; p < PARTITIONS; p++) {
    const mine = base.trades[p] ?? [];
    if (p !== 0) trades[p] = [...mine];
  }
  const p0: Trade[] = [];
  const log0 = base.topic.partitions[0] ?? [];
  let k = 0;
  for (let i = 0; i < log0.length; i++) {
    const v = log0[i]?.value;
    let decoded: Trade[] = [];
    try {
      decoded = v ? decodeTradeBatch(v) : [];
    } catch {
      decoded = [];
    }
    for (const t of decoded) {
      p0.push(base.trades[0]?.[k] ?? t);
      k++;
    }
    if (i === at) for (const e of extra) p0.push(...(e.valid ?? []));
  }
  trades[0] = p0;
  return {
    input: { topic, trades, malformed: base.malformed },
    out: new MemoryTopic('vwap-output', PARTITIONS),
    dlq: new MemoryTopic('trades-dlq', PARTITIONS),
    late: new MemoryTopic('trades-late', PARTITIONS),
    store: new MemorySnapshotStore(),
  };
}

function frame(trades: Trade[]): Uint8Array {
  const enc = new TradeBatchEncoder();
  for (const t of trades) enc.add(t);
  return enc.finish({ sequence: 0 });
}

function expectOracle(w: World): void {
  const got = contractConsumer(w.out).values;
  const o = oracle(w.input, 10n * SEC, 5n * SEC, SEC);
  expect(got.size).toBe(o.windows.size);
  for (const [k, a] of o.windows) {
    const v = got.get(k) as { vwap: number; volume: number; count: number } | undefined;
    expect(v, k).toBeDefined();
    expect(v?.count, k).toBe(a.count);
    expect(v?.volume, k).toBe(a.volume);
    expect(v?.vwap, k).toBeCloseTo(a.vwap, 9);
  }
}

const dlqBy = (w: World, code: string) =>
  w.dlq.partitions.flat().filter((d) => d.headers['ripple-dlq-code'] === code);

describe('poison input', () => {
  it('a trade far in the future is dead-lettered (future_timestamp); every later window is still computed', async () => {
    const future: Trade = {
      symbol: 'S00',
      price: 100,
      size: 1,
      timestampNs: BigInt(Date.now()) * 1_000_000n + 2n * HOUR,
      venue: 'XNAS',
    };
    const fine: Trade = { symbol: 'S01', price: 101, size: 2, timestampNs: 1n, venue: 'XNAS' };
    const w = worldWith(400, 51, 5, [{ value: frame([future, fine]), valid: [fine] }]);
    const wk = newWorker(w);
    await wk.start();
    await runToEnd(wk);
    expectOracle(w);
    const dl = dlqBy(w, 'future_timestamp');
    expect(dl.length).toBe(1);
    expect(dl[0]?.headers['ripple-dlq-reason']).toMatch(/^future_timestamp: 1 trade/);
    expect(decodeTradeBatch(dl[0]?.value as Uint8Array)).toEqual([future]);
  });

  it('binary trades are validated like CSV ones: bad price, size or notional -> DLQ with the reason; no NaN out', async () => {
    const t = (price: number, size: number): Trade => ({
      symbol: 'S02',
      price,
      size,
      timestampNs: 2n * SEC,
      venue: 'X',
    });
    // (The frame encoder itself refuses NaN and infinite prices and fractional sizes.)
    const bad = [t(100, 0), t(-1, 5), t(0, 3), t(1e300, 2 ** 52)];
    const good = [t(100, 3), t(102, 1)];
    const w = worldWith(300, 52, 3, [{ value: frame([...bad, ...good]), valid: good }]);
    const wk = newWorker(w);
    await wk.start();
    await runToEnd(wk);
    expectOracle(w);
    const dl = dlqBy(w, 'invalid_trade');
    expect(dl.length).toBe(1);
    expect(decodeTradeBatch(dl[0]?.value as Uint8Array).length).toBe(bad.length);
    for (const v of contractConsumer(w.out).values.values())
      expect(Number.isFinite((v as { vwap: number }).vwap)).toBe(true);
  });

  it('a producer-set ripple-parse-error header does not dead-letter a valid record', async () => {
    const ok: Trade = { symbol: 'S03', price: 99, size: 4, timestampNs: 3n * SEC, venue: 'XNAS' };
    const w = worldWith(300, 53, 4, [
      { value: frame([ok]), headers: { 'ripple-parse-error': 'forged by a producer' }, valid: [ok] },
    ]);
    const wk = newWorker(w);
    await wk.start();
    await runToEnd(wk);
    expectOracle(w);
    expect(
      w.dlq.partitions.flat().some((d) => d.headers['ripple-dlq-reason'] === 'forged by a producer'),
    ).toBe(false);
  });

  it('keys are data: symbols named like internal leaves survive checkpoints and restarts', async () => {
    const names = ['\u0000partition', 'partition', 'key:S00', 'key:'];
    const extra = names.map((symbol, i) => {
      const tr: Trade = {
        symbol,
        price: 10 + i,
        size: 1 + i,
        timestampNs: BigInt(i + 1) * SEC,
        venue: 'XNAS',
      };
      return { value: frame([tr]), valid: [tr] };
    });
    const w = worldWith(400, 54, 2, extra);
    // Crash twice after checkpoints, then run to the end.
    for (let life = 0; life < 2; life++) {
      const a = newWorker(w);
      await a.start();
      for (let i = 0; i < 15 + life * 10; i++) {
        await a.step();
        await a.waitForCheckpoints(1000);
      }
      expect(a.failures()).toEqual([]);
    }
    const b = newWorker(w);
    await b.start();
    expect(b.failures()).toEqual([]);
    expect(b.progress().find((p) => p.partition === 0)?.nextOffset ?? 0n).toBeGreaterThan(0n);
    await runToEnd(b);
    expectOracle(w);
  });

  it('nothing written exceeds the broker message size: long symbols, oversized dead letters', async () => {
    // Symbols are at most 255 UTF-8 bytes on the wire; 250-byte ones make 2000-record frames of ~600 KB.
    const big = (i: number) => `${String(i).padStart(4, '0')}${'x'.repeat(246)}`;
    const extra = [];
    for (let r = 0; r < 30; r++) {
      const trades: Trade[] = [];
      for (let i = 0; i < 100; i++)
        trades.push({
          symbol: big(r * 100 + i),
          price: 50 + i,
          size: 1,
          timestampNs: BigInt(r) * SEC,
          venue: 'X',
        });
      extra.push({ value: frame(trades), valid: trades });
    }
    // A garbage record as big as the limit: its DLQ copy must be truncated.
    const junk = new Uint8Array(70_000).fill(7);
    extra.push({ value: junk, valid: [] });
    const w = worldWith(300, 55, 6, extra);
    w.maxRecordBytes = 65_536;
    const wk = newWorker(
      w,
      config({ RIPPLE_MAX_MESSAGE_BYTES: '65536', RIPPLE_MAX_KEYS_PER_PARTITION: '100000' }),
    );
    await wk.start();
    await runToEnd(wk);
    expectOracle(w);
    const cut = w.dlq.partitions.flat().filter((d) => d.headers['ripple-dlq-truncated-from'] === '70000');
    expect(cut.length).toBe(1);
  });
});

describe('poison input on the file path', () => {
  it('a 10 KB symbol in a CSV file is dead-lettered with the reason; the worker starts and finishes', async () => {
    const { mkdtempSync, readFileSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { FileSink, FileSource } = await import('../src/adapters/file.ts');
    const { MemorySnapshotStore: Store } = await import('../src/adapters/memory.ts');
    const { WorkerMetrics } = await import('../src/metrics.ts');
    const { Worker } = await import('../src/worker.ts');
    const { vwapJob } = await import('../src/jobs/vwap/vwap-job.ts');
    const dir = mkdtempSync(join(tmpdir(), 'ripple-poison-file-'));
    const lines: string[] = [];
    for (let i = 0; i < 200; i++)
      lines.push(`S${i % 3},100,${1 + (i % 4)},${1_700_000_000_000_000_000n + BigInt(i) * 100_000_000n},X`);
    lines.splice(50, 0, `${'L'.repeat(10_000)},100,1,1700000005000000000,X`);
    writeFileSync(join(dir, 'trades-p0.csv'), `${lines.join('\n')}\n`);
    const cfg = config({
      RIPPLE_SOURCE: 'file',
      RIPPLE_INPUT_DIR: dir,
      RIPPLE_OUTPUT_DIR: join(dir, 'out'),
      RIPPLE_NUM_PARTITIONS: '1',
      RIPPLE_PARTITIONS: '0',
    });
    const wk = new Worker({
      config: cfg,
      job: vwapJob,
      source: new FileSource(dir, 'trades', 40),
      sink: new FileSink(join(dir, 'out')),
      store: new Store(),
      metrics: new WorkerMetrics('file'),
    });
    await wk.start();
    await runToEnd(wk);
    const dlq = readFileSync(join(dir, 'out', 'trades-dlq-p0.ndjson'), 'utf8')
      .trim()
      .split('\n');
    expect(dlq.length).toBe(1);
    expect(JSON.parse(dlq[0] as string).headers['ripple-dlq-reason']).toMatch(/cannot be framed.*255/);
    expect(wk.progress()[0]?.nextOffset).toBeGreaterThan(0n);
  });
});
