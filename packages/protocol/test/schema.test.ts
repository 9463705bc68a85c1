import { describe, expect, it } from 'vitest';
import {
  canonicalBytes,
  checkCompatibility,
  decodeSchema,
  decodeSchemaFrame,
  defineSchema,
  encodeSchemaFrame,
  type FieldDef,
  fingerprintOf,
  InvalidSchemaError,
  MalformedPayloadError,
  resolveValue,
  type Schema,
  SchemaIncompatibleError,
  SchemaRegistry,
  SchemaViolationError,
  TRADE_SCHEMA,
  validateValue,
} from '../src/index.ts';
import { vwapV1, vwapV2 } from './fixtures.ts';

function v(version: number, fields: FieldDef[], name = 'ripple.vwap'): Schema {
  return defineSchema({ name, version, fields });
}

const base: FieldDef[] = [
  { name: 'symbol', type: 'string' },
  { name: 'vwap', type: 'float64' },
  { name: 'volume', type: 'int' },
];

describe('schema values', () => {
  it('fingerprint: stable, from canonical bytes, sensitive to every part', () => {
    expect(vwapV1.fingerprint).toBe(fingerprintOf(vwapV1));
    expect(v(1, base).fingerprint).toBe(vwapV1.fingerprint);
    const variants = [
      v(2, base),
      v(1, base, 'ripple.vwap2'),
      v(1, [...base.slice(0, 2), { name: 'volume', type: 'int64' }]),
      v(1, [...base.slice(0, 2), { name: 'volume', type: 'int', optional: true }]),
      v(1, [...base.slice(0, 2), { name: 'volume', type: 'int', default: 0 }]),
      v(1, [...base.slice(0, 2), { name: 'volume', type: 'int', default: 1 }]),
      v(1, [base[1]!, base[0]!, base[2]!]),
      v(1, [...base, { name: 'm', type: { map: { list: 'string' } } }]),
      v(1, [...base, { name: 'm', type: { list: { map: 'string' } } }]),
    ];
    const fps = new Set([vwapV1.fingerprint, ...variants.map((s) => s.fingerprint)]);
    expect(fps.size).toBe(variants.length + 1);
    expect(vwapV1.id).toMatch(/^ripple\.vwap@1#[0-9a-f]{16}$/);
  });

  it('canonical bytes decode to the same schema, also in a handshake frame', () => {
    for (const s of [vwapV1, vwapV2, TRADE_SCHEMA]) {
      const back = decodeSchema(canonicalBytes(s));
      expect(back.fingerprint).toBe(s.fingerprint);
      expect(back.fields).toEqual(s.fields);
      expect(decodeSchemaFrame(encodeSchemaFrame(s, { sequence: 0 })).id).toBe(s.id);
    }
    const bytes = canonicalBytes(vwapV1);
    expect(() => decodeSchema(bytes.subarray(0, bytes.length - 1))).toThrow();
    expect(() => decodeSchema(new Uint8Array([...bytes, 0]))).toThrow(MalformedPayloadError);
  });

  it('refuses invalid definitions', () => {
    const bad: [string, () => unknown][] = [
      ['empty name', () => v(1, base, '')],
      ['version 0', () => v(0, base)],
      ['fractional version', () => v(1.5, base)],
      ['duplicate field', () => v(1, [...base, base[0]!])],
      ['bad field name', () => v(1, [{ name: 'a.b', type: 'int' }])],
      ['unknown type', () => v(1, [{ name: 'a', type: 'decimal' as 'int' }])],
      ['bad compound', () => v(1, [{ name: 'a', type: { list: 'int', map: 'int' } as unknown as 'int' }])],
      ['default of the wrong type', () => v(1, [{ name: 'a', type: 'int', default: 'x' }])],
      ['nested too deep', () => v(1, [{ name: 'a', type: deepList(40) }])],
    ];
    for (const [label, f] of bad) expect(f, label).toThrow(InvalidSchemaError);
  });
});

describe('compatibility rules (reader vs writer)', () => {
  const cases: [string, FieldDef[], FieldDef[], string[]][] = [
    ['identical', base, base, []],
    ['reader adds an optional field', [...base, { name: 'venue', type: 'string', optional: true }], base, []],
    ['reader adds a field with a default', [...base, { name: 'n', type: 'int', default: 0 }], base, []],
    ['reader adds a required field', [...base, { name: 'n', type: 'int' }], base, ['required_field_added']],
    ['reader drops a field', base.slice(0, 2), base, []],
    ['type changed', [base[0]!, { name: 'vwap', type: 'string' }, base[2]!], base, ['type_changed']],
    ['int -> float64 promotion', [base[0]!, base[1]!, { name: 'volume', type: 'float64' }], base, []],
    ['int -> int64 promotion', [base[0]!, base[1]!, { name: 'volume', type: 'int64' }], base, []],
    [
      'float64 -> int narrowing',
      base,
      [base[0]!, base[1]!, { name: 'volume', type: 'float64' }],
      ['type_changed'],
    ],
    [
      'optional became required',
      base,
      [base[0]!, base[1]!, { name: 'volume', type: 'int', optional: true }],
      ['optional_became_required'],
    ],
    [
      'required became optional',
      [base[0]!, base[1]!, { name: 'volume', type: 'int', optional: true }],
      base,
      [],
    ],
    [
      'nested record field added without default',
      [
        ...base,
        {
          name: 'r',
          type: {
            record: [
              { name: 'a', type: 'int' },
              { name: 'b', type: 'int' },
            ],
          },
        },
      ],
      [...base, { name: 'r', type: { record: [{ name: 'a', type: 'int' }] } }],
      ['required_field_added'],
    ],
    [
      'list element type changed',
      [...base, { name: 'l', type: { list: 'string' } }],
      [...base, { name: 'l', type: { list: 'int' } }],
      ['type_changed'],
    ],
    ['reordered fields', [base[2]!, base[0]!, base[1]!], base, []],
  ];
  for (const [label, reader, writer, rules] of cases) {
    it(label, () => {
      const r = checkCompatibility(v(2, reader), v(1, writer));
      expect(r.issues.map((i) => i.rule)).toEqual(rules);
      expect(r.compatible).toBe(rules.length === 0);
    });
  }

  it('different names, and the same version with different content, are incompatible', () => {
    expect(checkCompatibility(v(1, base, 'a'), v(1, base, 'b')).issues[0]?.rule).toBe('name_differs');
    expect(checkCompatibility(v(1, base), v(1, base.slice(0, 2))).issues[0]?.rule).toBe(
      'same_version_differs',
    );
  });

  it('resolves v1 values to v2: defaults, promotions, dropped fields', () => {
    const out = resolveValue(vwapV2, vwapV1, { symbol: 'A', vwap: 1.5, volume: 10 });
    expect(out).toEqual({ symbol: 'A', vwap: 1.5, volume: 10n, trades: 0 });
    expect(() => resolveValue(vwapV1, vwapV2, { symbol: 'A', vwap: 1.5, volume: 10n, trades: 0 })).toThrow(
      SchemaIncompatibleError,
    );
    expect(() => resolveValue(vwapV2, vwapV1, { symbol: 'A', vwap: 1.5 })).toThrow(SchemaViolationError);
  });

  it('validates values', () => {
    validateValue(vwapV2, { symbol: 'A', vwap: 1, volume: 2n, venue: null });
    const bad = [
      { symbol: 'A', vwap: 1, volume: 2 },
      { symbol: 'A', vwap: '1', volume: 2n },
      { symbol: 'A', vwap: 1, volume: 2n, extra: 1 },
      { symbol: 'A', vwap: 1, volume: 2n ** 64n },
      [1],
    ];
    for (const b of bad) expect(() => validateValue(vwapV2, b)).toThrow(SchemaViolationError);
  });

  it('registry: lookup by fingerprint, versions by name', () => {
    const reg = new SchemaRegistry([vwapV2, vwapV1, TRADE_SCHEMA]);
    expect(reg.require(vwapV1.fingerprint)).toBe(vwapV1);
    expect(reg.versions('ripple.vwap').map((s) => s.version)).toEqual([1, 2]);
    expect(() => reg.require(123n)).toThrow(/unknown schema fingerprint 000000000000007b/);
  });
});

function deepList(n: number): FieldDef['type'] {
  let t: FieldDef['type'] = 'int';
  for (let i = 0; i < n; i++) t = { list: t };
  return t;
}
