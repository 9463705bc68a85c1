import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  crc32c,
  type Delta,
  DeltaBatchEncoder,
  decodeDeltaBatch,
  decodeFrame,
  decodeTrade,
  decodeTradeBatch,
  decodeTradePayload,
  encodeFrame,
  encodeTrade,
  encodeTradePayload,
  InvalidValueError,
  MalformedPayloadError,
  MessageType,
  type OutputRecord,
  type ProtocolError,
  SchemaRegistry,
  splitBatch,
  type Trade,
  TradeBatchEncoder,
  UnknownSchemaError,
  type Value,
} from '../src/index.ts';
import { records, trade, tradeAt, vwapV1, vwapV2 } from './fixtures.ts';

const registry = new SchemaRegistry([vwapV1]);

export const arbValue: fc.Arbitrary<Value> = fc.letrec<{ value: Value }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double(),
    fc.string({ unit: 'grapheme' }),
    fc.bigInt({ min: -(2n ** 200n), max: 2n ** 200n }),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string(), tie('value'), { maxKeys: 4 }),
  ),
})).value;

export const arbDelta: fc.Arbitrary<Delta> = fc.oneof(
  arbValue.map((value) => ({ kind: 'set' as const, value })),
  fc.constant({ kind: 'remove' as const }),
  fc
    .array(
      fc.oneof(
        fc.record({ op: fc.constant('field_set' as const), field: fc.string(), value: arbValue }),
        fc.record({ op: fc.constant('field_remove' as const), field: fc.string() }),
        fc.record({
          op: fc.constant('map_set' as const),
          field: fc.string(),
          key: fc.string(),
          value: arbValue,
        }),
        fc.record({ op: fc.constant('map_remove' as const), field: fc.string(), key: fc.string() }),
      ),
      { maxLength: 5 },
    )
    .map((ops) => ({ kind: 'patch' as const, ops })),
);

const arbRecord: fc.Arbitrary<OutputRecord> = fc.record({
  key: fc.string({ maxLength: 40 }),
  partition: fc.nat({ max: 0xffffffff }),
  sequence: fc.maxSafeNat(),
  window: fc
    .tuple(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.bigInt({ min: 0n, max: 2n ** 40n }))
    .map(([s, len]) => ({ startNs: s, endNs: s + len > 2n ** 63n - 1n ? s : s + len })),
  delta: arbDelta,
});

const arbTrade: fc.Arbitrary<Trade> = fc.record({
  symbol: fc.string({ minLength: 1, maxLength: 60, unit: 'grapheme' }),
  price: fc.double({ noNaN: true, noDefaultInfinity: true }),
  size: fc.maxSafeNat(),
  timestampNs: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  venue: fc.string({ maxLength: 60, unit: 'grapheme' }),
});

describe('trade codec', () => {
  it('round-trips any valid trade (payload, frame, batch)', () => {
    fc.assert(
      fc.property(arbTrade, fc.maxSafeNat(), (t, seq) => {
        expect(decodeTradePayload(encodeTradePayload(t))).toEqual(t);
        const f = encodeTrade(t, { sequence: seq });
        expect(decodeTrade(f)).toEqual(t);
        expect(decodeFrame(f).sequence).toBe(seq);
      }),
      { numRuns: 500 },
    );
  });

  it('encoded views stay valid after many more encodes (slabs are replaced, never reused)', () => {
    const kept = Array.from({ length: 2000 }, (_, i) => [
      encodeTrade(tradeAt(i), { sequence: i }),
      encodeTradePayload(tradeAt(i)),
    ]);
    for (let i = 0; i < 5000; i++) encodeTrade(tradeAt(i), { sequence: i });
    kept.forEach(([frame, payload], i) => {
      expect(decodeTrade(frame!)).toEqual(tradeAt(i));
      expect(decodeTradePayload(payload!)).toEqual(tradeAt(i));
    });
    expect(() => encodeTradePayload({ ...trade, venue: 'x'.repeat(300) })).toThrow(InvalidValueError);
    expect(decodeTradePayload(encodeTradePayload(trade))).toEqual(trade);
  });

  it('refuses trades it cannot represent faithfully, writing nothing', () => {
    const bad: [string, Partial<Record<keyof Trade, unknown>>][] = [
      ['NaN price', { price: Number.NaN }],
      ['infinite price', { price: Number.POSITIVE_INFINITY }],
      ['fractional size', { size: 1.5 }],
      ['negative size', { size: -1 }],
      ['unsafe size', { size: 2 ** 53 }],
      ['int64 overflow', { timestampNs: 2n ** 63n }],
      ['number timestamp', { timestampNs: 5 }],
      ['empty symbol', { symbol: '' }],
      ['long symbol', { symbol: 'x'.repeat(256) }],
      ['long venue', { venue: 'é'.repeat(128) }],
      ['lone surrogate', { symbol: 'a\ud800' }],
    ];
    for (const [label, patch] of bad) {
      expect(() => encodeTrade({ ...trade, ...patch } as Trade, { sequence: 0 }), label).toThrow(
        InvalidValueError,
      );
    }
    const enc = new TradeBatchEncoder();
    enc.add(trade);
    expect(() => enc.add({ ...trade, price: Number.NaN })).toThrow(InvalidValueError);
    expect(decodeTradeBatch(enc.finish({ sequence: 1 }))).toEqual([trade]);
  });

  it('batches: count, split without decoding, event time, reuse', () => {
    const enc = new TradeBatchEncoder(64);
    for (let i = 0; i < 1000; i++) enc.add(tradeAt(i));
    expect(enc.count).toBe(1000);
    const bytes = enc.finish({ sequence: 3 });
    expect(enc.count).toBe(0);
    const f = decodeFrame(bytes);
    expect(f.eventTimeNs).toBe(tradeAt(999).timestampNs);
    const parts = splitBatch(f);
    expect(parts).toHaveLength(1000);
    expect(decodeTradePayload(parts[500]!)).toEqual(tradeAt(500));
    expect(decodeTradeBatch(bytes)).toEqual(Array.from({ length: 1000 }, (_, i) => tradeAt(i)));
    expect(decodeTradeBatch(enc.finish({ sequence: 4, eventTimeNs: 5n }))).toEqual([]);
  });
});

