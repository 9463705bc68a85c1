import type { Trade } from '@ripple/protocol';
import { describe, expect, it } from 'vitest';
import { oracle } from '../src/index.ts';

const S = 1_000_000_000n;
const t = (symbol: string, sec: bigint, price: number, size: number): Trade => ({
  symbol,
  price,
  size,
  timestampNs: sec * S,
  venue: 'X',
});

describe('VWAP oracle', () => {
  it('computes VWAP, volume and count per (symbol, window); late trades are counted, not aggregated', () => {
    const p0 = [
      t('A', 1n, 10, 1),
      t('A', 2n, 20, 3),
      t('B', 11n, 5, 2),
      t('A', 30n, 1, 1),
      t('A', 3n, 99, 1),
    ];
    const p1 = [t('A', 4n, 40, 1)];
    const { windows, late } = oracle({ trades: [p0, p1] }, 10n * S, 5n * S, 1n * S);
    // p0: the trade at 3 s comes after max 30 s: its window [0,10) ends at 10 + 5 <= 29 -> late.
    expect(late).toBe(1);
    expect(windows.get('A@0')).toEqual({ vwap: (10 + 60 + 40) / 5, volume: 5, count: 3 });
    expect(windows.get('B@10000000000')).toEqual({ vwap: 5, volume: 2, count: 1 });
    expect(windows.get('A@30000000000')).toEqual({ vwap: 1, volume: 1, count: 1 });
    expect(windows.size).toBe(3);
  });

  it('an excluded symbol moves the watermark but is not aggregated', () => {
    const { windows, late } = oracle(
      { trades: [[t('Z', 100n, 1, 1), t('A', 1n, 2, 2)]] },
      10n * S,
      0n,
      0n,
      'Z',
    );
    expect(late).toBe(1);
    expect(windows.size).toBe(0);
  });
});
