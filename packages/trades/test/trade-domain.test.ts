import { describe, expect, it } from 'vitest';
import {
  type BadLine,
  formatTrade,
  SYNTHETIC_BASE_NS,
  symbolNames,
  syntheticBatches,
  syntheticTrade,
  type Trade,
  TradeCsvParser,
  xorshift,
} from '../src/index.ts';

function parse(text: string): { trades: Trade[]; bad: BadLine[] } {
  const trades: Trade[] = [];
  const bad: BadLine[] = [];
  const p = new TradeCsvParser(
    (t) => trades.push(t),
    (b) => bad.push(b),
  );
  p.push(Buffer.from(text));
  p.end();
  return { trades, bad };
}

describe('trade CSV: validation', () => {
  it('skips comments and blank lines, accepts \\r\\n, reports each bad line with its number and reason', () => {
    const { trades, bad } = parse(
      '# header\r\nAB,1.5,2,3,X\r\n\nAB,1.5,2\n,1,1,1,X\nAB,-1,1,1,X\nAB,1,0,1,X\nAB,1,1,9223372036854775808,X\n',
    );
    expect(trades).toEqual([{ symbol: 'AB', price: 1.5, size: 2, timestampNs: 3n, venue: 'X' }]);
    expect(bad.map((b) => [b.line, b.reason.split(' ')[0]])).toEqual([
      [4, 'expected'],
      [5, 'empty'],
      [6, 'price'],
      [7, 'size'],
      [8, 'timestamp_ns'],
    ]);
    expect(bad[0]?.text).toBe('AB,1.5,2');
  });

  it('formatTrade writes what the parser reads back', () => {
    const names = symbolNames(7);
    const original = Array.from({ length: 500 }, (_, i) => syntheticTrade(i, names));
    const { trades, bad } = parse(`${original.map(formatTrade).join('\n')}\n`);
    expect(bad).toEqual([]);
    expect(trades).toEqual(original);
  });
});

describe('synthetic stream', () => {
  it('is the documented sequence: symbol i mod n, price cycle, time base + i ms', () => {
    const names = symbolNames(100);
    expect(names[0]).toBe('SYM0000');
    expect(syntheticTrade(101, names)).toEqual({
      symbol: 'SYM0001',
      price: 100,
      size: 1 + ((101 * 7) % 100),
      timestampNs: SYNTHETIC_BASE_NS + 101_000_000n,
      venue: 'XNYS',
    });
  });

  it('batches cover [from, to) exactly once, in order', () => {
    const all = [...syntheticBatches(5, 1000, { symbols: 3, batchSize: 64 })].flat();
    expect(all.length).toBe(995);
    expect(all[0]).toEqual(syntheticTrade(5, symbolNames(3)));
    expect(all.at(-1)).toEqual(syntheticTrade(999, symbolNames(3)));
  });

  it('xorshift is seeded and deterministic, never zero', () => {
    const a = xorshift(42);
    const b = xorshift(42);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).toEqual(xs);
    expect(xs.every((x) => x > 0 && Number.isInteger(x))).toBe(true);
    expect(xorshift(0)()).toBe(xorshift(1)());
  });
});
