// Fuzzed decoders: at least 1,000,000 random and mutated frames per run.
//
// Oracle: a decoder either throws a ProtocolError (never anything else, never
// hangs), or accepts, and then re-encoding what it returned gives back the
// same bytes: it never returns a value the bytes did not faithfully encode.
// Mutations that keep the CRC (a burst of at most 32 bits, truncation,
// extension) must always be refused: CRC-32C detects every such burst.
// Reproduce a failure with FUZZ_SEED=<seed printed in the message>.
import { describe, expect, it } from 'vitest';
import {
  crc32c,
  DeltaBatchEncoder,
  decodeDeltaBatch,
  decodeFrame,
  decodeSchemaFrame,
  decodeSnapshot,
  decodeTrade,
  decodeTradeBatch,
  encodeSchemaFrame,
  encodeSnapshot,
  encodeTrade,
  MessageType,
  ProtocolError,
  SchemaRegistry,
  TradeBatchEncoder,
} from '../src/index.ts';
import { goldenFrames, records, tradeAt, vwapV1 } from './fixtures.ts';

const FRAMES = Number(process.env.FUZZ_FRAMES ?? 1_000_000);
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
const registry = new SchemaRegistry([vwapV1]);

/** mulberry32 */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function payloadOf(b: Uint8Array): Uint8Array {
  return b.subarray(36, b.length - 4);
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Decodes with the decoder the type byte asks for (or, with `wrong`, another
 * one); on acceptance returns the canonical re-encoding to compare.
 */
function decodeAndReencode(bytes: Uint8Array, wrong: number): { full: boolean; bytes: Uint8Array } {
  const type = wrong > 0 ? wrong : bytes[5];
  switch (type) {
    case MessageType.Trade: {
      const t = decodeTrade(bytes);
      const f = decodeFrame(bytes);
      return { full: true, bytes: encodeTrade(t, { sequence: f.sequence, flags: f.flags }) };
    }
    case MessageType.TradeBatch: {
      const trades = decodeTradeBatch(bytes);
      const f = decodeFrame(bytes);
      const enc = new TradeBatchEncoder(64);
      for (const t of trades) enc.add(t);
      return {
        full: true,
        bytes: enc.finish({ sequence: f.sequence, flags: f.flags, eventTimeNs: f.eventTimeNs }),
      };
    }
    case MessageType.DeltaBatch: {
      const d = decodeDeltaBatch(bytes, { schemas: registry });
      const enc = new DeltaBatchEncoder(d.schema, 64);
      for (const r of d.records) enc.add(r);
      const f = d.frame;
      return {
        full: true,
        bytes: enc.finish({ sequence: f.sequence, flags: f.flags, eventTimeNs: f.eventTimeNs }),
      };
    }
    case MessageType.Snapshot: {
      const s = decodeSnapshot(bytes, { reader: vwapV1 });
      return { full: false, bytes: encodeSnapshot({ ...s, schema: s.writerSchema }) };
    }
    case MessageType.Schema:
      return { full: false, bytes: encodeSchemaFrame(decodeSchemaFrame(bytes), { sequence: 0 }) };
    default:
      decodeFrame(bytes);
      return { full: false, bytes: bytes.slice() };
  }
}

function corpus(): Uint8Array[] {
  const g = goldenFrames();
  const out = Object.values(g);
  for (let i = 0; i < 20; i++) out.push(encodeTrade(tradeAt(i * 7919), { sequence: i }));
  const tb = new TradeBatchEncoder();
  for (let i = 0; i < 6; i++) tb.add(tradeAt(i * 31));
  out.push(tb.finish({ sequence: 99, flags: 2 }));
  const db = new DeltaBatchEncoder(vwapV1);
  db.add({
    ...records[0]!,
    delta: { kind: 'set', value: { a: [1.5, -0, 'x', 2n ** 70n, -(2n ** 9n)], b: { c: null } } },
  });
  out.push(db.finish({ sequence: 3 }));
  return out;
}

function reseal(b: Uint8Array): void {
  if (b.length < 40) return;
  const end = b.length - 4;
  const c = crc32c(b, 0, end);
  b[end] = c;
  b[end + 1] = c >>> 8;
  b[end + 2] = c >>> 16;
  b[end + 3] = c >>> 24;
}

function setLength(b: Uint8Array): void {
  if (b.length < 40) return;
  const len = b.length - 40;
  b[32] = len;
  b[33] = len >>> 8;
  b[34] = len >>> 16;
  b[35] = len >>> 24;
}

describe(`fuzzed decoders (seed ${SEED}, ${FRAMES} frames)`, () => {
  it('never crash, hang, or accept a corrupted or unfaithful frame', () => {
    const rnd = prng(SEED);
    const int = (n: number) => Math.floor(rnd() * n);
    const seeds = corpus();
    const stats = { frames: 0, accepted: 0, refused: 0, crcKept: 0, crcRecomputed: 0, random: 0 };
    const codes = new Map<string, number>();

    const check = (bytes: Uint8Array, mustRefuse: boolean, label: string) => {
      stats.frames++;
      const wrong = int(8) === 0 ? 1 + int(5) : 0;
      let result: { full: boolean; bytes: Uint8Array };
      try {
        result = decodeAndReencode(bytes, wrong);
      } catch (e) {
        if (!(e instanceof ProtocolError)) {
          throw new Error(`seed ${SEED}, ${label}: decoder threw a non-protocol error on ${hexOf(bytes)}`, {
            cause: e,
          });
        }
        stats.refused++;
        codes.set(e.code, (codes.get(e.code) ?? 0) + 1);
        return;
      }
      stats.accepted++;
      if (mustRefuse) throw new Error(`seed ${SEED}, ${label}: corrupted frame accepted: ${hexOf(bytes)}`);
      const faithful = result.full
        ? same(result.bytes, bytes)
        : same(payloadOf(result.bytes), payloadOf(bytes));
      if (!faithful)
        throw new Error(
          `seed ${SEED}, ${label}: accepted frame does not re-encode to itself: ${hexOf(bytes)}`,
        );
    };

    const started = performance.now();
    // refusals are the common case here: stack traces would cost more than the decoding under test
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      while (stats.frames < FRAMES) {
        const base = seeds[int(seeds.length)]!;
        const kind = int(10);
        if (kind < 4) {
          // CRC kept: a burst of at most 32 bits outside the length field, or truncation/extension
          stats.crcKept++;
          const b = base.slice();
          const m = int(4);
          if (m === 0) {
            const bit = int(b.length * 8);
            if (bit >= 32 * 8 && bit < 36 * 8) continue;
            b[bit >> 3] = b[bit >> 3]! ^ (1 << (bit & 7));
            check(b, true, 'bit flip');
          } else if (m === 1) {
            const crcAt = b.length - 4;
            const inTrailer = int(4) === 0;
            const at = inTrailer ? crcAt + int(4) : 36 + int(crcAt - 36);
            const n = 1 + int(Math.min(4, (inTrailer ? b.length : crcAt) - at));
            let changed = false;
            for (let i = 0; i < n; i++) {
              const v = int(256);
              if (v !== b[at + i]) changed = true;
              b[at + i] = v;
            }
            if (!changed) continue;
            check(b, true, 'burst');
          } else if (m === 2) {
            check(b.subarray(0, int(b.length)), true, 'truncation');
          } else {
            const ext = new Uint8Array(b.length + 1 + int(16));
            ext.set(b);
            for (let i = b.length; i < ext.length; i++) ext[i] = int(256);
            check(ext, true, 'extension');
          }
        } else if (kind < 9) {
          // arbitrary mutation, then the length and the CRC recomputed: reaches the payload parsers
          stats.crcRecomputed++;
          let b = base.slice();
          const edits = 1 + int(4);
          for (let e = 0; e < edits; e++) {
            const m = int(6);
            if (m === 0 && b.length > 0) b[int(b.length)] = int(256);
            else if (m === 1 && b.length > 0) b[int(b.length)] = [0, 0xff, 0x7f, 0x80, 1][int(5)]!;
            else if (m === 2 && b.length > 44) {
              // delete a range of the payload
              const at = 36 + int(b.length - 40);
              const n = 1 + int(Math.min(8, b.length - 4 - at));
              const next = new Uint8Array(b.length - n);
              next.set(b.subarray(0, at));
              next.set(b.subarray(at + n), at);
              b = next;
            } else if (m === 3) {
              // insert random bytes into the payload
              const at = 36 + int(Math.max(1, b.length - 39));
              const n = 1 + int(8);
              const next = new Uint8Array(b.length + n);
              next.set(b.subarray(0, at));
              for (let i = 0; i < n; i++) next[at + i] = int(256);
              next.set(b.subarray(at), at + n);
              b = next;
            } else if (m === 4 && b.length > 44) {
              // a large little-endian u32 at a random payload offset (counts, lengths)
              const at = 36 + int(b.length - 43);
              const v = [0xffffffff, 0x7fffffff, 0x10000, 0x100, int(2 ** 32)][int(5)]!;
              b[at] = v;
              b[at + 1] = v >>> 8;
              b[at + 2] = v >>> 16;
              b[at + 3] = v >>> 24;
            } else if (b.length > 0) {
              const at = int(b.length);
              b[at] = b[at]! ^ (1 << int(8));
            }
          }
          if (int(4) !== 0) setLength(b);
          reseal(b);
          check(b, false, 'mutation+reseal');
        } else {
          // random bytes, sometimes behind a valid header and CRC
          stats.random++;
          const b = new Uint8Array(int(120));
          for (let i = 0; i < b.length; i++) b[i] = int(256);
          if (int(2) === 0 && b.length >= 40) {
            b.set(base.subarray(0, 32));
            setLength(b);
            reseal(b);
          }
          check(b, false, 'random');
        }
      }
    } finally {
      Error.stackTraceLimit = stackTraceLimit;
    }
    const seconds = (performance.now() - started) / 1000;
    // both branches must have been exercised: some refusals, and some mutated frames accepted
    expect(stats.frames).toBeGreaterThanOrEqual(FRAMES);
    expect(stats.refused).toBeGreaterThan(0);
    expect(stats.accepted).toBeGreaterThan(0);
    expect(codes.size).toBeGreaterThanOrEqual(10);
    console.info(
      `fuzz seed ${SEED}: ${stats.frames} frames in ${seconds.toFixed(1)} s`,
      JSON.stringify({ ...stats, codes: Object.fromEntries(codes) }),
    );
  }, 120_000);
});

function hexOf(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}
