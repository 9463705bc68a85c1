// The worker's query handler: a real VWAP job partition fed real trades, read through answerKey /
// answerGraph and served over the in-memory bus; live / replaying / not held; bad requests refused
// and counted; a graph capped to fit the bus's message size.
import { MemoryBus } from '@ripple/cluster';
import {
  clusterSubjects,
  decodeControlMessage,
  encodeControlMessage,
  type KeyQuery,
  type Trade,
  TradeBatchEncoder,
} from '@ripple/protocol';
import { describe, expect, it } from 'vitest';
import type { JobPartition } from '../src/job.ts';
import { vwapJob } from '../src/jobs/vwap/vwap-job.ts';
import { WorkerMetrics } from '../src/metrics.ts';
import { silentLogger } from '../src/ports.ts';
import { answerGraph, answerKey, type QueryTarget, serveQueries } from '../src/query-responder.ts';
import { config } from './memory-world.ts';

const SEC = 1_000_000_000n;
const T0 = 1_700_000_000n * SEC;

function partitionWith(trades: Trade[]): JobPartition {
  const job = vwapJob(
    config({ RIPPLE_WINDOW: '10s', RIPPLE_LATENESS: '0s', RIPPLE_OUT_OF_ORDERNESS: '0s' }),
    {
      onStep: () => {},
      // wall time: the trades (2023) must not look like they come from the future
      clock: { nowMs: () => Date.now(), nowNs: () => BigInt(Date.now()) * 1_000_000n },
    },
  );
  const part = job.create(2);
  const enc = new TradeBatchEncoder();
  for (const t of trades) enc.add(t);
  part.ingest({ partition: 2, offset: 0n, value: enc.finish({ sequence: 0 }), headers: {} });
  expect(part.deadLetters).toEqual([]);
  return part;
}

const trade = (symbol: string, price: number, size: number, atSec: bigint): Trade => ({
  symbol,
  price,
  size,
  timestampNs: T0 + atSec * SEC,
  venue: 'X',
});

function target(part: JobPartition | null, live = true): QueryTarget {
  return {
    owned: () => (part === null ? [] : [2]),
    inspect: (p) => (part !== null && p === 2 ? { part, epoch: 7, live } : undefined),
  };
}

const q = (key: string, partition = 2): KeyQuery => ({
  type: 'key_query',
  v: 1,
  requestId: 'r1',
  workerId: 'w1',
  key,
  partition,
});

describe('answerKey', () => {
  // AAPL: window [0,10) closed by the trade at 12 s (emitted), window [10,20) open
  const part = partitionWith([
    trade('AAPL', 100, 10, 1n),
    trade('AAPL', 110, 30, 4n),
    trade('MSFT', 50, 1, 5n),
    trade('AAPL', 120, 5, 12n),
    trade('AAPL', 130, 15, 13n),
  ]);

  it('a live partition: the open window with its running VWAP and the last emitted one', () => {
    const r = answerKey(q('AAPL'), 'w1', target(part));
    expect(r).toMatchObject({ status: 'ok', heldEpoch: 7, partition: 2 });
    expect(r.watermarkNs).toBeGreaterThanOrEqual(T0 + 12n * SEC);
    expect(r.windows).toEqual([
      {
        startNs: T0 + 10n * SEC,
        endNs: T0 + 20n * SEC,
        closed: false,
        fields: expect.objectContaining({ symbol: 'AAPL', volume: 20, count: 2 }),
      },
    ]);
    expect(r.windows[0]?.fields.vwap).toBeCloseTo((120 * 5 + 130 * 15) / 20, 9);
    expect(r.lastEmitted).toMatchObject({ startNs: T0, endNs: T0 + 10n * SEC, closed: true });
    expect(r.lastEmitted?.fields.vwap).toBeCloseTo((100 * 10 + 110 * 30) / 40, 9);
    expect(r.lastEmitted?.fields.window_start_ns).toBe(String(T0)); // int64 as decimal text
    // the reply is a valid control message (validated as it is encoded)
    expect(decodeControlMessage(encodeControlMessage(r))).toEqual(r);
  });

  it('an unknown key on a held partition: ok and empty', () => {
    expect(answerKey(q('NOPE'), 'w1', target(part))).toMatchObject({
      status: 'ok',
      windows: [],
      lastEmitted: null,
    });
  });

  it('replaying (not live yet) is moving; not held is not_owner', () => {
    expect(answerKey(q('AAPL'), 'w1', target(part, false))).toMatchObject({
      status: 'moving',
      heldEpoch: 7,
      windows: [],
    });
    expect(answerKey(q('AAPL', 3), 'w1', target(part))).toMatchObject({
      status: 'not_owner',
      heldEpoch: null,
    });
  });
});

