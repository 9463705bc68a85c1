import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type F64, type F64Leaf, type F64Sum, Graph, type Incr } from '../src/index.ts';

// Random DAGs of f64 nodes (leaves, maps, map2s, sums) with generic nodes reading them (map, map2,
// incrFold), random update sequences (sets of integers and of NaN, ±Infinity, -0; inputs added to
// and removed from sums; f64 nodes disposed), checked after every stabilization against a from-scratch recompute (the
// oracle: plain folds), value for value with Object.is, and the observers against the changes.

type Spec =
  | { kind: 'map'; a: number; k: number }
  | { kind: 'map2'; a: number; b: number; k: number }
  | { kind: 'sum'; inputs: number[] }
  | { kind: 'gmap'; a: number; k: number }
  | { kind: 'gmap2'; a: number; b: number; k: number }
  | { kind: 'gfold'; inputs: number[] };

type Action =
  | { t: 'set'; leaf: number; value: number }
  | { t: 'stabilize' }
  | { t: 'toggle'; sum: number; input: number }
  | { t: 'dispose'; node: number };

// Small integer functions with frequent cutoffs: exact arithmetic, so a sum equals a plain fold.
const fMap = (k: number) => (x: number) => ((x * k) % 17) + (x > 5 ? 1 : 0);
const fMap2 = (k: number) => (x: number, y: number) => (x - y * k) % 23;
const gMap = (k: number) => (x: number) => `${(x * k) % 7}`;
const gMap2 = (k: number) => (x: unknown, y: unknown) => `${String(x)}|${String(y)}|${k}`;
const plus = (s: number, x: number) => s + x;
// The generic fold counts positive inputs: invertible for every double (s + x - x is not, with NaN or ±Infinity).
const addPositive = (s: number, x: number) => s + (x > 0 ? 1 : 0);
const removePositive = (s: number, x: number) => s - (x > 0 ? 1 : 0);
const isF64 = (s: Spec | undefined) =>
  s === undefined || s.kind === 'map' || s.kind === 'map2' || s.kind === 'sum';

const arbValue = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: -9, max: 9 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0),
  },
);

const arbSpecs = (nLeaves: number) =>
  fc
    .array(
      fc.oneof(
        fc.record({ kind: fc.constant('map' as const), a: fc.nat(), k: fc.integer({ min: 1, max: 5 }) }),
        fc.record({
          kind: fc.constant('map2' as const),
          a: fc.nat(),
          b: fc.nat(),
          k: fc.integer({ min: 1, max: 5 }),
        }),
        fc.record({ kind: fc.constant('sum' as const), inputs: fc.array(fc.nat(), { maxLength: 6 }) }),
        fc.record({ kind: fc.constant('gmap' as const), a: fc.nat(), k: fc.integer({ min: 1, max: 5 }) }),
        fc.record({
          kind: fc.constant('gmap2' as const),
          a: fc.nat(),
          b: fc.nat(),
          k: fc.integer({ min: 1, max: 5 }),
        }),
        fc.record({ kind: fc.constant('gfold' as const), inputs: fc.array(fc.nat(), { maxLength: 4 }) }),
      ),
      { minLength: 1, maxLength: 16 },
    )
    .map((raw) => {
      // f64 nodes read earlier f64 nodes only; generic nodes read any earlier node; gfold f64 ones.
      const f64Ids: number[] = Array.from({ length: nLeaves }, (_, i) => i);
      const specs: Spec[] = [];
      raw.forEach((s, j) => {
        const i = nLeaves + j;
        const f = (x: number) => f64Ids[x % f64Ids.length] as number;
        const any = (x: number) => x % i;
        let spec: Spec;
        switch (s.kind) {
          case 'map':
            spec = { ...s, a: f(s.a) };
            break;
          case 'map2':
            spec = { ...s, a: f(s.a), b: f(s.b) };
            break;
          case 'sum':
            spec = { ...s, inputs: s.inputs.map(f) };
            break;
          case 'gmap':
            spec = { ...s, a: f(s.a) };
            break;
          case 'gmap2':
            spec = { ...s, a: any(s.a), b: any(s.b) };
            break;
          default:
            spec = { ...s, inputs: s.inputs.map(f) };
        }
        if (isF64(spec)) f64Ids.push(i);
        specs.push(spec);
      });
      return specs;
    });

