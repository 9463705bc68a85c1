import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyPipelineDelta,
  applyWindowDelta,
  from,
  sum,
  tumbling,
  WindowOperator,
  type WindowOptions,
  type WindowSnapshot,
  WindowSnapshotError,
} from '../src/index.ts';

type Ev = { k: string; t: bigint; v: number };
type Out = { sum: number; count: number };

const WINDOWS: WindowOptions[] = [
  // short retention so keys are evicted and come back within a run
  {
    window: { kind: 'tumbling', sizeNs: 10n },
    outOfOrdernessNs: 3n,
    allowedLatenessNs: 5n,
    keyRetentionNs: 7n,
  },
  { window: { kind: 'sliding', sizeNs: 12n, slideNs: 4n }, outOfOrdernessNs: 2n, allowedLatenessNs: 4n },
  { window: { kind: 'session', gapNs: 6n }, outOfOrdernessNs: 2n, allowedLatenessNs: 6n, partitions: 3 },
];

function operator(o: WindowOptions) {
  return new WindowOperator<Ev, unknown, Out>(
    sum<Ev>('v') as never,
    (e) => e.k,
    (e) => e.t,
    o,
    { onEmit: () => {} },
  );
}

const event = fc.record({
  k: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'),
  // mostly forward in time, some late: keys go idle, are evicted and return
  dt: fc.integer({ min: -8, max: 12 }),
  v: fc.integer({ min: -5, max: 5 }),
});
/** A run: batches of events, a checkpoint (full or incremental) after each batch. */
const run = fc.record({
  window: fc.integer({ min: 0, max: WINDOWS.length - 1 }),
  batches: fc.array(fc.record({ events: fc.array(event, { maxLength: 12 }), full: fc.boolean() }), {
    minLength: 1,
    maxLength: 12,
  }),
});

/** The events of a batch at absolute times (never negative). */
function timed(events: ReadonlyArray<{ k: string; dt: number; v: number }>, clock: { t: number }): Ev[] {
  return events.map((e) => {
    clock.t = Math.max(0, clock.t + e.dt);
    return { k: e.k, t: BigInt(clock.t), v: e.v };
  });
}

describe('incremental snapshots: base + increments == full snapshot', () => {
  it('after random update sequences (all window kinds, evictions, late data, re-created keys)', () => {
    fc.assert(
      fc.property(run, ({ window, batches }) => {
        const o = WINDOWS[window] as WindowOptions;
        const op = operator(o);
        const clock = { t: 0 };
        let chain: WindowSnapshot = op.snapshot();
        op.markSnapshotted();
        for (const b of batches) {
          op.pushAll(timed(b.events, clock));
          const full = op.snapshot();
          const restored = applyWindowDelta(chain, op.snapshotChanges());
          expect(restored).toEqual(full); // same keys, same order, same values
          chain = b.full ? full : restored;
          op.markSnapshotted();
        }
        // The chain restores into an operator holding the same state, with nothing changed since.
        const copy = operator(o);
        copy.restore(chain);
        expect(copy.snapshot()).toEqual(op.snapshot());
        expect(copy.snapshotChanges().keys).toEqual([]);
        expect(copy.snapshotChanges().removed).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('an unchanged operator has an empty delta; one changed key is one key', () => {
    const op = operator(WINDOWS[0] as WindowOptions);
    for (let i = 0; i < 50; i++) op.push({ k: `k${i}`, t: 1n, v: 1 });
    op.markSnapshotted();
    expect(op.snapshotChanges().keys).toEqual([]);
    expect(op.snapshotChanges().removed).toEqual([]);
    op.push({ k: 'k7', t: 2n, v: 1 });
    expect(op.snapshotChanges().keys.map((k) => k.key)).toEqual(['k7']);
    expect(op.changedKeyCount).toBe(1);
  });

  it('refuses a delta of another window spec', () => {
    const a = operator(WINDOWS[0] as WindowOptions);
    const b = operator(WINDOWS[2] as WindowOptions);
    expect(() => applyWindowDelta(a.snapshot(), b.snapshotChanges())).toThrow(WindowSnapshotError);
  });

  it('pipeline: base + deltas == full, sequence numbers included', () => {
    const p = from<Ev>()
      .partitionBy('k', { partitions: 2 })
      .window(tumbling(10n), { time: 't', allowedLatenessNs: 5n })
      .aggregate((a) => a.sum('v'))
      .compile();
    let base = p.snapshot();
    p.markSnapshotted();
    for (let i = 0; i < 20; i++) {
      p.push([
        { k: `s${i % 5}`, t: BigInt(i * 3), v: i },
        { k: 'x', t: BigInt(i * 3), v: 1 },
      ]);
      const d = p.snapshotChanges();
      base = applyPipelineDelta(base, d);
      p.markSnapshotted();
      expect(base).toEqual(p.snapshot());
    }
  });
});
