// Fuzzed manifest and restore-message decoders. Oracle: a decoder either
// throws a CheckpointFormatError (never anything else) or accepts, and then
// re-encoding gives back exactly the input bytes (it never returns a value
// the bytes did not encode). Any mutation of a manifest's body that keeps
// its header (a CRC-32C burst of at most 32 bits) is always refused.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CheckpointFormatError,
  decodeManifest,
  decodeRestoreReply,
  decodeRestoreRequest,
  encodeManifest,
  encodeRestoreReply,
} from '../src/index.ts';
import { ck7, manifest, p0 } from './checkpoint-fixtures.ts';

const RUNS = Number(process.env.FUZZ_RUNS ?? 3000);

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function check(
  decode: (b: Uint8Array) => unknown,
  encode: (v: never) => Uint8Array,
  bytes: Uint8Array,
): void {
  let value: unknown;
  try {
    value = decode(bytes);
  } catch (e) {
    if (!(e instanceof CheckpointFormatError)) throw e;
    return;
  }
  expect(sameBytes(encode(value as never), bytes)).toBe(true);
}

const good = encodeManifest(manifest);
const headerEnd = good.indexOf(0x0a) + 1;
const reply = encodeRestoreReply({
  type: 'restore_plan',
  v: 1,
  requestId: 'r-1',
  partition: 0,
  status: 'ok',
  checkpointId: ck7,
  snapshot: p0,
  skipped: [{ checkpointId: ck7, key: 'a/b', reason: 'crc32c 00000001 != 00000002' }],
});

/** Random byte edits: overwrite, insert, delete. */
const edits = fc.array(
  fc.record({
    op: fc.constantFrom('set', 'insert', 'delete'),
    at: fc.nat(),
    byte: fc.integer({ min: 0, max: 255 }),
  }),
  { minLength: 1, maxLength: 8 },
);

function mutate(src: Uint8Array, ops: ReadonlyArray<{ op: string; at: number; byte: number }>): Uint8Array {
  const b = Array.from(src);
  for (const { op, at, byte } of ops) {
    const i = b.length === 0 ? 0 : at % (b.length + (op === 'insert' ? 1 : 0));
    if (op === 'set' && b.length > 0) b[i] = byte;
    else if (op === 'insert') b.splice(i, 0, byte);
    else if (op === 'delete') b.splice(i, 1);
  }
  return Uint8Array.from(b);
}

describe('checkpoint decoders under fuzzing', () => {
  it('manifest: random edits are refused with a typed error or decode faithfully', () => {
    fc.assert(
      fc.property(edits, (ops) => check(decodeManifest, encodeManifest, mutate(good, ops))),
      { numRuns: RUNS },
    );
  });

  it('manifest: any burst of <= 32 bits in the body is refused', () => {
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 1, max: 0xffffffff }), (at, pattern) => {
        const b = good.slice();
        const start = headerEnd + (at % (good.length - headerEnd - 3));
        for (let k = 0; k < 4; k++) b[start + k] = b[start + k]! ^ ((pattern >>> (8 * k)) & 0xff);
        expect(() => decodeManifest(b)).toThrow(CheckpointFormatError);
      }),
      { numRuns: RUNS },
    );
  });

  it('manifest: arbitrary bytes never crash the decoder', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), (b) => check(decodeManifest, encodeManifest, b)),
      { numRuns: RUNS },
    );
  });

  it('restore reply and request: random edits are refused with a typed error or decode faithfully', () => {
    fc.assert(
      fc.property(edits, (ops) => {
        const b = mutate(reply, ops);
        try {
          const r = decodeRestoreReply(b);
          expect(r.partition).toBeGreaterThanOrEqual(0);
        } catch (e) {
          if (!(e instanceof CheckpointFormatError)) throw e;
        }
        try {
          decodeRestoreRequest(b);
        } catch (e) {
          if (!(e instanceof CheckpointFormatError)) throw e;
        }
      }),
      { numRuns: RUNS },
    );
  });
});
