import { describe, expect, it } from 'vitest';
import {
  BadFlagsError,
  BadLengthError,
  BadMagicError,
  CrcMismatchError,
  crc32c,
  decodeFrame,
  decodeTrade,
  encodeFrame,
  encodeTrade,
  FRAME_OVERHEAD,
  InvalidSequenceError,
  InvalidValueError,
  MessageType,
  ProtocolError,
  readFrame,
  TruncatedError,
  UnexpectedMessageError,
  UnknownMessageTypeError,
  UnknownSchemaError,
  UnsupportedVersionError,
  ValueOutOfRangeError,
} from '../src/index.ts';
import { trade } from './fixtures.ts';

/** Rewrites the CRC trailer so that a deliberate header edit reaches the check under test. */
function reseal(b: Uint8Array): Uint8Array {
  const end = b.length - 4;
  const c = crc32c(b, 0, end);
  new DataView(b.buffer, b.byteOffset).setUint32(end, c, true);
  return b;
}

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ProtocolError);
    return (e as ProtocolError).code;
  }
  return 'accepted';
}

const header = {
  type: MessageType.Trade,
  flags: 0,
  sequence: 5,
  eventTimeNs: -3n,
  fingerprint: 0xfedcba9876543210n,
};

describe('envelope', () => {
  it('round-trips header fields and has 40 bytes of overhead', () => {
    const payload = new Uint8Array([1, 2, 3]);
    const bytes = encodeFrame(header, payload);
    expect(bytes.length).toBe(payload.length + FRAME_OVERHEAD);
    const f = decodeFrame(bytes);
    expect(f).toMatchObject({ ...header, version: 1, byteLength: bytes.length });
    expect([...f.payload]).toEqual([1, 2, 3]);
  });

  it('reads consecutive frames from one buffer', () => {
    const a = encodeFrame(header, new Uint8Array([1]));
    const b = encodeFrame({ ...header, sequence: 6 }, new Uint8Array([2, 2]));
    const both = new Uint8Array([...a, ...b]);
    const f1 = readFrame(both, 0);
    const f2 = readFrame(both, f1.byteLength);
    expect([f1.sequence, f2.sequence]).toEqual([5, 6]);
    expect(codeOf(() => decodeFrame(both))).toBe('PROTO_BAD_LENGTH');
  });

  it('refuses each kind of bad frame with its own typed error', () => {
    const good = encodeFrame(header, new Uint8Array([9, 9, 9, 9]));
    const edit = (at: number, v: number) => {
      const b = good.slice();
      b[at] = v;
      return reseal(b);
    };
    expect(() => decodeFrame(edit(0, 0x51))).toThrow(BadMagicError);
    expect(() => decodeFrame(new Uint8Array([0x52, 0x49, 0x51]))).toThrow(BadMagicError);
    expect(() => decodeFrame(edit(4, 2))).toThrow(UnsupportedVersionError);
    expect(() => decodeFrame(edit(5, 0))).toThrow(UnknownMessageTypeError);
    expect(() => decodeFrame(edit(5, 200))).toThrow(UnknownMessageTypeError);
    expect(() => decodeFrame(edit(6, 0x80))).toThrow(BadFlagsError);
    expect(() => decodeFrame(edit(15, 0x01))).toThrow(ValueOutOfRangeError); // sequence above 2^53
    expect(() => decodeFrame(edit(35, 0x7f))).toThrow(BadLengthError); // huge declared length: no allocation
    expect(() => decodeFrame(edit(32, 200))).toThrow(TruncatedError);
    expect(() => decodeFrame(good.subarray(0, good.length - 1))).toThrow(TruncatedError);
    expect(() => decodeFrame(good.subarray(0, 10))).toThrow(TruncatedError);
    const flipped = good.slice();
    flipped[37] = flipped[37]! ^ 0x10;
    expect(() => decodeFrame(flipped)).toThrow(CrcMismatchError);
    expect(() => decodeFrame(good, { maxPayloadBytes: 3 })).toThrow(BadLengthError);
  });

  it('refuses invalid headers on encode', () => {
    expect(() => encodeFrame({ ...header, sequence: -1 }, new Uint8Array())).toThrow(InvalidSequenceError);
    expect(() => encodeFrame({ ...header, sequence: 2 ** 53 }, new Uint8Array())).toThrow(
      InvalidSequenceError,
    );
    expect(() => encodeFrame({ ...header, flags: 4 }, new Uint8Array())).toThrow(InvalidValueError);
    expect(() => encodeFrame({ ...header, eventTimeNs: 2n ** 63n }, new Uint8Array())).toThrow(
      InvalidValueError,
    );
    expect(() => encodeFrame({ ...header, fingerprint: -1n }, new Uint8Array())).toThrow(InvalidValueError);
  });

  it('a trade decoder refuses frames of another type or schema', () => {
    const other = encodeFrame({ ...header, type: MessageType.Schema }, new Uint8Array(30));
    expect(() => decodeTrade(other)).toThrow(UnexpectedMessageError);
    const wrongSchema = encodeFrame({ ...header, fingerprint: 1n }, new Uint8Array(30));
    expect(() => decodeTrade(wrongSchema)).toThrow(UnknownSchemaError);
    const t = encodeTrade(trade, { sequence: 1 });
    t[16] = t[16]! ^ 1; // header event time no longer equals the trade's
    expect(codeOf(() => decodeTrade(reseal(t)))).toBe('PROTO_MALFORMED_PAYLOAD');
  });
});
