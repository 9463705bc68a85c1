import { INT64_MAX, INT64_MIN } from '@ripple/core';
import { describe, expect, it } from 'vitest';
import {
  from,
  sum,
  TIME_NONE,
  tumbling,
  type Value,
  WINDOW_SNAPSHOT_VERSION,
  WindowOperator,
  type WindowOptions,
  type WindowSnapshot,
  WindowSnapshotError,
} from '../src/index.ts';

type Ev = { k: string; t: bigint; v: number };
type Out = { sum: number; count: number };

const options: WindowOptions = {
  window: { kind: 'session', gapNs: 7n },
  outOfOrdernessNs: 5n,
  allowedLatenessNs: 10n,
  partitions: 3,
};

function operator(o: WindowOptions = options) {
  return new WindowOperator<Ev, unknown, Out>(
    sum<Ev>('v') as never,
    (e) => e.k,
    (e) => e.t,
    o,
    { onEmit: () => {} },
  );
}

/** Every bigint anywhere in a value. */
function bigints(v: unknown, out: bigint[] = []): bigint[] {
  if (typeof v === 'bigint') out.push(v);
  else if (Array.isArray(v)) for (const x of v) bigints(x, out);
  else if (v !== null && typeof v === 'object') for (const x of Object.values(v)) bigints(x, out);
  return out;
}

describe('window snapshot API', () => {
  it('a fresh operator: version, window, TIME_NONE watermarks, no keys', () => {
    const s = operator().snapshot();
    expect(s.version).toBe(WINDOW_SNAPSHOT_VERSION);
    expect(s.window).toBe('session(7)');
    expect(s.partitions).toEqual([
      { maxEventTimeNs: TIME_NONE, watermarkNs: TIME_NONE },
      { maxEventTimeNs: TIME_NONE, watermarkNs: TIME_NONE },
      { maxEventTimeNs: TIME_NONE, watermarkNs: TIME_NONE },
    ]);
    expect(s.keys).toEqual([]);
  });

  it('every time fits an int64; keys are fields of their own (no "key@start" text)', () => {
    const op = operator();
    const keys = ['a@1', 'b', 'c@@'];
    for (let i = 0; i < 40; i++) op.push({ k: keys[i % 3] as string, t: BigInt(i * 3), v: i });
    const s = op.snapshot();
    for (const b of bigints(s)) {
      expect(b >= INT64_MIN && b <= INT64_MAX).toBe(true);
    }
    expect(s.keys.map((k) => k.key).sort()).toEqual([...keys].sort());
    expect(s.keys.every((k) => k.sessions.length > 0)).toBe(true);
  });

  it('restore refuses another version, another window and a malformed time, with a typed error', () => {
    const op = operator();
    op.push({ k: 'a', t: 1n, v: 1 });
    const s = op.snapshot();
    expect(() => operator().restore({ ...s, version: 2 } as unknown as WindowSnapshot)).toThrow(
      /unsupported version 2/,
    );
    expect(() => operator({ ...options, window: { kind: 'session', gapNs: 8n } }).restore(s)).toThrow(
      /taken with window session\(7\)/,
    );
    const bad = { ...s, partitions: s.partitions.map((p) => ({ ...p, watermarkNs: 1 })) };
    expect(() => operator().restore(bad as unknown as WindowSnapshot)).toThrow(WindowSnapshotError);
  });

  it('snapshot -> restore -> snapshot is the identity', () => {
    const op = operator();
    for (let i = 0; i < 50; i++) op.push({ k: `k${i % 4}`, t: BigInt((i * 7) % 31), v: i });
    op.advanceIdle();
    const s = op.snapshot();
    const again = operator();
    again.restore(s);
    expect(again.snapshot()).toEqual(s);
  });

  it('pipeline deltas carry the window as fields: windowKey, windowStartNs', () => {
    const p = from<{ sym: string; ts: bigint; x: number }>()
      .partitionBy('sym')
      .window(tumbling(10n), { time: 'ts' })
      .aggregate((a) => a.sum('x'))
      .compile();
    const out = [...p.push([{ sym: 'A@5', ts: 3n, x: 1 }]), ...p.end()];
    expect(out.map((d) => [d.windowKey, d.windowStartNs])).toEqual([['A@5', 0n]]);
    const snap = p.snapshot();
    expect(snap.lastSequences).toEqual([1]);
    const v: Value = (out[0]?.value ?? null) as Value;
    expect(v).toMatchObject({ sym: 'A@5', window_start_ns: 0n, window_end_ns: 10n, sum: 1 });
  });
});