describe('delta codec', () => {
  it('round-trips any output record batch', () => {
    fc.assert(
      fc.property(fc.array(arbRecord, { maxLength: 8 }), (rs) => {
        const enc = new DeltaBatchEncoder(vwapV1);
        for (const r of rs) enc.add(r);
        const d = decodeDeltaBatch(enc.finish({ sequence: 1 }), { schemas: registry });
        expect(d.records).toEqual(rs);
      }),
      { numRuns: 300 },
    );
    const enc = new DeltaBatchEncoder(vwapV1);
    enc.add({ ...records[0]!, delta: { kind: 'set', value: [-0, Number.NaN, 2 ** 31, -(2 ** 31)] } });
    const v = decodeDeltaBatch(enc.finish({ sequence: 1 }), { schemas: registry }).records[0]!.delta;
    expect(v.kind === 'set' && Object.is((v.value as number[])[0], -0)).toBe(true);
    expect(v).toEqual({ kind: 'set', value: [-0, Number.NaN, 2 ** 31, -(2 ** 31)] });
  });

  it('keeps a "__proto__" key as an own property', () => {
    const value = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as Value;
    const enc = new DeltaBatchEncoder(vwapV1);
    enc.add({ ...records[0]!, delta: { kind: 'set', value } });
    const d = decodeDeltaBatch(enc.finish({ sequence: 1 }), { schemas: registry }).records[0]!.delta;
    const out = (d as { value: Record<string, unknown> }).value;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out)).toEqual(['__proto__', 'a']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses values that are not Values', () => {
    const enc = new DeltaBatchEncoder(vwapV1);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const value of [undefined, () => 1, Symbol('s'), new Date(0), new Map(), cyclic, holey()]) {
      expect(() => enc.add({ ...records[0]!, delta: { kind: 'set', value: value as Value } })).toThrow(
        InvalidValueError,
      );
    }
    expect(() => enc.add({ ...records[0]!, delta: { kind: 'nope' } as unknown as Delta })).toThrow(
      InvalidValueError,
    );
    expect(() => enc.add({ ...records[0]!, window: { startNs: 2n, endNs: 1n } })).toThrow(InvalidValueError);
    expect(() => enc.add({ ...records[0]!, sequence: -1 })).toThrow(InvalidValueError);
    expect(enc.count).toBe(0);
  });

  it('needs the schema of the frame: unknown fingerprint is a retryable typed error', () => {
    const enc = new DeltaBatchEncoder(vwapV2);
    enc.add(records[2]!);
    const bytes = enc.finish({ sequence: 1 });
    try {
      decodeDeltaBatch(bytes, { schemas: registry });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(UnknownSchemaError);
      expect((e as ProtocolError).retryable).toBe(true);
    }
    expect(decodeDeltaBatch(bytes, { schemas: new SchemaRegistry([vwapV2]) }).records).toEqual([records[2]]);
  });

  it('refuses hostile nesting without overflowing the stack', () => {
    // one record whose Set value is 100,000 nested one-element arrays, built by hand
    const depth = 100_000;
    const head = [0, 0, ...u32(3), ...new Array(8).fill(0), ...new Array(16).fill(0), 0]; // key "", p3, seq 0, window 0..0, Set
    const rec = new Uint8Array(head.length + depth * 5 + 1);
    rec.set(head);
    for (let i = 0; i < depth; i++) rec.set([7, ...u32(1)], head.length + i * 5);
    const payload = new Uint8Array([...u32(1), ...u32(rec.length), ...rec]);
    const bytes = encodeFrame(
      {
        type: MessageType.DeltaBatch,
        flags: 0,
        sequence: 0,
        eventTimeNs: 0n,
        fingerprint: vwapV1.fingerprint,
      },
      payload,
    );
    expect(() => decodeDeltaBatch(bytes, { schemas: registry })).toThrow(MalformedPayloadError);
    const enc = new DeltaBatchEncoder(vwapV1);
    expect(() => enc.add({ ...records[2]!, delta: { kind: 'set', value: nest(70) } })).toThrow(
      InvalidValueError,
    );
    enc.add({ ...records[2]!, delta: { kind: 'set', value: nest(60) } });
    expect(decodeDeltaBatch(enc.finish({ sequence: 0 }), { schemas: registry }).records).toHaveLength(1);
  });

  it('encodes every NaN as the canonical NaN and refuses other NaN bit patterns', () => {
    const enc = new DeltaBatchEncoder(vwapV1);
    const odd = new Float64Array(new Uint32Array([1, 0x7ff80000]).buffer)[0]!; // NaN with a payload bit
    enc.add({ ...records[0]!, delta: { kind: 'set', value: [odd, 1.5] } });
    const bytes = enc.finish({ sequence: 1 });
    const at = bytes.indexOf(0x7f, 40) - 7; // the NaN's first byte
    expect([...bytes.subarray(at, at + 8)]).toEqual([0, 0, 0, 0, 0, 0, 0xf8, 0x7f]);
    expect(decodeDeltaBatch(bytes, { schemas: registry }).records[0]!.delta).toEqual({
      kind: 'set',
      value: [Number.NaN, 1.5],
    });
    bytes[at] = 1;
    new DataView(bytes.buffer).setUint32(bytes.length - 4, crcOf(bytes), true);
    expect(() => decodeDeltaBatch(bytes, { schemas: registry })).toThrow(MalformedPayloadError);
  });

  it('objects travel in JS key order; another order on the wire is refused', () => {
    const value = { b: 1, 10: 2, a: 3, 2: 4, 4294967295: 5 } as Value;
    const enc = new DeltaBatchEncoder(vwapV1);
    enc.add({ ...records[0]!, delta: { kind: 'set', value } });
    const bytes = enc.finish({ sequence: 1 });
    const back = (decodeDeltaBatch(bytes, { schemas: registry }).records[0]!.delta as { value: object })
      .value;
    expect(Object.keys(back)).toEqual(['2', '10', 'b', 'a', '4294967295']);
    // swap the one-byte keys "2" and "b" on the wire: "b" before "2" is not JS order
    const k2 = bytes.indexOf(0x32, 40); // '2'
    const kb = bytes.indexOf(0x62, 40); // 'b'
    bytes[k2] = 0x62;
    bytes[kb] = 0x32;
    new DataView(bytes.buffer).setUint32(bytes.length - 4, crcOf(bytes), true);
    expect(() => decodeDeltaBatch(bytes, { schemas: registry })).toThrow(/canonical order/);
  });

  it('rejects a non-canonical number encoding', () => {
    const enc = new DeltaBatchEncoder(vwapV1);
    enc.add({ ...records[0]!, delta: { kind: 'set', value: 1.5 } });
    const bytes = enc.finish({ sequence: 1 });
    // 1.5 as f64 is 00 00 00 00 00 00 f8 3f; make it 1.0 (f0 3f): an int32 in an f64 tag
    const i = bytes.lastIndexOf(0xf8);
    bytes[i] = 0xf0;
    const c = (b: Uint8Array) => new DataView(b.buffer).setUint32(b.length - 4, crcOf(b), true);
    c(bytes);
    expect(() => decodeDeltaBatch(bytes, { schemas: registry })).toThrow(MalformedPayloadError);
  });
});

function crcOf(b: Uint8Array): number {
  return crc32c(b, 0, b.length - 4);
}

function holey(): Value {
  const a: Value[] = new Array(3);
  a[0] = 1;
  return a;
}

function u32(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];
}

function nest(n: number): Value {
  let v: Value = 1;
  for (let i = 0; i < n; i++) v = [v];
  return v;
}
