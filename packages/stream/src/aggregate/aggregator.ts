/**
 * Aggregators: count, sum, mean, min, max, VWAP, stddev.
 *
 * An aggregator folds events into a mutable accumulator (one per key and
 * window pane, owned by the window operator: no allocation per event). It can
 * `merge` two accumulators (session merging, pane combining) and, when it is
 * invertible, `remove` an event and `unmerge` an accumulator (sliding windows
 * without recomputation). min and max are not invertible; sliding windows use
 * `SlidingAggregate` (two stacks) for them, which never rescans.
 *
 * Numerics: sums use Neumaier compensated summation; mean and stddev use
 * Welford's update (Chan et al. for merge/unmerge). Results agree with a naive
 * exact recompute to a relative 1e-9 (tested). stddev is the population
 * standard deviation (divide by n); 0 for fewer than two values.
 *
 * Field names are checked at compile time: `vwap<Trade>('price', 'size')`
 * accepts only fields of `Trade` whose type is `number`.
 */
import type { Value, ValueRecord } from '../delta/delta.ts';

/** Names of the fields of `E` that hold numbers. */
export type NumericField<E> = { [K in keyof E]-?: E[K] extends number ? K : never }[keyof E] & string;

export interface Aggregator<E, A, R extends ValueRecord> {
  readonly name: string;
  create(): A;
  /** Make `acc` equal to `create()` again (window operators reuse accumulators). */
  reset(acc: A): void;
  add(acc: A, event: E): void;
  merge(into: A, from: A): void;
  /** Present when the aggregator is invertible: `remove(add(acc, e), e)` restores `acc`. */
  readonly remove: ((acc: A, event: E) => void) | null;
  /** Present when invertible: subtracts an accumulator previously merged in. */
  readonly unmerge: ((into: A, from: A) => void) | null;
  /** Number of events folded in (a window with count 0 is empty). */
  count(acc: A): number;
  /** A fresh object on every call (callers may extend it, e.g. into an output record). */
  result(acc: A): R;
  /** Accumulator state as a plain value, for snapshots; `load(save(a))` behaves as `a`. */
  save(acc: A): Value;
  load(saved: Value): A;
}

/** Result type of an aggregator. */
export type ResultOf<G> = G extends Aggregator<never, unknown, infer R> ? R : never;

// ---------------------------------------------------------------- sums

/** Compensated (Neumaier) running sum. Mutable; one per accumulator. */
export class NSum {
  s = 0;
  c = 0;
  add(x: number): void {
    const t = this.s + x;
    if (Math.abs(this.s) >= Math.abs(x)) this.c += this.s - t + x;
    else this.c += x - t + this.s;
    this.s = t;
  }
  get value(): number {
    return this.s + this.c;
  }
}

function nums(v: Value): number[] {
  if (!Array.isArray(v)) throw new TypeError('aggregator state: expected an array');
  return v.map((x) => {
    if (typeof x !== 'number') throw new TypeError('aggregator state: expected numbers');
    return x;
  });
}

// ---------------------------------------------------------------- count

export class CountAcc {
  n = 0;
}

export function count<E>(): Aggregator<E, CountAcc, { count: number }> {
  return {
    name: 'count',
    create: () => new CountAcc(),
    reset: (a) => {
      a.n = 0;
    },
    add: (a) => {
      a.n++;
    },
    merge: (a, b) => {
      a.n += b.n;
    },
    remove: (a) => {
      a.n--;
    },
    unmerge: (a, b) => {
      a.n -= b.n;
    },
    count: (a) => a.n,
    result: (a) => ({ count: a.n }),
    save: (a) => [a.n],
    load: (v) => {
      const a = new CountAcc();
      a.n = nums(v)[0] ?? 0;
      return a;
    },
  };
}

// ---------------------------------------------------------------- sum / mean

export class SumAcc {
  n = 0;
  sum = new NSum();
}

