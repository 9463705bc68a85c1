import { describe, expect, it } from 'vitest';
import {
  CycleError,
  DuplicateNameError,
  type F64,
  Graph,
  NodeComputeError,
  NodeDisposedError,
  NodeHasDependentsError,
  NotInputError,
  NumberExpectedError,
  ObserverError,
  ReentrancyError,
} from '../src/index.ts';
import { counted, stabilizeErrors } from './helpers.ts';

describe('graph f64: the VWAP shape on the numeric path', () => {
  it('recomputes only the changed symbol, its sums and the VWAP, in height order', () => {
    const g = new Graph() /* debug off: its checks call user functions too */;
    const price = [g.f64Leaf(100), g.f64Leaf(200), g.f64Leaf(300)];
    const size = [g.f64Leaf(1), g.f64Leaf(2), g.f64Leaf(3)];
    const mul = counted((p: number, s: number) => p * s);
    const notional = price.map((p, i) => g.f64Map2(p, size[i]!, mul));
    const totalN = g.f64Sum(notional, { name: 'notional' });
    const totalV = g.f64Sum(size);
    const vwapFn = counted((n: number, v: number) => (v === 0 ? 0 : n / v));
    const vwap = g.f64Map2(totalN, totalV, vwapFn);
    expect([totalN.value, totalV.value, vwap.value]).toEqual([1400, 6, 1400 / 6]);
    expect([totalN.height, totalV.height, vwap.height]).toEqual([2, 1, 3]);
    const seen: Array<[number, number]> = [];
    g.observe(vwap, (a, b) => seen.push([a, b]));
    mul.calls = 0;
    vwapFn.calls = 0;
    g.f64Set(price[1]!, 210);
    g.f64Set(size[1]!, 4);
    expect(vwap.value).toBe(1400 / 6); // not before stabilize
    expect(g.stabilize()).toBe(6); // 2 leaves, 1 notional, 2 sums, vwap
    expect([mul.calls, vwapFn.calls]).toEqual([1, 1]);
    expect([totalN.value, totalV.value, vwap.value]).toEqual([100 + 840 + 900, 8, 1840 / 8]);
    expect(seen).toEqual([[1400 / 6, 1840 / 8]]);
  });

  it('an equal double is a cutoff; NaN to NaN is no change, +0 to -0 is one (Object.is)', () => {
    const g = new Graph() /* debug off: its checks call user functions too */;
    const a = g.f64Leaf(5);
    const sign = g.f64Map(a, (x) => (x > 0 ? 1 : x < 0 ? -1 : x));
    const below = counted((x: number) => x * 10);
    const b = g.f64Map(sign, below);
    below.calls = 0;
    g.f64Set(a, 7);
    expect(g.stabilize()).toBe(2); // a and sign; b cut off
    expect(below.calls).toBe(0);
    g.f64Set(a, 7);
    expect(g.stabilize()).toBe(1); // a cut off at the leaf
    g.f64Set(a, Number.NaN);
    g.stabilize();
    expect(b.value).toBeNaN();
    below.calls = 0;
    g.f64Set(a, Number.NaN);
    g.stabilize();
    expect(below.calls).toBe(0);
    g.f64Set(a, 0);
    g.stabilize();
    expect(Object.is(b.value, 0)).toBe(true);
    g.f64Set(a, -0);
    g.stabilize();
    expect(Object.is(sign.value, -0)).toBe(true);
    expect(Object.is(b.value, -0)).toBe(true);
    expect(g.stats().cutoffs).toBeGreaterThanOrEqual(3);
  });
});

