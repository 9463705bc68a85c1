import { describe, expect, it } from 'vitest';
import {
  type Aggregator,
  apply,
  from,
  MemorySink,
  MemorySource,
  type OutputDelta,
  parseDuration,
  session,
  tumbling,
  type Value,
} from '../src/index.ts';

type Trade = { symbol: string; price: number; size: number; timestampNs: bigint; venue: string };

function trades(n: number, symbols = 3): Trade[] {
  const out: Trade[] = [];
  for (let i = 0; i < n; i++) {
    out.push({
      symbol: `S${i % symbols}`,
      price: 100 + (i % 7) / 10,
      size: 1 + (i % 5),
      timestampNs: BigInt(i) * 1_000_000_000n,
      venue: 'XNAS',
    });
  }
  return out;
}

function vwapTopology(events: readonly Trade[], batchSize = 16) {
  const sink = new MemorySink<OutputDelta<Value>>();
  const topology = from(new MemorySource(events, { batchSize }))
    .partitionBy('symbol', { partitions: 4 })
    .window(tumbling(parseDuration('10s')), { time: 'timestampNs', allowedLatenessNs: parseDuration('5s') })
    .aggregate((a) => a.vwap('price', 'size'))
    .to(sink as never);
  return { sink, topology };
}

describe('topology DSL', () => {
  it('runs the VWAP pipeline: one final record per (symbol, window), matching a direct computation', async () => {
    const events = trades(100);
    const { sink, topology } = vwapTopology(events);
    const summary = await topology.run({ debug: true });
    expect(summary.events).toBe(100);
    expect(summary.late).toBe(0);
    const view = new Map<string, Value | undefined>();
    for (const r of sink.records) view.set(r.key, apply(r.delta, view.get(r.key)));
    // direct computation
    const want = new Map<string, { pv: number; v: number; n: number }>();
    for (const t of events) {
      const start = (t.timestampNs / 10_000_000_000n) * 10_000_000_000n;
      const id = `${t.symbol}@${start}`;
      const a = want.get(id) ?? { pv: 0, v: 0, n: 0 };
      a.pv += t.price * t.size;
      a.v += t.size;
      a.n++;
      want.set(id, a);
    }
    expect(view.size).toBe(want.size);
    for (const [id, a] of want) {
      const got = view.get(id) as Record<string, Value>;
      expect(got.vwap as number).toBeCloseTo(a.pv / a.v, 9);
      expect(got.volume).toBe(a.v);
      expect(got.count).toBe(a.n);
      expect(got.symbol).toBe(id.split('@')[0]);
    }
    // per-partition sequence numbers are 1..n without gaps
    const byPart = new Map<number, number[]>();
    for (const r of sink.records) byPart.set(r.partition, [...(byPart.get(r.partition) ?? []), r.seq]);
    for (const seqs of byPart.values()) expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    expect(sink.closed).toBe(true);
  });

  it('late data within lateness gives a corrected delta (a patch) for the same window', async () => {
    const events = trades(33, 1); // watermark 32 s: [20 s, 30 s) is emitted, still open for corrections until 35 s
    events.push({ symbol: 'S0', price: 200, size: 10, timestampNs: 28_000_000_000n, venue: 'XNAS' });
    const { sink, topology } = vwapTopology(events, 64);
    await topology.run();
    const forWindow = sink.records.filter((r) => r.key === 'S0@20000000000');
    expect(forWindow.map((r) => r.delta.kind)).toEqual(['set', 'patch']);
    expect(forWindow[1]?.value).toMatchObject({ count: 11 });
  });

  it("an unchanged correction of the key's last window gives no delta (the cutoff), a changed one a patch", () => {
    // An aggregate without a count (the largest size): a late event below the max re-emits the window unchanged.
    const maxSize: Aggregator<Trade, { m: number }, { max: number }> = {
      name: 'max_size',
      create: () => ({ m: Number.NEGATIVE_INFINITY }),
      reset: (a) => {
        a.m = Number.NEGATIVE_INFINITY;
      },
      add: (a, e) => {
        if (e.size > a.m) a.m = e.size;
      },
      merge: (a, b) => {
        if (b.m > a.m) a.m = b.m;
      },
      remove: null,
      unmerge: null,
      count: (a) => (a.m === Number.NEGATIVE_INFINITY ? 0 : 1),
      result: (a) => ({ max: a.m }),
      save: (a) => [a.m],
      load: (v) => ({ m: (v as number[])[0] as number }),
    };
    const p = from<Trade>()
      .partitionBy('symbol')
      .window(tumbling(10_000_000_000n), { time: 'timestampNs', allowedLatenessNs: 100_000_000_000n })
      .aggregate(() => maxSize as never)
      .compile({ debug: true });
    const at = (s: number, size: number): Trade => ({
      symbol: 'S',
      price: 1,
      size,
      timestampNs: BigInt(s) * 1_000_000_000n,
      venue: 'X',
    });
    const kinds = (out: readonly OutputDelta<unknown>[]) =>
      out.map((d) => `${d.windowStartNs}:${d.delta.kind}`);
    expect(kinds(p.push([at(1, 5), at(12, 1)]))).toEqual(['0:set']); // [0 s, 10 s) closes
    expect(kinds(p.push([at(2, 3)]))).toEqual([]); // re-emitted with max 5 again: cut off
    expect(kinds(p.push([at(3, 9)]))).toEqual(['0:patch']); // max 9
    expect(kinds(p.end())).toEqual(['10000000000:set']);
  });

  it('is deterministic: same input, identical output', async () => {
    const a = vwapTopology(trades(500, 7));
    const b = vwapTopology(trades(500, 7));
    await a.topology.run();
    await b.topology.run();
    const ser = (rs: readonly unknown[]) =>
      JSON.stringify(rs, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v));
    expect(ser(a.sink.records)).toBe(ser(b.sink.records));
  });

  it('keeps two graph nodes per live key and removes them when keys go away', () => {
    const p = from<Trade>()
      .partitionBy('symbol')
      .window(session(parseDuration('2s')), { time: 'timestampNs' })
      .aggregate((a) => a.count())
      .compile({ debug: true });
    p.push(trades(30, 3).slice(0, 10));
    expect(p.stats().graphNodes).toBeLessThanOrEqual(6);
    p.end();
    expect(p.stats().graphNodes).toBe(0);
    expect(p.stats().window.keys).toBe(0);
  });

  it('stays bounded over a long stream whose keys come and go (state and graph nodes)', () => {
    const p = from<Trade>()
      .partitionBy('symbol', { partitions: 3 })
      .window(tumbling(parseDuration('10s')), { time: 'timestampNs' })
      .aggregate((a) => a.count())
      .compile();
    let maxNodes = 0;
    let maxKeys = 0;
    for (let b = 0; b < 400; b++) {
      const batch: Trade[] = [];
      for (let i = 0; i < 50; i++) {
        const t = b * 50 + i; // one event per second; a new group of 5 keys every 500 s
        batch.push({
          symbol: `K${Math.floor(t / 500)}-${t % 5}`,
          price: 1,
          size: 1,
          timestampNs: BigInt(t) * 1_000_000_000n,
          venue: 'X',
        });
      }
      p.push(batch);
      maxNodes = Math.max(maxNodes, p.stats().graphNodes);
      maxKeys = Math.max(maxKeys, p.stats().window.keys);
    }
    expect(maxNodes).toBeLessThanOrEqual(10);
    expect(maxKeys).toBeLessThanOrEqual(10);
    expect(p.stats().window.panes).toBeLessThanOrEqual(10);
  });

  it('is typed end to end', () => {
    const step = from<Trade>().partitionBy('symbol');
    // @ts-expect-error price is not a string field
    from<Trade>().partitionBy('price');
    // @ts-expect-error the time field must be a bigint
    step.window(tumbling(1n), { time: 'price' });
    const w = step.window(tumbling(1n), { time: 'timestampNs' });
    // @ts-expect-error venue is not numeric
    w.aggregate((a) => a.vwap('venue', 'size'));
    const p = w.aggregate((a) => a.stddev('price')).compile();
    const out = p.push([]);
    // the record type carries the key field and the aggregate's fields
    const check = (r: (typeof out)[number]) => [r.value?.symbol, r.value?.stddev, r.value?.window_start_ns];
    expect(check).toBeTypeOf('function');
  });
});
