import { DeltaBatchEncoder, SchemaRegistry } from '@ripple/protocol';
import { VWAP_OUTPUT_SCHEMA } from '@ripple/trades';
import { describe, expect, it } from 'vitest';
import { DashboardFeed } from '../src/dashboard/feed.ts';
import { dashboardHandler } from '../src/dashboard/server.ts';
import { VwapBoard } from '../src/dashboard/vwap-board.ts';
import { serve } from '../src/http.ts';

const SEC = 1_000_000_000n;
const T0 = 1_700_000_000n * SEC;

interface D {
  symbol: string;
  seq: number;
  w?: number;
  vwap?: number;
  patch?: boolean;
  remove?: boolean;
}

/** One output frame of partition `p`: a delta per entry (window w: [T0 + 10 s·w, +10 s)). */
function frame(p: number, ds: D[]): Uint8Array {
  const enc = new DeltaBatchEncoder(VWAP_OUTPUT_SCHEMA);
  for (const d of ds) {
    const startNs = T0 + BigInt(d.w ?? 0) * 10n * SEC;
    const endNs = startNs + 10n * SEC;
    const v = d.vwap ?? 10;
    enc.add({
      key: d.symbol,
      partition: p,
      sequence: d.seq,
      window: { startNs, endNs },
      delta: d.remove
        ? { kind: 'remove' }
        : d.patch
          ? {
              kind: 'patch',
              ops: [
                { op: 'field_set', field: 'vwap', value: v },
                { op: 'field_set', field: 'count', value: d.seq },
              ],
            }
          : {
              kind: 'set',
              value: {
                symbol: d.symbol,
                window_start_ns: startNs,
                window_end_ns: endNs,
                vwap: v,
                volume: 100,
                count: d.seq,
              },
            },
    });
  }
  return enc.finish({ sequence: ds[0]?.seq ?? 0 });
}

const board = (o: ConstructorParameters<typeof VwapBoard>[1] = {}) => {
  const schemas = new SchemaRegistry();
  schemas.register(VWAP_OUTPUT_SCHEMA);
  return new VwapBoard(schemas, o);
};

describe('VWAP board (the consumer contract)', () => {
  it('applies set and patch deltas; re-emits (sequence not above the last applied) never bring a value back', () => {
    const b = board();
    b.consume(0, frame(0, [{ symbol: 'AAA', seq: 1, vwap: 10 }]));
    b.consume(0, frame(0, [{ symbol: 'AAA', seq: 2, vwap: 11, patch: true }]));
    b.consume(1, frame(1, [{ symbol: 'BBB', seq: 1, vwap: 50 }])); // partitions count apart
    // a crash replay: sequences 1-2 again with their old values, then new ones
    b.consume(0, frame(0, [{ symbol: 'AAA', seq: 1, vwap: 10 }]));
    b.consume(
      0,
      frame(0, [
        { symbol: 'AAA', seq: 2, vwap: 11, patch: true },
        { symbol: 'AAA', seq: 3, vwap: 12, patch: true },
      ]),
    );
    const v = b.view('', 10);
    expect(v.rows.map((r) => [r.symbol, r.vwap, r.volume, r.count, r.sequence])).toEqual([
      ['AAA', 12, 100, 3, 3],
      ['BBB', 50, 100, 1, 1],
    ]);
    expect(v.rows[0]).toMatchObject({
      windowStartNs: T0.toString(),
      windowEndNs: (T0 + 10n * SEC).toString(),
    });
    expect({ applied: v.applied, dropped: v.dropped }).toEqual({ applied: 4, dropped: 2 });
    // a remove retracts the window
    b.consume(1, frame(1, [{ symbol: 'BBB', seq: 2, remove: true }]));
    expect(b.view('', 10).rows.map((r) => r.symbol)).toEqual(['AAA']);
  });

  it('searches by symbol prefix (any case), newest window first, bounded rows, windows and symbols', () => {
    const b = board({ windowsPerSymbol: 2, maxSymbols: 3 });
    let seq = 0;
    for (const w of [0, 1, 2]) b.consume(0, frame(0, [{ symbol: 'MSFT', seq: ++seq, w }]));
    b.consume(
      0,
      frame(0, [
        { symbol: 'MS', seq: ++seq },
        { symbol: 'AAPL', seq: ++seq },
      ]),
    );
    expect(b.view('ms', 10).rows.map((r) => [r.symbol, r.windowStartNs])).toEqual([
      ['MS', T0.toString()],
      ['MSFT', (T0 + 20n * SEC).toString()],
      ['MSFT', (T0 + 10n * SEC).toString()],
    ]);
    expect(b.view('ms', 2)).toMatchObject({ matched: 2, symbols: 3 });
    expect(b.view('ms', 2).rows).toHaveLength(2);
    expect(b.view('zz', 10)).toMatchObject({ rows: [], matched: 0 });
    // a 4th symbol: the one updated longest ago (MSFT) is forgotten
    b.consume(0, frame(0, [{ symbol: 'NVDA', seq: ++seq }]));
    expect(b.view('', 10).rows.map((r) => r.symbol)).toEqual(['AAPL', 'MS', 'NVDA']);
  });

  it('counts a frame that does not decode and goes on', () => {
    const b = board();
    b.consume(0, new Uint8Array([1, 2, 3]));
    b.consume(0, frame(0, [{ symbol: 'AAA', seq: 1 }]));
    expect(b.view('', 10)).toMatchObject({ undecodable: 1, applied: 1 });
  });

  it('is served at /api/vwap (search and limit from the query string)', async () => {
    const b = board();
    b.consume(
      0,
      frame(0, [
        { symbol: 'AAA', seq: 1 },
        { symbol: 'ABC', seq: 2 },
        { symbol: 'B', seq: 3 },
      ]),
    );
    const http = await serve('127.0.0.1', [
      {
        port: 0,
        route: async () => null,
        raw: dashboardHandler({ feed: new DashboardFeed(), status: () => null, jaegerUrl: null, vwap: b }),
      },
    ]);
    try {
      const base = `http://127.0.0.1:${http.ports[0]}`;
      const r = (await (await fetch(`${base}/api/vwap?q=a&limit=1`)).json()) as {
        rows: { symbol: string }[];
        matched: number;
      };
      expect(r.rows.map((x) => x.symbol)).toEqual(['AAA']);
      expect(r.matched).toBe(2);
    } finally {
      await http.close();
    }
  });
});