describe('graph f64: the incremental sum', () => {
  it('goes back to a finite total when its non-finite inputs leave', () => {
    const g = new Graph({ debug: true });
    const xs = [g.f64Leaf(1), g.f64Leaf(2), g.f64Leaf(3)];
    const sum = g.f64Sum(xs);
    const step = (i: number, v: number): number => {
      g.f64Set(xs[i]!, v);
      g.stabilize();
      return sum.value;
    };
    expect(step(0, Number.POSITIVE_INFINITY)).toBe(Number.POSITIVE_INFINITY);
    expect(step(1, Number.NEGATIVE_INFINITY)).toBeNaN();
    expect(step(0, 10)).toBe(Number.NEGATIVE_INFINITY);
    expect(step(2, Number.NaN)).toBeNaN();
    expect(step(1, 5)).toBeNaN();
    expect(step(2, 0.5)).toBe(15.5);
  });

  it('recovers from an overflow of the finite total', () => {
    const g = new Graph({ debug: true });
    const xs = [g.f64Leaf(1e308), g.f64Leaf(1e308), g.f64Leaf(-5)];
    const sum = g.f64Sum(xs);
    expect(sum.value).toBe(Number.POSITIVE_INFINITY);
    g.f64Set(xs[1]!, 1);
    g.stabilize();
    expect(sum.value).toBe(1e308 + 1 - 5);
  });

  it('does not drift: 200,000 updates of 1,000 inputs of mixed magnitude stay within 1 ulp-scale of the exact sum', () => {
    const g = new Graph();
    const n = 1000;
    // Values k / 1024 with |k| < 2^50: exactly representable, and their exact sum fits a BigInt.
    let seed = 12345;
    const rnd = (): number => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return seed >>> 0;
    };
    const draw = (): bigint => {
      const mag = rnd() % 4 === 0 ? 2 ** 50 : rnd() % 2 === 0 ? 2 ** 20 : 2 ** 5;
      const k = Math.floor((rnd() / 2 ** 32) * mag) * (rnd() % 2 === 0 ? 1 : -1);
      return BigInt(k);
    };
    const ks = Array.from({ length: n }, draw);
    const leaves = ks.map((k) => g.f64Leaf(Number(k) / 1024));
    const sum = g.f64Sum(leaves);
    let naive = leaves.reduce((s, l) => s + l.value, 0);
    for (let u = 0; u < 200_000; u++) {
      const i = rnd() % n;
      const k = draw();
      naive += Number(k) / 1024 - Number(ks[i] as bigint) / 1024;
      ks[i] = k;
      g.f64Set(leaves[i]!, Number(k) / 1024);
      g.stabilize();
    }
    const exact = Number(ks.reduce((s, k) => s + k, 0n)) / 1024;
    const magnitude = ks.reduce((s, k) => s + Math.abs(Number(k)), 0) / 1024;
    const err = Math.abs(sum.value - exact);
    expect(err).toBeLessThanOrEqual(2 * Number.EPSILON * Math.abs(exact) + 1e-15 * magnitude);
    // The plain running sum of deltas, for contrast, is what the compensation is there for.
    expect(Math.abs(naive - exact)).toBeGreaterThan(err);
  });

  it('adds and removes inputs while live, including one changed in the same stabilization', () => {
    const g = new Graph({ debug: true });
    const a = g.f64Leaf(1);
    const b = g.f64Leaf(10);
    const c = g.f64Leaf(100);
    const sum = g.f64Sum([a, b]);
    g.f64AddInput(sum, c);
    g.f64Set(c, 200);
    g.stabilize();
    expect(sum.value).toBe(211);
    g.f64Set(a, 2);
    g.f64RemoveInput(sum, a); // changed and removed before stabilize: what was folded in leaves
    g.stabilize();
    expect(sum.value).toBe(210);
    g.f64AddInput(sum, b); // listed twice, counts twice
    g.stabilize();
    expect(sum.value).toBe(220);
    g.f64Set(b, 1);
    g.stabilize();
    expect(sum.value).toBe(202);
    expect(() => g.f64RemoveInput(sum, a)).toThrowError(NotInputError);
  });

  it('an input higher than the sum raises the sum, its dependents and their generic readers', () => {
    const g = new Graph({ debug: true });
    const a = g.f64Leaf(1);
    const sum = g.f64Sum([a]);
    const twice = g.f64Map(sum, (x) => 2 * x);
    const label = g.map(twice, (x) => `total ${x}`);
    const deep = g.f64Map(
      g.f64Map(
        g.f64Map(a, (x) => x + 1),
        (x) => x + 1,
      ),
      (x) => x + 1,
    );
    g.f64AddInput(sum, deep);
    expect(sum.height).toBe(4);
    expect(twice.height).toBe(5);
    expect(label.height).toBeGreaterThan(5);
    g.f64Set(a, 2);
    g.stabilize();
    expect([sum.value, twice.value, label.value]).toEqual([7, 14, 'total 14']);
  });

  it('refuses a cycle', () => {
    const g = new Graph();
    const a = g.f64Leaf(1);
    const sum = g.f64Sum([a]);
    const above = g.f64Map(sum, (x) => x + 1);
    expect(() => g.f64AddInput(sum, above)).toThrowError(CycleError);
    expect(sum.height).toBe(1);
  });
});

