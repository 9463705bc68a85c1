import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type BadLine,
  csvField,
  formatTrade,
  splitCsvLine,
  type Trade,
  TradeCsvParser,
} from '../src/index.ts';

function parseChunks(text: string, chunk: number): { trades: Trade[]; bad: BadLine[] } {
  const trades: Trade[] = [];
  const bad: BadLine[] = [];
  const p = new TradeCsvParser(
    (t) => trades.push(t),
    (b) => bad.push(b),
  );
  const bytes = Buffer.from(text);
  for (let i = 0; i < bytes.length; i += chunk) p.push(bytes.subarray(i, i + chunk));
  p.end();
  return { trades, bad };
}

describe('trade CSV: quoted fields', () => {
  it('reads RFC 4180 quoting, a record spanning lines, and counts lines across it', () => {
    const { trades, bad } = parseChunks(
      '"A,""B""\nC",1.5,2,3,"X"\n# a "comment\nD,1,1,1,V\n"open,1,1,1,V',
      3,
    );
    expect(trades).toEqual([
      { symbol: 'A,"B"\nC', price: 1.5, size: 2, timestampNs: 3n, venue: 'X' },
      { symbol: 'D', price: 1, size: 1, timestampNs: 1n, venue: 'V' },
    ]);
    expect(bad).toEqual([
      { line: 5, reason: 'unterminated quote, or text after a closing quote', text: '"open,1,1,1,V' },
    ]);
  });

  it('a quoted line is validated like any other', () => {
    const { bad } = parseChunks('"A",x,1,1,V\n"A",1,0,1,V\n"",1,1,1,V\n"A","1"\n"A"x,1,1,1,V\n', 1000);
    expect(bad.map((b) => b.reason.split(' ')[0])).toEqual([
      'price',
      'size',
      'empty',
      'expected',
      'unterminated',
    ]);
  });

  it('whatever formatTrade writes reads back (property, any symbol and venue text, any chunking)', () => {
    const text = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 });
    fc.assert(
      fc.property(
        fc.array(fc.record({ symbol: text, venue: text }), { minLength: 1, maxLength: 20 }),
        fc.integer({ min: 1, max: 64 }),
        (rows, chunk) => {
          const original: Trade[] = rows.map((r, i) => ({
            symbol: r.symbol,
            price: 1 + i / 8,
            size: i + 1,
            timestampNs: BigInt(i) * 1000n,
            venue: r.venue,
          }));
          const { trades, bad } = parseChunks(`${original.map(formatTrade).join('\n')}\n`, chunk);
          expect(bad).toEqual([]);
          expect(trades).toEqual(original);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('csvField / splitCsvLine are inverse on one line', () => {
    fc.assert(
      fc.property(fc.array(fc.string(), { minLength: 1, maxLength: 6 }), (fields) => {
        expect(splitCsvLine(fields.map(csvField).join(','))).toEqual(fields);
      }),
    );
  });
});