const arbCase = fc.integer({ min: 1, max: 5 }).chain((nLeaves) =>
  fc.record({
    nLeaves: fc.constant(nLeaves),
    initial: fc.array(arbValue, { minLength: nLeaves, maxLength: nLeaves }),
    specs: arbSpecs(nLeaves),
    actions: fc.array(
      fc.oneof(
        {
          weight: 6,
          arbitrary: fc.record({ t: fc.constant('set' as const), leaf: fc.nat(), value: arbValue }),
        },
        { weight: 3, arbitrary: fc.record({ t: fc.constant('stabilize' as const) }) },
        {
          weight: 1,
          arbitrary: fc.record({ t: fc.constant('toggle' as const), sum: fc.nat(), input: fc.nat() }),
        },
        { weight: 1, arbitrary: fc.record({ t: fc.constant('dispose' as const), node: fc.nat() }) },
      ),
      { maxLength: 60 },
    ),
  }),
);

type Case = { nLeaves: number; initial: number[]; specs: Spec[]; actions: Action[] };

function run(c: Case, debug: boolean) {
  const g = new Graph({ debug });
  const calls: number[] = [];
  const nodes: Incr<unknown>[] = [];
  const leaves: F64Leaf[] = c.initial.map((v) => g.f64Leaf(v));
  nodes.push(...leaves);
  // Current inputs of each sum and generic fold (by node index), mirrored for the oracle.
  const sumInputs = new Map<number, number[]>();
  const count = <F extends (...a: never[]) => unknown>(i: number, f: F): F =>
    ((...a: never[]) => {
      calls[i] = (calls[i] ?? 0) + 1;
      return f(...a);
    }) as F;
  const f64At = (k: number) => nodes[k] as F64;
  c.specs.forEach((s, j) => {
    const i = c.nLeaves + j;
    switch (s.kind) {
      case 'map':
        nodes.push(g.f64Map(f64At(s.a), count(i, fMap(s.k))));
        break;
      case 'map2':
        nodes.push(g.f64Map2(f64At(s.a), f64At(s.b), count(i, fMap2(s.k))));
        break;
      case 'sum':
        sumInputs.set(i, [...s.inputs]);
        nodes.push(g.f64Sum(s.inputs.map(f64At)));
        break;
      case 'gmap':
        nodes.push(g.map(f64At(s.a), count(i, gMap(s.k))));
        break;
      case 'gmap2':
        nodes.push(g.map2(nodes[s.a] as Incr<unknown>, nodes[s.b] as Incr<unknown>, count(i, gMap2(s.k))));
        break;
      case 'gfold':
        calls[i] = Number.NEGATIVE_INFINITY; // one add per changed input: not counted
        sumInputs.set(i, [...s.inputs]);
        nodes.push(g.incrFold(s.inputs.map(f64At), 0, addPositive, removePositive));
        break;
    }
  });
  // Observe every f64 node: each stabilization must report exactly the nodes whose value changed.
  const reported = new Map<number, [number, number]>();
  nodes.forEach((n, i) => {
    if (!isF64(c.specs[i - c.nLeaves])) return;
    g.observe(n as F64, (o, v) => {
      expect(reported.has(i)).toBe(false);
      reported.set(i, [o, v]);
    });
  });

  const leafValues = [...c.initial];
  const disposed = new Set<number>();
  // Nodes read by node i (for sums and folds: their current inputs).
  const readsOf = (i: number): number[] => {
    const sp = c.specs[i - c.nLeaves];
    if (sp === undefined) return [];
    if (sp.kind === 'sum' || sp.kind === 'gfold') return sumInputs.get(i) as number[];
    if (sp.kind === 'map' || sp.kind === 'gmap') return [sp.a];
    return [sp.a, sp.b];
  };
  const oracle = (): unknown[] => {
    const v: unknown[] = [...leafValues];
    c.specs.forEach((s, j) => {
      const i = c.nLeaves + j;
      const num = (k: number) => v[k] as number;
      switch (s.kind) {
        case 'map':
          v[i] = fMap(s.k)(num(s.a));
          break;
        case 'map2':
          v[i] = fMap2(s.k)(num(s.a), num(s.b));
          break;
        case 'sum':
          v[i] = (sumInputs.get(i) as number[]).map(num).reduce(plus, 0);
          break;
        case 'gmap':
          v[i] = gMap(s.k)(num(s.a));
          break;
        case 'gmap2':
          v[i] = gMap2(s.k)(v[s.a], v[s.b]);
          break;
        case 'gfold':
          v[i] = (sumInputs.get(i) as number[]).map(num).reduce(addPositive, 0);
          break;
      }
    });
    return v;
  };

  let before = nodes.map((n) => n.value);
  const check = () => {
    calls.length = 0;
    reported.clear();
    g.stabilize();
    if (!debug) for (const n of calls) if (n !== undefined) expect(n).toBeLessThanOrEqual(1);
    const now = nodes.map((n) => n.value);
    const expected = oracle();
    now.forEach((v, i) => {
      if (disposed.has(i)) return;
      expect(Object.is(v, expected[i]), `node ${i}: ${String(v)} vs oracle ${String(expected[i])}`).toBe(
        true,
      );
    });
    nodes.forEach((_, i) => {
      if (!isF64(c.specs[i - c.nLeaves]) || disposed.has(i)) return;
      const changed = !Object.is(before[i], now[i]);
      expect(reported.has(i), `observer of node ${i}`).toBe(changed);
      if (changed) expect(reported.get(i)).toEqual([before[i], now[i]]);
    });
    before = now;
  };
  check();
  const sums = [...sumInputs.keys()].filter((i) => c.specs[i - c.nLeaves]?.kind === 'sum');
  for (const a of c.actions) {
    if (a.t === 'set') {
      const k = a.leaf % c.nLeaves;
      if (disposed.has(k)) continue;
      g.f64Set(leaves[k] as F64Leaf, a.value);
      leafValues[k] = a.value;
    } else if (a.t === 'stabilize') {
      check();
    } else if (a.t === 'dispose') {
      // An f64 node read by nothing but sums and generic folds (they drop it), as the engine requires.
      const i = a.node % nodes.length;
      if (disposed.has(i) || !isF64(c.specs[i - c.nLeaves])) continue;
      const blocked = nodes.some((_, j) => {
        const kind = c.specs[j - c.nLeaves]?.kind;
        return !disposed.has(j) && kind !== 'sum' && kind !== 'gfold' && readsOf(j).includes(i);
      });
      if (blocked) continue;
      g.dispose(nodes[i] as F64);
      disposed.add(i);
      for (const inputs of sumInputs.values()) {
        for (let k = inputs.indexOf(i); k >= 0; k = inputs.indexOf(i)) inputs.splice(k, 1);
      }
      expect(g.isDisposed(nodes[i] as F64)).toBe(true);
    } else if (sums.length > 0) {
      const si = sums[a.sum % sums.length] as number;
      if (disposed.has(si)) continue;
      const inputs = sumInputs.get(si) as number[];
      // Any earlier f64 node (an earlier node never depends on a later one: no cycle).
      const earlier = nodes
        .map((_, i) => i)
        .filter((i) => i < si && isF64(c.specs[i - c.nLeaves]) && !disposed.has(i));
      if (earlier.length === 0) continue;
      const candidate = earlier[a.input % earlier.length] as number;
      const sum = nodes[si] as F64Sum;
      const pos = inputs.indexOf(candidate);
      if (pos >= 0 && a.input % 2 === 0) {
        g.f64RemoveInput(sum, f64At(candidate));
        inputs.splice(pos, 1);
      } else {
        g.f64AddInput(sum, f64At(candidate));
        inputs.push(candidate);
      }
    }
  }
  check();
}

describe('graph f64: property tests against a from-scratch recompute', () => {
  it('every node equals the oracle after every stabilize (debug invariants on)', () => {
    fc.assert(
      fc.property(arbCase, (c) => run(c as Case, true)),
      { numRuns: 1000 },
    );
  });

  it('every node is recomputed at most once per stabilize; observers see exactly the changes', () => {
    fc.assert(
      fc.property(arbCase, (c) => run(c as Case, false)),
      { numRuns: 1000 },
    );
  });
});