describe('graph f64: errors', () => {
  it('a throwing function fails only its node, which keeps its value until an input changes', () => {
    const g = new Graph({ debug: true });
    const a = g.f64Leaf(1);
    const other = g.f64Leaf(1);
    const risky = g.f64Map(
      a,
      (x) => {
        if (x === 13) throw new RangeError('unlucky');
        return x * 2;
      },
      { name: 'risky' },
    );
    const downstream = g.f64Map2(risky, other, (x, y) => x + y);
    g.f64Set(a, 13);
    g.f64Set(other, 100);
    const err = stabilizeErrors(g);
    const first = err.errors[0] as NodeComputeError;
    expect(first).toBeInstanceOf(NodeComputeError);
    expect(first.nodeLabel).toBe('risky');
    expect(first.cause).toBeInstanceOf(RangeError);
    expect([risky.value, downstream.value, g.isStale(risky)]).toEqual([2, 102, true]);
    expect(g.stats().staleCount).toBe(1);
    expect(g.stabilize()).toBe(0);
    g.f64Set(a, 4);
    g.stabilize();
    expect([risky.value, downstream.value, g.isStale(risky)]).toEqual([8, 108, false]);
    expect(g.stats().staleCount).toBe(0);
  });

  it('a function returning a non-number fails its node with NumberExpectedError as the cause', () => {
    const g = new Graph({ debug: true });
    const a = g.f64Leaf(1);
    const bad = g.f64Map(a, (x) => (x > 5 ? ('big' as unknown as number) : x));
    g.f64Set(a, 9);
    const err = stabilizeErrors(g);
    expect((err.errors[0] as NodeComputeError).cause).toBeInstanceOf(NumberExpectedError);
    expect(bad.value).toBe(1);
  });

  it('refuses a non-number set, a generic node where an f64 node is needed, and a node of another graph', () => {
    const g = new Graph();
    const a = g.f64Leaf(1);
    expect(() => g.f64Set(a, '2' as unknown as number)).toThrowError(NumberExpectedError);
    expect(() => g.f64Leaf(Number('x') > 0 ? 1 : ('y' as unknown as number))).toThrowError(
      NumberExpectedError,
    );
    const generic = g.leaf(1);
    expect(() => g.f64Map(generic as never, (x) => x)).toThrowError(NotInputError);
    const other = new Graph().f64Leaf(1);
    expect(() => g.f64Map(other, (x) => x)).toThrowError(NotInputError);
    expect(() => g.f64Set(other, 1)).toThrowError(NotInputError);
    const m = g.f64Map(a, (x) => x);
    expect(() => g.f64Set(m as never, 1)).toThrowError(NotInputError);
    expect(() => g.dispose(other)).toThrowError(NotInputError);
  });

  it('creating a node whose function throws creates nothing', () => {
    const g = new Graph();
    const a = g.f64Leaf(0);
    expect(() =>
      g.f64Map(a, () => {
        throw new Error('no');
      }),
    ).toThrowError(NodeComputeError);
    expect(g.stats().nodeCount).toBe(1);
  });

  it('a function may not set or build while stabilizing', () => {
    const g = new Graph();
    const a = g.f64Leaf(0);
    const b = g.f64Leaf(0);
    g.f64Map(a, (x) => {
      if (x === 1) g.f64Set(b, 5);
      return x;
    });
    g.f64Set(a, 1);
    const err = stabilizeErrors(g);
    expect(err.errors[0]?.cause).toBeInstanceOf(ReentrancyError);
    expect(b.value).toBe(0);
  });
});