describe('answerGraph', () => {
  // 300 symbols whose first window closed (emitted: each has its graph node), then one more trade
  const many = partitionWith([
    ...Array.from({ length: 300 }, (_, i) => trade(`S${i}`, 10, 1, 1n)),
    trade('S0', 10, 1, 12n),
  ]);

  it('draws the biggest held partition, capped, and halves the cap until the reply fits', () => {
    const g = answerGraph(
      { type: 'graph_query', v: 1, requestId: 'g', workerId: 'w1', partition: null, maxNodes: 50 },
      target(many),
      1 << 20,
    );
    expect(g).toMatchObject({ partition: 2, partitions: [2], shownNodes: 50 });
    expect(g.nodes).toBeGreaterThan(50);
    expect(g.dot).toMatch(/more\\nleaf h=0/);
    const all = answerGraph(
      { type: 'graph_query', v: 1, requestId: 'g', workerId: 'w1', partition: 2, maxNodes: 0xffffffff },
      target(many),
      4000,
    );
    expect(encodeControlMessage(all).byteLength).toBeLessThanOrEqual(4000);
    expect(all.shownNodes).toBeLessThan(all.nodes);
    expect(all.shownNodes).toBeGreaterThan(0);
    const none = answerGraph(
      { type: 'graph_query', v: 1, requestId: 'g', workerId: 'w1', partition: 5, maxNodes: 10 },
      target(many),
      1 << 20,
    );
    expect(none).toMatchObject({ partition: null, dot: '', nodes: 0 });
  });
});

describe('serveQueries over the bus', () => {
  it('answers requests on its subject; refuses and counts what does not decode or is not its own', async () => {
    const bus = new MemoryBus();
    const metrics = new WorkerMetrics('w1');
    const part = partitionWith([trade('AAPL', 100, 1, 1n)]);
    const sub = serveQueries({
      bus,
      cluster: 'c',
      workerId: 'w1',
      target: target(part),
      metrics,
      logger: silentLogger,
    });
    const subject = clusterSubjects('c').query('w1');
    const m = await bus.request(subject, encodeControlMessage(q('AAPL')), { timeoutMs: 1000 });
    expect(decodeControlMessage(m.data)).toMatchObject({
      type: 'key_query_reply',
      status: 'ok',
      key: 'AAPL',
    });
    await expect(
      bus.request(subject, new TextEncoder().encode('{"type":"key_query"'), { timeoutMs: 50 }),
    ).rejects.toThrow();
    await expect(
      bus.request(subject, encodeControlMessage({ ...q('AAPL'), workerId: 'w2' }), { timeoutMs: 50 }),
    ).rejects.toThrow();
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/ripple_worker_queries_total\{kind="key",status="ok"[^}]*\} 1/);
    expect(text).toMatch(/ripple_worker_queries_total\{kind="refused",status="CTRL_MALFORMED"[^}]*\} 1/);
    expect(text).toMatch(/ripple_worker_queries_total\{kind="refused",status="CTRL_UNEXPECTED"[^}]*\} 1/);
    sub.unsubscribe();
  });
});
