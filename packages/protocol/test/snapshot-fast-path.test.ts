// The fast paths of snapshot encoding (schema-plan.ts, writeValue without
// paths) against the reference walks they shortcut: on any value, drawn to
// be mostly conforming with some fields broken, the same bytes or the same
// typed error with the same path.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteWriter, INT64_MAX, INT64_MIN } from '../src/bytes.ts';
import { defineSchema, type PartitionSnapshot, type Value } from '../src/index.ts';
import { conformsTo } from '../src/schema-plan.ts';
import { violationOf } from '../src/schema-values.ts';
import { encodeSnapshot, encodeSnapshotChecked } from '../src/snapshot-codec.ts';
import { writeValue, writeValueChecked } from '../src/value-codec.ts';

/** Shaped like the worker's PARTITION_STATE_SCHEMA, plus a map, a bool, an int and a required field. */
const schema = defineSchema({
  name: 'test.partition-state',
  version: 1,
  fields: [
    { name: 'lo_ns', type: 'int64', optional: true },
    { name: 'hi_ns', type: 'timestamp_ns', optional: true },
    {
      name: 'panes',
      type: {
        list: {
          record: [
            { name: 'start_ns', type: 'int64' },
            { name: 'acc', type: { list: 'float64' } },
          ],
        },
      },
      optional: true,
    },
    { name: 'counters', type: { list: 'int' }, optional: true },
    { name: 'spec', type: 'string', default: '' },
    { name: 'tags', type: { map: 'bool' }, optional: true },
    { name: 'gen', type: 'int' },
  ],
});

const sparse: Value[] = [1];
sparse[2] = 2;
const odd = fc.constantFrom<unknown>(
  undefined,
  null,
  '\ud800',
  sparse,
  new Map(),
  new Date(0),
  Object.create(null),
  2n ** 64n,
  -(2n ** 63n) - 1n,
  -0,
  Number.NaN,
  2 ** 53,
  1.5,
  () => 0,
);
const anything = fc.oneof(
  odd,
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }),
  fc.string(),
);
const int64 = fc.bigInt({ min: INT64_MIN, max: INT64_MAX });
/** mostly `good`, sometimes anything */
const maybe = (good: fc.Arbitrary<unknown>) =>
  fc.oneof({ weight: 60, arbitrary: good }, { weight: 1, arbitrary: anything }, fc.constant(null));

const stray = new Map<string, fc.Arbitrary<unknown>>([
  ['extra', anything],
  ['__proto__', anything],
  ['7', anything],
]);