describe('graph f64: observers', () => {
  it('see old and new values after propagation, not on cutoff, and stop after dispose', () => {
    const g = new Graph({ debug: true });
    const a = g.f64Leaf(1);
    const b = g.f64Map(a, (x) => Math.floor(x / 10));
    const seen: string[] = [];
    const first = g.observe(b, (o, n) => seen.push(`1:${o}->${n}:${a.value}`));
    g.observe(b, (o, n) => seen.push(`2:${o}->${n}`));
    g.f64Set(a, 25);
    g.stabilize();
    g.f64Set(a, 27); // b unchanged: no call
    g.stabilize();
    first.dispose();
    first.dispose();
    g.f64Set(a, 35);
    g.stabilize();
    expect(seen).toEqual(['1:0->2:25', '2:0->2', '2:2->3']);
  });

  it('an observer that throws does not stop the others; stabilize reports it', () => {
    const g = new Graph();
    const a = g.f64Leaf(1);
    let seen = 0;
    g.observe(a, () => {
      throw new Error('observer down');
    });
    g.observe(a, (_o, n) => {
      seen = n;
    });
    g.f64Set(a, 2);
    const err = stabilizeErrors(g);
    expect(err.errors[0]).toBeInstanceOf(ObserverError);
    expect(seen).toBe(2);
  });

  it('may set leaves (taking effect at the next stabilize) and build nodes', () => {
    const g = new Graph({ debug: true });
    const a = g.f64Leaf(1);
    const b = g.f64Leaf(0);
    const built: number[] = [];
    g.observe(a, (_o, n) => {
      g.f64Set(b, n * 2);
      for (let i = 0; i < 100; i++) built.push(g.f64Map(b, (x) => x + i).id); // grows the arrays
    });
    g.f64Set(a, 3);
    g.stabilize();
    expect(b.value).toBe(0);
    g.stabilize();
    expect(b.value).toBe(6);
    expect(built.length).toBe(100);
  });
});

describe('graph f64: mixed with generic nodes', () => {
  it('generic nodes read f64 nodes (map, map2, incrFold) and see each change once', () => {
    const g = new Graph() /* debug off: its checks call user functions too */;
    const p = [g.f64Leaf(10), g.f64Leaf(20)];
    const total = g.f64Sum(p);
    const label = counted((x: number) => x * 100);
    const generic = g.map(total, label);
    const mixed = g.map2(generic, p[0]!, (x, y) => `${x}/${y}`);
    const fold = g.incrFold(
      p,
      0,
      (s, x) => s + x,
      (s, x) => s - x,
    );
    expect([generic.value, mixed.value, fold.value]).toEqual([3000, '3000/10', 30]);
    label.calls = 0;
    g.f64Set(p[0]!, 11);
    g.stabilize();
    expect([generic.value, mixed.value, fold.value]).toEqual([3100, '3100/11', 31]);
    expect(label.calls).toBe(1);
    // A generic node read by nothing on the f64 side changes nothing on it.
    g.f64Set(p[1]!, 20);
    expect(g.stabilize()).toBe(1);
    // Removing an f64 input from a generic incrFold.
    g.removeInput(fold, p[1]!);
    g.stabilize();
    expect(fold.value).toBe(11);
  });

  it('snapshots and restores f64 leaves with the generic ones; names are one namespace', () => {
    const g = new Graph({ debug: true });
    const a = g.f64Leaf(1.5, { name: 'a' });
    const b = g.leaf('x', { name: 'b' });
    const sum = g.f64Sum([a, g.f64Leaf(2, { name: 'c' })]);
    expect(() => g.f64Leaf(0, { name: 'b' })).toThrowError(DuplicateNameError);
    expect(() => g.leaf(0, { name: 'a' })).toThrowError(DuplicateNameError);
    g.f64Set(a, 4);
    g.stabilize();
    const snap = g.snapshot();
    expect(snap.leaves).toEqual([
      ['a', 4],
      ['b', 'x'],
      ['c', 2],
    ]);
    const h = new Graph({ debug: true });
    const a2 = h.f64Leaf(0, { name: 'a' });
    const c2 = h.f64Leaf(0, { name: 'c' });
    const b2 = h.leaf('', { name: 'b' });
    const sum2 = h.f64Sum([a2, c2]);
    expect(h.restore(snap)).toEqual({ restored: 3, missing: [] });
    h.stabilize();
    expect([sum2.value, b2.value, sum.value]).toEqual([6, 'x', 6]);
    expect(h.f64LeafNamed('a')).toBe(a2);
    expect(() => h.restore({ format: 1, leaves: [['a', 'nope']] })).toThrowError(NumberExpectedError);
    expect(h.stats().dirtyCount).toBe(0); // nothing applied
    expect(b.value).toBe('x');
  });

  it('stats count f64 nodes, recomputes and stale nodes', () => {
    const g = new Graph();
    const a = g.f64Leaf(1);
    g.f64Map(a, (x) => x + 1);
    g.map(a, (x) => x + 1); // adds the view and the map
    expect(g.stats().nodeCount).toBe(4);
    g.f64Set(a, 2);
    expect(g.stats().dirtyCount).toBe(1);
    expect(g.stabilize()).toBe(4);
    expect(g.stats().lastRecomputes).toBe(4);
  });
});

