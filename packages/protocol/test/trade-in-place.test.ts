// The in-place trade API (writeTradeAt / readTradeInto / TradeSlot) against
// the allocating one (encodeTradePayload / decodeTradePayload): the same
// bytes for any trade, the same fields, and on broken or truncated input the
// same typed error with the same code and offset.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeTradePayload,
  encodeTradePayload,
  InvalidValueError,
  MalformedPayloadError,
  ProtocolError,
  readTradeInto,
  type Trade,
  TradeSlot,
  TruncatedError,
  ValueOutOfRangeError,
  writeTradeAt,
} from '../src/index.ts';

const str = (min: number) =>
  fc.oneof(
    { weight: 4, arbitrary: fc.string({ unit: 'binary-ascii', minLength: min, maxLength: 16 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: min, maxLength: 60 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', minLength: 200, maxLength: 255 }) },
  );
const arbTrade: fc.Arbitrary<Trade> = fc.record({
  symbol: str(1),
  price: fc.double({ noNaN: true, noDefaultInfinity: true }),
  size: fc.maxSafeNat(),
  timestampNs: fc.oneof(
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
    fc.constantFrom(-(2n ** 63n), 2n ** 63n - 1n, -1n, 0n, 2n ** 32n - 1n, 2n ** 32n, -(2n ** 32n)),
  ),
  venue: str(0),
});

/**
 * The payload checks written out one by one, in the grammar's order (the
 * decoder's before it folded them into one condition on bytes): the oracle
 * for the errors of the fuzz test below.
 */
function referenceCheck(b: Uint8Array): void {
  const dv = new DataView(b.buffer, b.byteOffset, b.length);
  const end = b.length;
  if (end < 26) throw new TruncatedError('trade', 26, end, 0);
  if (!Number.isFinite(dv.getFloat64(0, true)))
    throw new ValueOutOfRangeError('trade.price', 'not finite', 0);
  if (dv.getBigUint64(16, true) > 2n ** 53n - 1n)
    throw new ValueOutOfRangeError('trade.size', 'above 2^53-1', 16);
  const sl = b[24]!;
  if (sl === 0) throw new ValueOutOfRangeError('trade.symbol', 'empty', 24);
  const venueAt = 25 + sl;
  if (venueAt + 1 > end) throw new TruncatedError('trade symbol', sl + 1, end - 25, 25);
  const venueEnd = venueAt + 1 + b[venueAt]!;
  if (venueEnd > end) throw new TruncatedError('trade venue', b[venueAt]!, end - venueAt - 1, venueAt + 1);
  if (venueEnd !== end)
    throw new MalformedPayloadError(`${end - venueEnd} trailing byte(s) after trade`, venueEnd);
  for (const [from, to] of [
    [25, venueAt],
    [venueAt + 1, end],
  ] as const) {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(b.subarray(from, to));
    } catch {
      throw new MalformedPayloadError('invalid UTF-8 in string', from);
    }
  }
}

/** What a call threw, as comparable data (class, code, message). */
function outcome(f: () => unknown): unknown {
  try {
    f();
    return 'ok';
  } catch (e) {
    if (!(e instanceof ProtocolError)) throw e;
    return { cls: e.constructor.name, code: e.code, message: e.message };
  }
}

describe('trade in place', () => {
  it('writes the bytes of encodeTradePayload and reads back the same trade, at any offset', () => {
    const buf = new Uint8Array(1200);
    const slot = new TradeSlot();
    const out = new TradeSlot();
    fc.assert(
      fc.property(arbTrade, fc.nat(600), (t, at) => {
        const expected = encodeTradePayload(t);
        const end = writeTradeAt(buf, at, slot.setTrade(t));
        expect(end).toBe(at + expected.length);
        expect(buf.subarray(at, end)).toEqual(expected);
        readTradeInto(buf, at, end, out);
        expect(out.toTrade()).toEqual(decodeTradePayload(expected));
        expect(out.toTrade()).toEqual(t);
        expect(out.timestampNs()).toBe(t.timestampNs);
      }),
      { numRuns: 500 },
    );
  });

  it('returns -1 when the trade does not fit, for every shorter buffer', () => {
    const t: Trade = { symbol: 'SYMBOL', price: 1.5, size: 7, timestampNs: -5n, venue: 'XNAS' };
    const need = encodeTradePayload(t).length;
    const slot = new TradeSlot().setTrade(t);
    for (let n = 0; n < need; n++) expect(writeTradeAt(new Uint8Array(n), 0, slot)).toBe(-1);
    expect(writeTradeAt(new Uint8Array(need + 3), 3, slot)).toBe(need + 3);
    expect(writeTradeAt(new Uint8Array(need + 2), 3, slot)).toBe(-1);
    const wide = new TradeSlot().setTrade({ ...t, symbol: 'é'.repeat(100), venue: '€'.repeat(40) });
    const wideNeed = encodeTradePayload(wide.toTrade()).length;
    for (let n = wideNeed - 130; n < wideNeed; n++) expect(writeTradeAt(new Uint8Array(n), 0, wide)).toBe(-1);
    expect(writeTradeAt(new Uint8Array(wideNeed), 0, wide)).toBe(wideNeed);
  });

  it('refuses invalid trades like encodeTradePayload (same error, same field)', () => {
    const ok: Trade = { symbol: 'A', price: 1, size: 1, timestampNs: 1n, venue: '' };
    const bad: Partial<Record<keyof Trade, unknown>>[] = [
      { price: Number.NaN },
      { price: Number.POSITIVE_INFINITY },
      { price: '1' },
      { size: -1 },
      { size: 1.5 },
      { size: 2 ** 53 },
      { symbol: '' },
      { symbol: 7 },
      { symbol: 'x'.repeat(256) },
      { symbol: 'é'.repeat(128) },
      { symbol: '\ud800' },
      { venue: undefined },
      { venue: 'v'.repeat(256) },
      { venue: 'a\udc00b' },
    ];
    const buf = new Uint8Array(1024);
    for (const patch of bad) {
      const t = { ...ok, ...patch } as Trade;
      const slot = new TradeSlot();
      Object.assign(slot, { ...t, timestampNs: undefined });
      slot.timeHi = 0;
      slot.timeLo = 1;
      const expected = outcome(() => encodeTradePayload(t));
      expect(expected).not.toBe('ok');
      expect(outcome(() => writeTradeAt(buf, 0, slot))).toEqual(expected);
    }
    const slot = new TradeSlot().setTrade(ok);
    for (const [hi, lo] of [
      [2 ** 31, 0],
      [-(2 ** 31) - 1, 0],
      [0.5, 0],
      [0, -1],
      [0, 2 ** 32],
      [0, Number.NaN],
    ] as const) {
      slot.timeHi = hi;
      slot.timeLo = lo;
      expect(() => writeTradeAt(buf, 0, slot)).toThrow(InvalidValueError);
    }
    slot.setTrade(ok);
    expect(() => writeTradeAt(buf, -1, slot)).toThrow(InvalidValueError);
    expect(() => new TradeSlot().setTrade({ ...ok, timestampNs: 2n ** 63n })).toThrow(InvalidValueError);
  });

  it('decodes broken and truncated payloads with the errors of decodeTradePayload', () => {
    const out = new TradeSlot();
    fc.assert(
      fc.property(
        arbTrade,
        fc.array(
          fc.oneof(
            fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })),
            // the bytes the folded condition reads: price exponent, size's top bytes, symbol length
            fc.tuple(fc.constantFrom(6, 7, 21, 22, 23, 24), fc.constantFrom(0, 0x1f, 0x20, 0x7f, 0xf0, 0xff)),
          ),
          { maxLength: 3 },
        ),
        fc.oneof(fc.constant(null), fc.tuple(fc.nat(), fc.nat())),
        (t, flips, cut) => {
          const bytes = encodeTradePayload(t).slice();
          for (const [i, v] of flips) bytes[i % bytes.length] = v;
          // half the cases whole (flipped bytes only), half cut anywhere
          const a = cut === null ? 0 : cut[0] % (bytes.length + 1);
          const b = cut === null ? bytes.length : a + (cut[1] % (bytes.length - a + 1));
          const window = bytes.subarray(a, b);
          const expected = outcome(() => decodeTradePayload(window));
          const reference = outcome(() => referenceCheck(window));
          expect(expected).toEqual(reference);
          const before = out.toTrade();
          expect(outcome(() => readTradeInto(window, 0, window.length, out))).toEqual(expected);
          if (expected !== 'ok') expect(out.toTrade()).toEqual(before); // a refused payload leaves the slot as it was
          // inside a larger buffer: the same error class and code (UTF-8 errors name the buffer's offset)
          const inside = outcome(() => readTradeInto(bytes, a, b, out, -a));
          if (expected === 'ok') expect(inside).toBe('ok');
          else expect(inside).toMatchObject({ cls: (expected as { cls: string }).cls });
          if (expected === 'ok') expect(out.toTrade()).toEqual(decodeTradePayload(window));
        },
      ),
      { numRuns: 1000 },
    );
  });
});
