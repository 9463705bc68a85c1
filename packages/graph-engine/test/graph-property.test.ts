import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Graph, type Incr, type IncrFold, type Leaf } from '../src/index.ts';

// Random DAGs and random update sequences, checked against a from-scratch
// recompute (the oracle) after every stabilization.

type Spec =
  | { kind: 'map'; a: number; k: number }
  | { kind: 'map2'; a: number; b: number; k: number }
  | { kind: 'mapN'; inputs: number[]; k: number }
  | { kind: 'fold'; inputs: number[]; k: number }
  | { kind: 'incrFold'; inputs: number[] };

type Action =
  | { t: 'set'; leaf: number; value: number }
  | { t: 'stabilize' }
  | { t: 'toggle'; fold: number; input: number };

// Small integer functions with frequent cutoffs (mod, clamp): exact arithmetic.
const fMap = (k: number) => (x: number) => ((x * k) % 17) + (x > 5 ? 1 : 0);
const fMap2 = (k: number) => (x: number, y: number) => (x - y * k) % 23;
const fMapN = (k: number) => (xs: readonly number[]) => xs.reduce((s, x) => s + x * k, 0) % 29;
const fFold = (k: number) => (acc: number, x: number) => (acc * 3 + x + k) % 101;
const add = (s: number, x: number) => s + x;
const sub = (s: number, x: number) => s - x;

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
        fc.record({
          kind: fc.constant('mapN' as const),
          inputs: fc.array(fc.nat(), { minLength: 1, maxLength: 5 }),
          k: fc.integer({ min: 1, max: 5 }),
        }),
        fc.record({
          kind: fc.constant('fold' as const),
          inputs: fc.array(fc.nat(), { minLength: 0, maxLength: 5 }),
          k: fc.integer({ min: 1, max: 5 }),
        }),
        fc.record({ kind: fc.constant('incrFold' as const), inputs: fc.array(fc.nat(), { maxLength: 6 }) }),
      ),
      { minLength: 1, maxLength: 14 },
    )
    .map((specs) =>
      // Inputs refer to earlier nodes only (index modulo the nodes that exist): a DAG by construction.
      specs.map((s, i): Spec => {
        const n = nLeaves + i;
        switch (s.kind) {
          case 'map':
            return { ...s, a: s.a % n };
          case 'map2':
            return { ...s, a: s.a % n, b: s.b % n };
          default:
            return { ...s, inputs: s.inputs.map((x) => x % n) } as Spec;
        }
      }),
    );

const arbCase = fc.integer({ min: 1, max: 5 }).chain((nLeaves) =>
  fc.record({
    nLeaves: fc.constant(nLeaves),
    initial: fc.array(fc.integer({ min: -9, max: 9 }), { minLength: nLeaves, maxLength: nLeaves }),
    specs: arbSpecs(nLeaves),
    actions: fc.array(
      fc.oneof(
        {
          weight: 6,
          arbitrary: fc.record({
            t: fc.constant('set' as const),
            leaf: fc.nat(),
            value: fc.integer({ min: -9, max: 9 }),
          }),
        },
        { weight: 3, arbitrary: fc.record({ t: fc.constant('stabilize' as const) }) },
        {
          weight: 1,
          arbitrary: fc.record({ t: fc.constant('toggle' as const), fold: fc.nat(), input: fc.nat() }),
        },
      ),
      { maxLength: 60 },
    ),
  }),
);

type Case = { nLeaves: number; initial: number[]; specs: Spec[]; actions: Action[] };

function run(c: Case, debug: boolean) {
  const g = new Graph({ debug });
  const calls: number[] = [];
  // Calls a node's function may receive in one stabilization: 1, or one per input for a full fold.
  const limit: number[] = [];
  const nodes: Incr<number>[] = [];
  const leaves: Leaf<number>[] = c.initial.map((v) => g.leaf(v));
  nodes.push(...leaves);
  // Current inputs of each incrFold (by node index), mirrored for the oracle.
  const foldInputs = new Map<number, number[]>();
  const count = <F extends (...a: never[]) => number>(i: number, f: F): F =>
    ((...a: never[]) => {
      calls[i] = (calls[i] ?? 0) + 1;
      return f(...a);
    }) as F;
  c.specs.forEach((s, j) => {
    const i = c.nLeaves + j;
    const at = (k: number) => nodes[k] as Incr<number>;
    switch (s.kind) {
      case 'map':
        nodes.push(g.map(at(s.a), count(i, fMap(s.k))));
        break;
      case 'map2':
        nodes.push(g.map2(at(s.a), at(s.b), count(i, fMap2(s.k))));
        break;
      case 'mapN':
        nodes.push(g.mapN(s.inputs.map(at), count(i, fMapN(s.k))));
        break;
      case 'fold':
        limit[i] = s.inputs.length;
        nodes.push(g.fold(s.inputs.map(at), 0, count(i, fFold(s.k))));
        break;
      case 'incrFold':
        foldInputs.set(i, [...s.inputs]);
        limit[i] = Number.POSITIVE_INFINITY; // one add per changed input
        nodes.push(g.incrFold(s.inputs.map(at), 0, count(i, add), sub));
        break;
    }
  });

  const leafValues = [...c.initial];
  const oracle = (): number[] => {
    const v: number[] = [...leafValues];
    c.specs.forEach((s, j) => {
      const i = c.nLeaves + j;
      const at = (k: number) => v[k] as number;
      switch (s.kind) {
        case 'map':
          v[i] = fMap(s.k)(at(s.a));
          break;
        case 'map2':
          v[i] = fMap2(s.k)(at(s.a), at(s.b));
          break;
        case 'mapN':
          v[i] = fMapN(s.k)(s.inputs.map(at));
          break;
        case 'fold':
          v[i] = s.inputs.map(at).reduce(fFold(s.k), 0);
          break;
        case 'incrFold':
          v[i] = (foldInputs.get(i) as number[]).map(at).reduce(add, 0);
          break;
      }
    });
    return v;
  };

  const folds = [...foldInputs.keys()];
  const check = () => {
    calls.length = 0;
    g.stabilize();
    if (!debug) {
      calls.forEach((n, i) => {
        expect(n).toBeLessThanOrEqual(limit[i] ?? 1);
      });
    }
    expect(nodes.map((n) => n.value)).toEqual(oracle());
  };
  check();
  for (const a of c.actions) {
    if (a.t === 'set') {
      const k = a.leaf % c.nLeaves;
      g.set(leaves[k] as Leaf<number>, a.value);
      leafValues[k] = a.value;
    } else if (a.t === 'stabilize') {
      check();
    } else if (folds.length > 0) {
      const fi = folds[a.fold % folds.length] as number;
      const inputs = foldInputs.get(fi) as number[];
      const candidate = a.input % fi; // any earlier node
      const fold = nodes[fi] as IncrFold<number, number>;
      const pos = inputs.indexOf(candidate);
      if (pos >= 0) {
        g.removeInput(fold, nodes[candidate] as Incr<number>);
        inputs.splice(pos, 1);
      } else {
        g.addInput(fold, nodes[candidate] as Incr<number>);
        inputs.push(candidate);
      }
    }
  }
  check();
}

describe('graph: property tests against a from-scratch recompute', () => {
  it('every node equals the oracle after every stabilize (debug invariants on)', () => {
    fc.assert(
      fc.property(arbCase, (c) => run(c as Case, true)),
      { numRuns: 1000 },
    );
  });

  it('every node is recomputed at most once per stabilize', () => {
    fc.assert(
      fc.property(arbCase, (c) => run(c as Case, false)),
      { numRuns: 1000 },
    );
  });
});