function sumLike<E, R extends ValueRecord>(
  name: string,
  field: NumericField<E>,
  result: (a: SumAcc) => R,
): Aggregator<E, SumAcc, R> {
  return {
    name,
    create: () => new SumAcc(),
    reset: (a) => {
      a.n = 0;
      a.sum.s = 0;
      a.sum.c = 0;
    },
    add: (a, e) => {
      a.n++;
      a.sum.add(e[field] as number);
    },
    merge: (a, b) => {
      a.n += b.n;
      a.sum.add(b.sum.s);
      a.sum.add(b.sum.c);
    },
    remove: (a, e) => {
      a.n--;
      a.sum.add(-(e[field] as number));
    },
    unmerge: (a, b) => {
      a.n -= b.n;
      a.sum.add(-b.sum.s);
      a.sum.add(-b.sum.c);
    },
    count: (a) => a.n,
    result,
    save: (a) => [a.n, a.sum.s, a.sum.c],
    load: (v) => {
      const [n = 0, s = 0, c = 0] = nums(v);
      const a = new SumAcc();
      a.n = n;
      a.sum.s = s;
      a.sum.c = c;
      return a;
    },
  };
}

export function sum<E>(field: NumericField<E>): Aggregator<E, SumAcc, { sum: number; count: number }> {
  return sumLike<E, { sum: number; count: number }>('sum', field, (a) => ({ sum: a.sum.value, count: a.n }));
}

/** Mean as compensated sum / count (exact to rounding; invertible). NaN for an empty window. */
export function mean<E>(field: NumericField<E>): Aggregator<E, SumAcc, { mean: number; count: number }> {
  return sumLike<E, { mean: number; count: number }>('mean', field, (a) => ({
    mean: a.n === 0 ? Number.NaN : a.sum.value / a.n,
    count: a.n,
  }));
}

// ---------------------------------------------------------------- min / max

export class ExtremumAcc {
  n = 0;
  v = Number.NaN;
}

function extremum<E>(name: 'min' | 'max', field: NumericField<E>): Aggregator<E, ExtremumAcc, ValueRecord> {
  const better = name === 'min' ? (x: number, y: number) => x < y : (x: number, y: number) => x > y;
  return {
    name,
    create: () => new ExtremumAcc(),
    reset: (a) => {
      a.n = 0;
      a.v = Number.NaN;
    },
    add: (a, e) => {
      const x = e[field] as number;
      if (a.n++ === 0 || better(x, a.v)) a.v = x;
    },
    merge: (a, b) => {
      if (b.n === 0) return;
      if (a.n === 0 || better(b.v, a.v)) a.v = b.v;
      a.n += b.n;
    },
    remove: null,
    unmerge: null,
    count: (a) => a.n,
    result: (a) => ({ [name]: a.n === 0 ? null : a.v, count: a.n }),
    save: (a) => [a.n, a.v],
    load: (v) => {
      const [n = 0, x = Number.NaN] = nums(v);
      const a = new ExtremumAcc();
      a.n = n;
      a.v = x;
      return a;
    },
  };
}

export function min<E>(
  field: NumericField<E>,
): Aggregator<E, ExtremumAcc, { min: number | null; count: number }> {
  return extremum('min', field) as Aggregator<E, ExtremumAcc, { min: number | null; count: number }>;
}

export function max<E>(
  field: NumericField<E>,
): Aggregator<E, ExtremumAcc, { max: number | null; count: number }> {
  return extremum('max', field) as Aggregator<E, ExtremumAcc, { max: number | null; count: number }>;
}

// ---------------------------------------------------------------- VWAP

/**
 * VWAP accumulator: `[n, sum(price * size), sum(size)]`, an array of doubles. V8 stores an object's
 * double fields each in a separate heap box (with pointer compression) but a double array's elements
 * unboxed, next to each other: an event's update touches one block instead of an object and two boxes.
 * (A `Float64Array` measured 0.57x at 10,000 symbols, see docs/benchmarks.md.) Created from a
 * literal of non-integers so that the array has double elements from the start.
 */
export type VwapAcc = number[];

export type VwapResult = { vwap: number; volume: number; count: number };

