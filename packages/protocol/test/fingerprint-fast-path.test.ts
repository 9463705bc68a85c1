// The fingerprint's fast path (schema-canonical-ascii.ts and hash64Words)
// against the general writer and the byte-wise hash it shortcuts: on any
// definition, valid or not, the same fingerprint; on the ones it takes, the
// same canonical bytes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canonicalBytes,
  defineSchema,
  fingerprintOf,
  fingerprintOfCanonical,
  TRADE_SCHEMA,
} from '../src/index.ts';
import { hash64, hash64Words } from '../src/schema-canonical.ts';
import { asciiCanonicalBuffer, writeCanonicalAscii } from '../src/schema-canonical-ascii.ts';
import type { FieldDef, FieldType, SchemaDef } from '../src/schema-types.ts';
import { vwapV1, vwapV2 } from './fixtures.ts';

const asciiName = fc.string({ unit: 'binary-ascii', maxLength: 24 });
/** Mostly ASCII, sometimes any UTF-16 (lone surrogates included) or very long. */
const anyName = fc.oneof(
  { weight: 6, arbitrary: asciiName },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 6 }) },
  { weight: 1, arbitrary: fc.nat(20_000).map((n) => 'x'.repeat(n)) },
);
const primitive = fc.constantFrom('bool', 'int', 'float64', 'int64', 'timestamp_ns', 'string');

function defArb(name: fc.Arbitrary<string>, withDefaults: boolean): fc.Arbitrary<SchemaDef> {
  const { type } = fc.letrec<{ type: FieldType; fields: FieldDef[] }>((tie) => ({
    type: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      primitive,
      tie('type').map((t) => ({ list: t as FieldType })),
      tie('type').map((t) => ({ map: t as FieldType })),
      tie('fields').map((f) => ({ record: f as FieldDef[] })),
    ),
    fields: fc.array(
      fc.record(
        {
          name,
          type: tie('type') as fc.Arbitrary<FieldType>,
          optional: fc.constantFrom(true, false),
          default: withDefaults ? fc.oneof(fc.integer(), fc.string(), fc.boolean()) : fc.constant(undefined),
        },
        { requiredKeys: ['name', 'type'] },
      ) as fc.Arbitrary<FieldDef>,
      { maxLength: 6 },
    ),
  }));
  return fc.record({
    name,
    version: fc.oneof(fc.integer({ min: 1, max: 0x7fffffff }), fc.integer(), fc.double()),
    fields: fc.array(
      fc.record(
        {
          name,
          type,
          optional: fc.constantFrom(true, false),
          default: withDefaults ? fc.oneof(fc.integer(), fc.string(), fc.boolean()) : fc.constant(undefined),
        },
        { requiredKeys: ['name', 'type'] },
      ) as fc.Arbitrary<FieldDef>,
      { maxLength: 8 },
    ),
  });
}

describe('fingerprint fast path', () => {
  it('gives the fingerprint of the general canonical bytes, for any definition', () => {
    fc.assert(
      fc.property(defArb(anyName, true), (def) => {
        expect(fingerprintOf(def)).toBe(fingerprintOfCanonical(canonicalBytes(def)));
      }),
      { numRuns: 400 },
    );
  });

  it('writes the same canonical bytes as the general writer for ASCII definitions without defaults', () => {
    fc.assert(
      fc.property(defArb(asciiName, false), (def) => {
        const n = writeCanonicalAscii(def);
        expect(n).toBeGreaterThanOrEqual(0); // the fast path is taken
        const expected = canonicalBytes(def);
        expect(asciiCanonicalBuffer().slice(0, n)).toEqual(expected);
        expect(fingerprintOf(def)).toBe(hash64(expected, 0, expected.length));
      }),
      { numRuns: 400 },
    );
  });

  it('declines (-1) what it does not cover: defaults, non-ASCII or over-long names', () => {
    const f: FieldDef = { name: 'a', type: 'int' };
    expect(writeCanonicalAscii({ name: 's', version: 1, fields: [{ ...f, default: 0 }] })).toBe(-1);
    expect(writeCanonicalAscii({ name: 'sé', version: 1, fields: [f] })).toBe(-1);
    expect(writeCanonicalAscii({ name: 's', version: 1, fields: [{ ...f, name: 'x'.repeat(0x4000) }] })).toBe(
      -1,
    );
    const plain = { name: 's', version: 1, fields: [f] };
    expect(writeCanonicalAscii(plain)).toBe(canonicalBytes(plain).length); // 15
  });

  it('keeps the pinned fingerprints of real schemas (a buffer grown past 1 KiB included)', () => {
    expect(fingerprintOf({ name: TRADE_SCHEMA.name, version: 1, fields: TRADE_SCHEMA.fields })).toBe(
      TRADE_SCHEMA.fingerprint,
    );
    expect(fingerprintOf(vwapV1)).toBe(vwapV1.fingerprint);
    expect(fingerprintOf(vwapV2)).toBe(vwapV2.fingerprint);
    const wide = defineSchema({
      name: 'test.wide',
      version: 3,
      fields: Array.from({ length: 300 }, (_, i) => ({
        name: `field_${i}`,
        type: { list: 'int64' as const },
      })),
    });
    expect(wide.canonical.length).toBeGreaterThan(2048);
    expect(fingerprintOf(wide)).toBe(wide.fingerprint);
    expect(fingerprintOf(vwapV1)).toBe(vwapV1.fingerprint); // after the growth
  });

  it('hash64Words equals hash64 over every length and content', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const aligned = new Uint8Array(bytes.length + 4);
        aligned.set(bytes);
        const words = new Int32Array(aligned.buffer, 0, aligned.length >>> 2);
        expect(hash64Words(words, aligned, bytes.length)).toBe(hash64(bytes, 0, bytes.length));
      }),
      { numRuns: 500 },
    );
  });
});
