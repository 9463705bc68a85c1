/**
 * Deterministic synthetic trades, as the original's demo: symbols SYM0000..
 * (100 by default), one event per millisecond of event time, prices cycling
 * 100.0..110.0 in 0.1 steps. Event i: symbol i mod symbols, price
 * (1000 + i mod 101) / 10, size 1 + (7 i mod 100), time base + i ms, venue
 * cycling XNAS/XNYS/BATS/ARCA.
 */
import type { Trade } from './trade-csv.ts';

/** 2023-11-14T22:13:20Z: a realistic epoch in nanoseconds (exercises int64 precision). */
export const SYNTHETIC_BASE_NS = 1_700_000_000_000_000_000n;
const VENUES = ['XNAS', 'XNYS', 'BATS', 'ARCA'] as const;

export function symbolName(i: number): string {
  return `SYM${String(i).padStart(4, '0')}`;
}

/** Event `i` of the synthetic stream. `names` must be `symbolNames(symbols)`. */
export function syntheticTrade(i: number, names: readonly string[], baseNs = SYNTHETIC_BASE_NS): Trade {
  return {
    symbol: names[i % names.length] as string,
    price: (1000 + (i % 101)) / 10,
    size: 1 + ((i * 7) % 100),
    timestampNs: baseNs + BigInt(i) * 1_000_000n,
    venue: VENUES[i % 4] as string,
  };
}

export function symbolNames(symbols: number): string[] {
  return Array.from({ length: symbols }, (_, i) => symbolName(i));
}

/** Batches of synthetic trades, events `from` (inclusive) to `to` (exclusive). */
export function* syntheticBatches(
  from: number,
  to: number,
  options: { symbols?: number; batchSize?: number } = {},
): Generator<Trade[]> {
  const names = symbolNames(options.symbols ?? 100);
  const size = options.batchSize ?? 4096;
  for (let i = from; i < to; i += size) {
    const end = Math.min(to, i + size);
    const batch: Trade[] = new Array(end - i);
    for (let j = i; j < end; j++) batch[j - i] = syntheticTrade(j, names);
    yield batch;
  }
}

/** Deterministic 32-bit xorshift generator (non-negative integers), for seeded test and benchmark data. */
export function xorshift(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}