export function vwap<E>(price: NumericField<E>, size: NumericField<E>): Aggregator<E, VwapAcc, VwapResult> {
  return {
    name: 'vwap',
    create: () => [0.5, 0.5, 0.5].fill(0),
    reset: (a) => {
      a[0] = 0;
      a[1] = 0;
      a[2] = 0;
    },
    add: (a, e) => {
      const s = e[size] as number;
      a[0] = (a[0] as number) + 1;
      a[1] = (a[1] as number) + (e[price] as number) * s;
      a[2] = (a[2] as number) + s;
    },
    merge: (a, b) => {
      a[0] = (a[0] as number) + (b[0] as number);
      a[1] = (a[1] as number) + (b[1] as number);
      a[2] = (a[2] as number) + (b[2] as number);
    },
    remove: (a, e) => {
      const s = e[size] as number;
      a[0] = (a[0] as number) - 1;
      a[1] = (a[1] as number) - (e[price] as number) * s;
      a[2] = (a[2] as number) - s;
    },
    unmerge: (a, b) => {
      a[0] = (a[0] as number) - (b[0] as number);
      a[1] = (a[1] as number) - (b[1] as number);
      a[2] = (a[2] as number) - (b[2] as number);
    },
    count: (a) => a[0] as number,
    result: (a) => {
      const volume = a[2] as number;
      return { vwap: volume === 0 ? Number.NaN : (a[1] as number) / volume, volume, count: a[0] as number };
    },
    save: (a) => [a[0] as number, a[1] as number, a[2] as number],
    load: (v) => {
      const [n = 0, pv = 0, volume = 0] = nums(v);
      const a = [0.5, 0.5, 0.5];
      a[0] = n;
      a[1] = pv;
      a[2] = volume;
      return a;
    },
  };
}

// ---------------------------------------------------------------- stddev (Welford)

export class WelfordAcc {
  n = 0;
  mean = 0;
  m2 = 0;
}

function welfordAdd(a: WelfordAcc, x: number): void {
  a.n++;
  const d = x - a.mean;
  a.mean += d / a.n;
  a.m2 += d * (x - a.mean);
}

function welfordRemove(a: WelfordAcc, x: number): void {
  if (a.n <= 1) {
    a.n = 0;
    a.mean = 0;
    a.m2 = 0;
    return;
  }
  const d = x - a.mean;
  a.n--;
  a.mean -= d / a.n;
  a.m2 -= d * (x - a.mean);
  if (a.m2 < 0) a.m2 = 0;
}

export type StddevResult = { stddev: number; mean: number; count: number };

export function stddev<E>(field: NumericField<E>): Aggregator<E, WelfordAcc, StddevResult> {
  return {
    name: 'stddev',
    create: () => new WelfordAcc(),
    reset: (a) => {
      a.n = 0;
      a.mean = 0;
      a.m2 = 0;
    },
    add: (a, e) => welfordAdd(a, e[field] as number),
    merge: (a, b) => {
      if (b.n === 0) return;
      const n = a.n + b.n;
      const d = b.mean - a.mean;
      a.mean += (d * b.n) / n;
      a.m2 += b.m2 + (d * d * a.n * b.n) / n;
      a.n = n;
    },
    remove: (a, e) => welfordRemove(a, e[field] as number),
    unmerge: (a, b) => {
      if (b.n === 0) return;
      const n = a.n - b.n;
      if (n <= 0) {
        a.n = 0;
        a.mean = 0;
        a.m2 = 0;
        return;
      }
      const meanA = (a.mean * a.n - b.mean * b.n) / n;
      const d = b.mean - meanA;
      a.m2 = Math.max(0, a.m2 - b.m2 - (d * d * n * b.n) / a.n);
      a.mean = meanA;
      a.n = n;
    },
    count: (a) => a.n,
    result: (a) => ({
      stddev: a.n < 2 ? 0 : Math.sqrt(a.m2 / a.n),
      mean: a.n === 0 ? Number.NaN : a.mean,
      count: a.n,
    }),
    save: (a) => [a.n, a.mean, a.m2],
    load: (v) => {
      const [n = 0, m = 0, m2 = 0] = nums(v);
      const a = new WelfordAcc();
      a.n = n;
      a.mean = m;
      a.m2 = m2;
      return a;
    },
  };
}
