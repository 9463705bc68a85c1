import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type CheckpointFormatError,
  decodeControlMessage,
  decodeRestoreReply,
  decodeRestoreRequest,
  diffKeyed,
  encodeControlMessage,
  encodeRestoreReply,
  encodeRestoreRequest,
  extendChain,
  type KeyedIncrement,
  nextSnapshotKind,
  restoreKeyed,
  type SnapshotObjectRef,
  validateChain,
} from '../src/index.ts';
import { ck7, p0 } from './checkpoint-fixtures.ts';

const full = (key: string, bytes = 1000): SnapshotObjectRef => ({ key, bytes, crc32c: 1, kind: 'full' });
const incr = (key: string, bytes = 10): SnapshotObjectRef => ({ key, bytes, crc32c: 2, kind: 'incremental' });

describe('snapshot chains', () => {
  it('validates the chain shape', () => {
    expect(() => validateChain([full('a'), incr('b')])).not.toThrow();
    const code = (c: SnapshotObjectRef[]) => {
      try {
        validateChain(c);
        return 'ok';
      } catch (e) {
        return (e as CheckpointFormatError).code;
      }
    };
    expect(code([])).toBe('CKPT_BAD_CHAIN');
    expect(code([incr('a')])).toBe('CKPT_BAD_CHAIN');
    expect(code([full('a'), full('b')])).toBe('CKPT_BAD_CHAIN');
    expect(code([full('a'), incr('a')])).toBe('CKPT_BAD_CHAIN');
  });

  it('cuts the chain every K increments or when increments outweigh the base', () => {
    const policy = { fullEvery: 3, maxIncrementRatio: 0.5 };
    expect(nextSnapshotKind(undefined, policy)).toBe('full');
    expect(nextSnapshotKind([full('a')], policy)).toBe('incremental');
    expect(nextSnapshotKind([full('a'), incr('b'), incr('c')], policy)).toBe('incremental');
    expect(nextSnapshotKind([full('a'), incr('b'), incr('c'), incr('d')], policy)).toBe('full');
    expect(nextSnapshotKind([full('a', 100), incr('b', 51)], policy)).toBe('full');
    expect(nextSnapshotKind([full('a')], { fullEvery: 0, maxIncrementRatio: 1 })).toBe('full');
    expect(extendChain([full('a'), incr('b')], incr('c')).map((o) => o.key)).toEqual(['a', 'b', 'c']);
    expect(extendChain([full('a'), incr('b')], full('c')).map((o) => o.key)).toEqual(['c']);
  });

  it('property: base + increments restores exactly the state a full snapshot holds', () => {
    // A partition's state over time: random sets and removes on a small key space.
    const step = fc.array(
      fc.record({ key: fc.integer({ min: 0, max: 30 }), value: fc.option(fc.integer({ min: 0, max: 5 })) }),
      { maxLength: 20 },
    );
    fc.assert(
      fc.property(
        fc.array(step, { minLength: 1, maxLength: 15 }),
        fc.integer({ min: 0, max: 5 }),
        (steps, k) => {
          let state = new Map<number, number>();
          let base = new Map<number, number>();
          let increments: Array<KeyedIncrement<number, number>> = [];
          let chain: SnapshotObjectRef[] | undefined;
          steps.forEach((ops, i) => {
            const before = new Map(state);
            for (const { key, value } of ops) {
              if (value === null) state.delete(key);
              else state.set(key, value);
            }
            const kind = nextSnapshotKind(chain, { fullEvery: k, maxIncrementRatio: 1e9 });
            if (kind === 'full') {
              base = new Map(state);
              increments = [];
              chain = extendChain(chain, full(`s${i}`));
            } else {
              const inc = diffKeyed(before, state);
              increments.push(inc);
              chain = extendChain(chain, incr(`s${i}`, inc.set.length + inc.removed.length));
              // applying an increment twice is the same as once
              expect(restoreKeyed(restoreKeyed(before, [inc]), [inc])).toEqual(state);
            }
            expect(chain.length - 1).toBe(increments.length);
            expect(chain.length - 1).toBeLessThanOrEqual(k);
            expect(restoreKeyed(base, increments)).toEqual(state);
          });
          state = new Map();
        },
      ),
      { numRuns: 300 },
    );
  });

  it('an unchanged state diffs to an empty increment', () => {
    const s = new Map([['a', 1]]);
    expect(diffKeyed(s, new Map(s))).toEqual({ set: [], removed: [] });
  });
});

