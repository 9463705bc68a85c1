import { describe, expect, it } from 'vitest';
import { type BadLine, type Trade, TradeCsvParser } from '../src/index.ts';

describe('trade CSV parser', () => {
  it('parses lines split across chunks, and prices exactly as Number()', () => {
    const trades: Trade[] = [];
    const bad: BadLine[] = [];
    const p = new TradeCsvParser(
      (t) => trades.push(t),
      (b) => bad.push(b),
    );
    const text = 'AB,100.1,7,1700000000000000001,XNAS\nCD,0.3,1,9223372036854775807,ARCA\nEF,1e2,1,1,X';
    for (let i = 0; i < text.length; i += 3) p.push(Buffer.from(text.slice(i, i + 3)));
    p.end();
    expect(bad).toEqual([]);
    expect(trades).toEqual([
      { symbol: 'AB', price: 100.1, size: 7, timestampNs: 1700000000000000001n, venue: 'XNAS' },
      { symbol: 'CD', price: 0.3, size: 1, timestampNs: 9223372036854775807n, venue: 'ARCA' },
      { symbol: 'EF', price: 100, size: 1, timestampNs: 1n, venue: 'X' },
    ]);
    for (let c = 1; c < 2000; c++) {
      const s = `${Math.floor(c / 7)}.${String(c % 1000).padStart(3, '0')}`;
      const got: Trade[] = [];
      const q = new TradeCsvParser(
        (t) => got.push(t),
        () => {},
      );
      q.push(Buffer.from(`X,${s},1,1,V\n`));
      expect(got[0]?.price).toBe(Number(s));
    }
  });
});
