import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { apply, compose, type Delta, diff, type PatchOp, type Value, valueEqual } from '../src/index.ts';

// Small name pools so that random ops collide on the same fields and keys.
const field = fc.constantFrom('a', 'b', 'c', 'd');
const key = fc.constantFrom('x', 'y', 'z');
const scalar: fc.Arbitrary<Value> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.double(),
  fc.string({ maxLength: 3 }),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
);
const { value } = fc.letrec<{ value: Value }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(fc.oneof(field, key), tie('value'), { maxKeys: 4 }),
  ),
}));
const maybeValue = fc.option(value, { nil: undefined });
const op: fc.Arbitrary<PatchOp> = fc.oneof(
  fc.record({ op: fc.constant('field_set' as const), field, value }),
  fc.record({ op: fc.constant('field_remove' as const), field }),
  fc.record({ op: fc.constant('map_set' as const), field, key, value }),
  fc.record({ op: fc.constant('map_remove' as const), field, key }),
);
const delta: fc.Arbitrary<Delta> = fc.oneof(
  value.map((v): Delta => ({ kind: 'set', value: v })),
  fc.constant<Delta>({ kind: 'remove' }),
  fc.array(op, { maxLength: 6 }).map((ops): Delta => ({ kind: 'patch', ops })),
);

const same = (a: Value | undefined, b: Value | undefined) =>
  a === b || (a !== undefined && b !== undefined && valueEqual(a, b));

describe('delta algebra laws', () => {
  it('apply is idempotent', () => {
    fc.assert(fc.property(delta, maybeValue, (d, v) => same(apply(d, apply(d, v)), apply(d, v))));
  });

  it('apply(diff(a, b), a) = b', () => {
    fc.assert(fc.property(maybeValue, maybeValue, (a, b) => same(apply(diff(a, b), a), b)));
  });

  it('diff of a value with itself is a no-op', () => {
    fc.assert(fc.property(value, (a) => same(apply(diff(a, a), a), a)));
  });

  it('compose is associative (structurally)', () => {
    fc.assert(
      fc.property(delta, delta, delta, (a, b, c) => {
        expect(compose(compose(a, b), c)).toEqual(compose(a, compose(b, c)));
      }),
    );
  });

  it('compose(a, b) has the effect of a then b', () => {
    fc.assert(
      fc.property(delta, delta, maybeValue, (a, b, v) =>
        same(apply(compose(a, b), v), apply(b, apply(a, v))),
      ),
    );
  });

  it('Set and Remove absorb', () => {
    fc.assert(
      fc.property(delta, value, (d, v) => {
        expect(compose(d, { kind: 'set', value: v })).toEqual({ kind: 'set', value: v });
        expect(compose(d, { kind: 'remove' })).toEqual({ kind: 'remove' });
      }),
    );
  });
});

describe('delta examples', () => {
  it('diff of one changed field is a one-op patch', () => {
    const a = { symbol: 'SYM0001', vwap: 100.5, volume: 10n };
    const b = { symbol: 'SYM0001', vwap: 100.7, volume: 10n };
    expect(diff(a, b)).toEqual({ kind: 'patch', ops: [{ op: 'field_set', field: 'vwap', value: 100.7 }] });
  });

  it('map ops edit one key of a map field', () => {
    const a = { venues: { XNAS: 1, XNYS: 2 } };
    const b = { venues: { XNAS: 1, BATS: 3 } };
    const d = diff(a, b);
    expect(d).toEqual({
      kind: 'patch',
      ops: [
        { op: 'map_set', field: 'venues', key: 'BATS', value: 3 },
        { op: 'map_remove', field: 'venues', key: 'XNYS' },
      ],
    });
    expect(apply(d, a)).toEqual(b);
    expect(a).toEqual({ venues: { XNAS: 1, XNYS: 2 } }); // inputs are never mutated
  });

  it('diff to absent is Remove; from absent is Set', () => {
    expect(diff({ a: 1 }, undefined)).toEqual({ kind: 'remove' });
    expect(diff(undefined, { a: 1 })).toEqual({ kind: 'set', value: { a: 1 } });
  });

  it('composed patches drop overwritten ops', () => {
    const d = compose(
      { kind: 'patch', ops: [{ op: 'map_set', field: 'm', key: 'x', value: 1 }] },
      { kind: 'patch', ops: [{ op: 'field_set', field: 'm', value: 2 }] },
    );
    expect(d).toEqual({ kind: 'patch', ops: [{ op: 'field_set', field: 'm', value: 2 }] });
  });
});