describe('graph f64: dispose', () => {
  it('removes a node from the sums that read it; its handle stays dead when its id is reused', () => {
    const g = new Graph({ debug: true });
    const a = g.f64Leaf(1, { name: 'a' });
    const b = g.f64Leaf(10);
    const sum = g.f64Sum([a, b, a]);
    const fold = g.incrFold(
      [a, b],
      0,
      (s, x: number) => s + x,
      (s, x) => s - x,
    );
    expect([sum.value, fold.value]).toEqual([12, 11]);
    g.f64Set(a, 5); // queued, then disposed before stabilize
    g.dispose(a);
    g.dispose(a); // idempotent
    expect(g.isDisposed(a)).toBe(true);
    expect(a.value).toBeNaN();
    expect(g.stats().dirtyCount).toBe(2); // the sum and the fold; the leaf left the queue
    g.stabilize();
    expect([sum.value, fold.value]).toEqual([10, 10]);
    expect(() => g.f64Set(a, 1)).toThrowError(NodeDisposedError);
    expect(() => g.f64Map(a, (x) => x)).toThrowError(NodeDisposedError);
    const c = g.f64Leaf(7, { name: 'a' }); // the name is free again, the id reused
    expect(c.id).toBe(a.id);
    expect([g.isDisposed(a), g.isDisposed(c), a.value, c.value]).toEqual([true, false, Number.NaN, 7]);
    g.f64AddInput(sum, c);
    g.stabilize();
    expect(sum.value).toBe(17);
  });

  it('a queued sum whose height was raised leaves the queue when disposed', () => {
    const g = new Graph({ debug: true });
    const a = g.f64Leaf(1);
    const sum = g.f64Sum([a]);
    const deep = g.f64Map(
      g.f64Map(a, (x) => x + 1),
      (x) => x + 1,
    );
    g.f64AddInput(sum, a); // queues the sum at height 1
    g.f64AddInput(sum, deep); // raises it to 3: it stays queued in the bucket of height 1
    g.dispose(sum);
    expect(g.stats().dirtyCount).toBe(0);
    expect(g.stabilize()).toBe(0);
  });

  it("an observer disposed after its node was disposed leaves the id's next node alone", () => {
    const g = new Graph({ debug: true });
    const a = g.f64Leaf(1);
    const stale = g.observe(a, () => {});
    g.dispose(a);
    const b = g.f64Leaf(2);
    expect(b.id).toBe(a.id);
    const seen: number[] = [];
    g.observe(b, (_o, v) => seen.push(v));
    stale.dispose();
    g.f64Set(b, 3);
    g.stabilize();
    expect(seen).toEqual([3]);
  });

  it('refuses a node with dependents other than sums, on either side', () => {
    const g = new Graph({ debug: true });
    const a = g.f64Leaf(1);
    const m = g.f64Map(a, (x) => x + 1);
    expect(() => g.dispose(a)).toThrowError(NodeHasDependentsError);
    const label = g.map(m, (x) => `${x}`);
    expect(() => g.dispose(m)).toThrowError(NodeHasDependentsError);
    g.dispose(label);
    g.dispose(m);
    g.dispose(a);
    expect(g.stats().nodeCount).toBe(0);
    g.stabilize();
  });

  it('a symbol appears and expires a thousand times without growing the store', () => {
    const g = new Graph({ debug: true });
    const total = g.f64Sum([]);
    const keep = g.f64Leaf(1);
    g.f64AddInput(total, keep);
    for (let i = 0; i < 1000; i++) {
      const p = g.f64Leaf(i);
      const s = g.f64Leaf(2);
      const n: F64 = g.f64Map2(p, s, (x, y) => x * y);
      g.f64AddInput(total, n);
      g.stabilize();
      expect(total.value).toBe(1 + 2 * i);
      g.dispose(n);
      g.dispose(p);
      g.dispose(s);
      g.stabilize();
      expect(total.value).toBe(1);
    }
    expect(g.stats().nodeCount).toBe(2);
  });
});