describe('checkpoint ack with a chain (control message, v1 optional fields)', () => {
  const ack = {
    type: 'checkpoint_ack' as const,
    v: 1 as const,
    checkpointId: ck7,
    epoch: 3,
    workerId: 'worker-0',
    partition: 0,
    snapshotKey: p0.chain[1]!.key,
    bytes: 812,
    crc32c: 42,
    offsets: p0.offsets,
    chain: [p0.chain[0]!],
    outputSequence: 9_007_199_254_740_993n,
    schemaFingerprint: '0123456789abcdef',
  };

  it('round-trips the chain, output sequence and fingerprint', () => {
    expect(decodeControlMessage(encodeControlMessage(ack))).toEqual(ack);
    const { chain: _c, outputSequence: _o, schemaFingerprint: _s, ...plain } = ack;
    expect(decodeControlMessage(encodeControlMessage(plain))).toEqual(plain);
  });

  it('refuses a bad chain entry or fingerprint, naming the field', () => {
    const raw = (patch: object) =>
      JSON.stringify({ ...JSON.parse(new TextDecoder().decode(encodeControlMessage(ack))), ...patch });
    expect(() =>
      decodeControlMessage(raw({ chain: [{ key: 'a', bytes: 1, crc32c: 1, kind: 'delta' }] })),
    ).toThrow(/chain\[0\]\.kind/);
    expect(() => decodeControlMessage(raw({ schemaFingerprint: 'xyz' }))).toThrow(/schemaFingerprint/);
    expect(() => decodeControlMessage(raw({ outputSequence: 5 }))).toThrow(/outputSequence/);
  });
});

describe('restore lookup messages', () => {
  it('round-trip a request and every reply status', () => {
    const req = { type: 'restore_request' as const, v: 1 as const, requestId: 'r-1', partition: 5 };
    expect(decodeRestoreRequest(encodeRestoreRequest(req))).toEqual(req);
    const ok = {
      type: 'restore_plan' as const,
      v: 1 as const,
      requestId: 'r-1',
      partition: 0,
      status: 'ok' as const,
      checkpointId: ck7,
      snapshot: p0,
      skipped: [{ checkpointId: ck7, key: 'x/y', reason: 'missing' }],
    };
    expect(decodeRestoreReply(encodeRestoreReply(ok))).toEqual(ok);
    const none = { ...ok, status: 'none' as const, checkpointId: null, snapshot: null, skipped: [] };
    expect(decodeRestoreReply(encodeRestoreReply(none))).toEqual(none);
  });

  it('refuses inconsistent replies', () => {
    const enc = (x: object) => new TextEncoder().encode(JSON.stringify(x));
    const base = { type: 'restore_plan', v: 1, requestId: 'r', partition: 1, skipped: [] };
    expect(() =>
      decodeRestoreReply(enc({ ...base, status: 'none', checkpointId: ck7, snapshot: null })),
    ).toThrow(/checkpointId/);
    expect(() =>
      decodeRestoreReply(enc({ ...base, status: 'maybe', checkpointId: null, snapshot: null })),
    ).toThrow(/status/);
    expect(() => decodeRestoreReply(enc({ ...base, type: 'restore_request' }))).toThrow(/type/);
    expect(() =>
      decodeRestoreRequest(enc({ type: 'restore_request', v: 1, requestId: 'r', partition: -1 })),
    ).toThrow(/partition/);
  });
});
