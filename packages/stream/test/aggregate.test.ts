import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Aggregator,
  count,
  max,
  mean,
  min,
  SlidingAggregate,
  stddev,
  sum,
  type ValueRecord,
  vwap,
} from '../src/index.ts';

type T = { price: number; size: number };

/**
 * Floating-point tolerance: results must agree with a naive recompute to a
 * relative 1e-9 (absolute 1e-9 near zero). Inputs are prices 0.01..1e4 and sizes 1..1e6.
 */
const TOL = 1e-9;
function close(a: unknown, b: unknown, scale = 1): boolean {
  if (typeof a === 'number' && typeof b === 'number') {
    if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
    return Math.abs(a - b) <= TOL * Math.max(scale, Math.abs(a), Math.abs(b));
  }
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return a === b;
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return (
    ka.join() === kb.join() &&
    ka.every((k) => close((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], scale))
  );
}

// Naive oracles over the whole list.
function naive(name: string, xs: readonly T[]): ValueRecord {
  const n = xs.length;
  const ps = xs.map((x) => x.price);
  const s = ps.reduce((a, b) => a + b, 0);
  switch (name) {
    case 'count':
      return { count: n };
    case 'sum':
      return { sum: s, count: n };
    case 'mean':
      return { mean: n === 0 ? Number.NaN : s / n, count: n };
    case 'min':
      return { min: n === 0 ? null : Math.min(...ps), count: n };
    case 'max':
      return { max: n === 0 ? null : Math.max(...ps), count: n };
    case 'stddev': {
      const m = s / n;
      const v = n < 2 ? 0 : Math.sqrt(ps.reduce((a, p) => a + (p - m) * (p - m), 0) / n);
      return { stddev: v, mean: n === 0 ? Number.NaN : m, count: n };
    }
    default: {
      const vol = xs.reduce((a, x) => a + x.size, 0);
      const pv = xs.reduce((a, x) => a + x.price * x.size, 0);
      return { vwap: vol === 0 ? Number.NaN : pv / vol, volume: vol, count: n };
    }
  }
}

const aggs: Array<Aggregator<T, unknown, ValueRecord>> = [
  count<T>(),
  sum<T>('price'),
  mean<T>('price'),
  min<T>('price'),
  max<T>('price'),
  stddev<T>('price'),
  vwap<T>('price', 'size'),
] as Array<Aggregator<T, unknown, ValueRecord>>;

const trade = fc.record({
  price: fc.integer({ min: 1, max: 1_000_000 }).map((c) => c / 100),
  size: fc.integer({ min: 1, max: 1_000_000 }),
});
const trades = fc.array(trade, { maxLength: 60 });

function fold<A>(agg: Aggregator<T, A, ValueRecord>, xs: readonly T[]): A {
  const a = agg.create();
  for (const x of xs) agg.add(a, x);
  return a;
}

describe.each(aggs.map((a) => [a.name, a] as const))('aggregator %s', (name, agg) => {
  it('add matches a naive recompute', () => {
    fc.assert(fc.property(trades, (xs) => close(agg.result(fold(agg, xs)), naive(name, xs))));
  });

  it('merge of two parts equals the whole', () => {
    fc.assert(
      fc.property(trades, trades, (xs, ys) => {
        const a = fold(agg, xs);
        agg.merge(a, fold(agg, ys));
        return close(agg.result(a), naive(name, [...xs, ...ys]));
      }),
    );
  });

  it('save/load round-trips', () => {
    fc.assert(
      fc.property(trades, (xs) => close(agg.result(agg.load(agg.save(fold(agg, xs)))), naive(name, xs))),
    );
  });

  it('a sliding window (push/shift) matches a naive recompute at every step', () => {
    const step = fc.oneof(
      trade.map((t) => ({ push: t })),
      fc.constant({ push: null }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 80 }), (steps) => {
        const w = new SlidingAggregate(agg);
        const model: T[] = [];
        for (const s of steps) {
          if (s.push !== null) {
            w.push(fold(agg, [s.push]));
            model.push(s.push);
          } else {
            w.shift();
            model.shift();
          }
          expect(w.size).toBe(model.length);
          if (!close(w.result(), naive(name, model))) return false;
        }
        return true;
      }),
    );
  });
});

describe.each(aggs.filter((a) => a.remove !== null).map((a) => [a.name, a] as const))(
  'invertible aggregator %s',
  (name, agg) => {
    it('remove and unmerge invert add and merge', () => {
      fc.assert(
        fc.property(trades, trades, (keep, drop) => {
          const a = fold(agg, [...drop, ...keep]);
          for (const x of drop) agg.remove?.(a, x);
          const b = fold(agg, [...keep, ...drop]);
          agg.unmerge?.(b, fold(agg, drop));
          // Subtraction cancels: the error bound is relative to the largest
          // magnitude the accumulator held (sum of |price * size| over all inputs).
          const scale = [...keep, ...drop].reduce((s, x) => s + x.price * x.size, 1);
          return (
            close(agg.result(a), naive(name, keep), scale) && close(agg.result(b), naive(name, keep), scale)
          );
        }),
      );
    });
  },
);

describe('aggregator typing', () => {
  it('rejects a non-numeric or unknown field at compile time', () => {
    type Trade = { symbol: string; price: number; size: number };
    // @ts-expect-error symbol is not a numeric field
    vwap<Trade>('symbol', 'size');
    // @ts-expect-error no such field
    sum<Trade>('prise');
    expect(vwap<Trade>('price', 'size').name).toBe('vwap');
  });

  it('stddev stays accurate for large offsets (Welford)', () => {
    const agg = stddev<T>('price');
    const a = agg.create();
    for (let i = 0; i < 1000; i++) agg.add(a, { price: 1e9 + (i % 2), size: 1 });
    expect(agg.result(a).stddev).toBeCloseTo(0.5, 9);
  });
});