/** An object of `fields` (sometimes only some), perhaps with a stray key, in a random key order. */
function objectOf(fields: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<unknown> {
  const names = Object.keys(fields);
  return fc
    .tuple(
      fc.oneof(
        { weight: 6, arbitrary: fc.shuffledSubarray(names, { minLength: names.length }) },
        fc.shuffledSubarray(names),
      ),
      fc.oneof({ weight: 12, arbitrary: fc.constant(null) }, fc.constantFrom(...stray.keys())),
    )
    .chain(([keys, extra]) => {
      const ks = extra === null ? keys : [...keys, extra];
      return fc
        .tuple(...ks.map((k) => (Object.hasOwn(fields, k) ? fields[k]! : stray.get(k)!)))
        .map((vs) => Object.fromEntries(ks.map((k, i) => [k, vs[i]])));
    });
}

const pane = objectOf({
  start_ns: maybe(int64),
  acc: maybe(fc.array(maybe(fc.oneof(fc.double(), fc.integer())), { maxLength: 4 })),
});
const state = objectOf({
  lo_ns: maybe(int64),
  hi_ns: maybe(int64),
  panes: maybe(fc.array(maybe(pane), { maxLength: 3 })),
  counters: maybe(fc.array(maybe(fc.integer()), { maxLength: 3 })),
  spec: maybe(fc.string()),
  tags: maybe(fc.dictionary(fc.string(), maybe(fc.boolean()), { maxKeys: 3 })),
  gen: maybe(fc.integer()),
});
const leaf = fc.record({
  name: fc.oneof(fc.constantFrom('a', 'b', 'c', '\u0000partition'), fc.string()),
  value: maybe(state) as fc.Arbitrary<Value>,
});

function outcome(f: () => Uint8Array): unknown {
  try {
    return { bytes: Buffer.from(f()).toString('hex') };
  } catch (e) {
    const err = e as Error & { path?: string; code?: string };
    return { error: err.constructor.name, code: err.code, message: err.message, path: err.path };
  }
}

describe('snapshot fast paths agree with the reference walks', () => {
  it('conformsTo is validateValue not throwing', () => {
    const seen = [0, 0];
    fc.assert(
      fc.property(maybe(state), (v) => {
        const ok = conformsTo(schema, v as Value);
        expect(ok).toBe(violationOf(schema, v as Value) === undefined);
        seen[ok ? 0 : 1]! += 1;
      }),
      { numRuns: 3000 },
    );
    // the draw must exercise both answers
    expect(Math.min(...seen)).toBeGreaterThan(300);
  });

  it('writeValue writes what writeValueChecked writes, or throws what it throws', () => {
    fc.assert(
      fc.property(maybe(state), (v) => {
        const run = (write: (w: ByteWriter) => void) =>
          outcome(() => {
            const w = new ByteWriter(8);
            write(w);
            return w.copy();
          });
        expect(run((w) => writeValue(w, v as Value, 'value', 0))).toEqual(
          run((w) => writeValueChecked(w, v as Value, 'value', 0)),
        );
      }),
      { numRuns: 3000 },
    );
  });

  it('encodeSnapshot gives encodeSnapshotChecked’s bytes or error', () => {
    const seen = [0, 0];
    fc.assert(
      fc.property(
        fc.array(leaf, { maxLength: 4 }),
        fc.constantFrom(7, 7, 7, -1),
        fc.constantFrom<bigint>(1n, 1n, 1n, 2n ** 63n),
        (leaves, epoch, offset) => {
          const s: PartitionSnapshot = {
            checkpointId: 'c1',
            workerId: 'w1',
            partition: 0,
            epoch,
            createdAtNs: 5n,
            nodeCount: 3,
            offsets: [{ topic: 't', partition: 0, offset }],
            schema,
            leaves,
          };
          const got = outcome(() => encodeSnapshot(s, { sequence: 9 }));
          expect(got).toEqual(outcome(() => encodeSnapshotChecked(s, { sequence: 9 })));
          seen['bytes' in (got as object) ? 0 : 1]! += 1;
        },
      ),
      { numRuns: 3000 },
    );
    expect(Math.min(...seen)).toBeGreaterThan(300);
  });

  it('a non-enumerable own field is checked as the reference checks it', () => {
    const v = { gen: 1 };
    Object.defineProperty(v, 'lo_ns', { value: 'not an int64', enumerable: false });
    expect(conformsTo(schema, v)).toBe(false);
    expect(violationOf(schema, v)).toEqual({ path: 'lo_ns', detail: 'expected an int64 bigint' });
    const leaves = [{ name: 'x', value: v }];
    const s = { ...baseSnapshot(), leaves };
    expect(outcome(() => encodeSnapshot(s))).toEqual(outcome(() => encodeSnapshotChecked(s, {})));
  });

  it('a conforming class instance is refused by the writer, as the reference refuses it', () => {
    class State {
      gen = 1;
    }
    const s = { ...baseSnapshot(), leaves: [{ name: 'x', value: new State() as unknown as Value }] };
    expect(outcome(() => encodeSnapshot(s))).toEqual({
      error: 'InvalidValueError',
      code: 'PROTO_INVALID_VALUE',
      message: 'cannot encode leaves.x: not a plain object ([object Object])',
      path: 'leaves.x',
    });
    expect(outcome(() => encodeSnapshotChecked(s, {}))).toEqual(outcome(() => encodeSnapshot(s)));
  });
});

function baseSnapshot(): PartitionSnapshot {
  return {
    checkpointId: 'c1',
    workerId: 'w1',
    partition: 0,
    epoch: 1,
    createdAtNs: 5n,
    nodeCount: 1,
    offsets: [],
    schema,
    leaves: [],
  };
}
