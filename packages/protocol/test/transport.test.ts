import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidSequenceError, ReceiveBuffer, SequenceCounter } from '../src/index.ts';

interface Run {
  delivered: number[];
  gaps: [number, number][];
  maxBackpressure: number;
  buffer: ReceiveBuffer<string>;
}

function run(capacity: number, arrivals: number[]): Run {
  const delivered: number[] = [];
  const gaps: [number, number][] = [];
  const buffer = new ReceiveBuffer<string>({
    capacity,
    deliver: (item, seq) => {
      expect(item).toBe(`item-${seq}`);
      delivered.push(seq);
    },
    onGap: (from, to) => gaps.push([from, to]),
  });
  let maxBackpressure = 0;
  for (const s of arrivals) {
    buffer.offer(s, `item-${s}`);
    expect(buffer.backpressure).toBeGreaterThanOrEqual(0);
    expect(buffer.backpressure).toBeLessThanOrEqual(1);
    maxBackpressure = Math.max(maxBackpressure, buffer.backpressure);
  }
  buffer.giveUp();
  return { delivered, gaps, maxBackpressure, buffer };
}

function expand(gaps: [number, number][]): number[] {
  return gaps.flatMap(([a, b]) => Array.from({ length: b - a + 1 }, (_, i) => a + i));
}

/** n sequence numbers with drops, duplicates and a per-item delay below `bound`, in arrival order. */
const arbTraffic = fc
  .record({ n: fc.integer({ min: 0, max: 300 }), capacity: fc.integer({ min: 1, max: 40 }) })
  .chain(({ n, capacity }) =>
    fc.record({
      n: fc.constant(n),
      capacity: fc.constant(capacity),
      delays: fc.array(fc.integer({ min: 0, max: capacity - 1 }), { minLength: n, maxLength: n }),
      dropped: fc
        .array(fc.integer({ min: 0, max: 9 }), { minLength: n, maxLength: n })
        .map((a) => a.map((d) => d < 2)),
      dupes: fc.array(fc.tuple(fc.nat(), fc.nat({ max: 50 })), { maxLength: 30 }),
    }),
  );

describe('ReceiveBuffer', () => {
  it('reordering within the bound: every surviving item once, in order; gaps = drops', () => {
    fc.assert(
      fc.property(arbTraffic, ({ n, capacity, delays, dropped, dupes }) => {
        const kept = Array.from({ length: n }, (_, s) => s).filter((s) => !dropped[s]);
        // arrival order by s + delay (< capacity): an item never arrives `capacity` or more behind a later one
        const arrivals = [...kept].sort((a, b) => a + delays[a]! - (b + delays[b]!) || a - b);
        let dupCount = 0;
        for (const [pick, at] of dupes) {
          if (arrivals.length === 0) break;
          const i = Math.min(arrivals.length, arrivals.indexOf(arrivals[pick % arrivals.length]!) + 1 + at);
          arrivals.splice(i, 0, arrivals[pick % arrivals.length]!);
          dupCount++;
        }
        const r = run(capacity, arrivals);
        expect(r.delivered).toEqual(kept);
        const maxSeen = kept.length === 0 ? -1 : kept[kept.length - 1]!;
        const drops = Array.from({ length: maxSeen + 1 }, (_, s) => s).filter((s) => dropped[s]);
        expect(expand(r.gaps)).toEqual(drops);
        expect(r.buffer.stats.duplicates).toBe(dupCount);
        expect(r.buffer.stats.missing).toBe(drops.length);
        expect(r.buffer.backpressure).toBe(0);
      }),
      { numRuns: 400 },
    );
    // CPU-bound (400 runs of up to 300 offers, ~3.5 s alone): the default 5 s fails on a loaded 2-core machine.
  }, 30_000);

  it('any arrival order: delivered strictly increasing, delivered and gaps partition [0, max]', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 16 }),
        fc.array(fc.nat({ max: 200 }), { maxLength: 300 }),
        (capacity, arrivals) => {
          const r = run(capacity, arrivals);
          for (let i = 1; i < r.delivered.length; i++)
            expect(r.delivered[i]!).toBeGreaterThan(r.delivered[i - 1]!);
          const max = arrivals.length === 0 ? -1 : Math.max(...arrivals);
          const all = [...r.delivered, ...expand(r.gaps)].sort((a, b) => a - b);
          expect(all).toEqual(Array.from({ length: max + 1 }, (_, i) => i));
          // every delivered number did arrive
          const seen = new Set(arrivals);
          for (const d of r.delivered) expect(seen.has(d)).toBe(true);
          const st = r.buffer.stats;
          expect(st.delivered + st.duplicates + st.buffered).toBeLessThanOrEqual(arrivals.length);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('reports backpressure and pending gaps while waiting', () => {
    const got: number[] = [];
    const b = new ReceiveBuffer<number>({ capacity: 4, firstSequence: 10, deliver: (x) => got.push(x) });
    expect(b.offer(12, 12)).toBe('buffered');
    expect(b.offer(13, 13)).toBe('buffered');
    expect(b.backpressure).toBe(0.5);
    expect(b.pendingGap).toBe(2);
    expect(b.offer(13, 13)).toBe('duplicate');
    expect(b.offer(10, 10)).toBe('delivered');
    expect(got).toEqual([10]);
    expect(b.offer(9, 9)).toBe('duplicate');
    expect(b.offer(15, 15)).toBe('buffered');
    // 16 is beyond next (11) + capacity: 11 is given up, 12 and 13 are delivered, 15 and 16 wait for 14
    expect(b.offer(16, 16)).toBe('buffered');
    expect(got).toEqual([10, 12, 13]);
    expect(b.stats).toMatchObject({ missing: 1, gaps: 1, buffered: 2 });
    b.giveUp();
    expect(got).toEqual([10, 12, 13, 15, 16]);
    expect(b.stats).toMatchObject({ missing: 2, gaps: 2, buffered: 0, duplicates: 2 });
    // a huge jump costs O(capacity), not O(jump)
    const c = new ReceiveBuffer<number>({ capacity: 2, deliver: () => {} });
    expect(c.offer(1_000_000_000, 1)).toBe('buffered');
    expect(c.stats.missing).toBe(999_999_999);
    expect(c.nextExpected).toBe(999_999_999);
    expect(() => c.offer(-1, 0)).toThrow(InvalidSequenceError);
    expect(() => c.offer(1.5, 0)).toThrow(InvalidSequenceError);
  });

  it('SequenceCounter numbers from its start', () => {
    const s = new SequenceCounter(5);
    expect([s.next(), s.next(), s.peek]).toEqual([5, 6, 7]);
    expect(() => new SequenceCounter(-1)).toThrow(InvalidSequenceError);
  });
});
