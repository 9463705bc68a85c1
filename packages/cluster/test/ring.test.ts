import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { DuplicateWorkerError, HashRing, hash32, ringBalanceBound } from '../src/index.ts';

const workerIds = (n: number, salt: string) => Array.from({ length: n }, (_, i) => `w-${salt}-${i}`);
const counts = (table: (string | undefined)[]) => {
  const m = new Map<string, number>();
  for (const w of table) m.set(w!, (m.get(w!) ?? 0) + 1);
  return m;
};

describe('hash32', () => {
  test('is pinned (changing it moves every partition)', () => {
    expect([hash32(''), hash32('w0#0'), hash32('worker-1#127')]).toMatchSnapshot();
  });
});

describe('HashRing', () => {
  test('balance at scale: 1,000 workers x 10,000 partitions', () => {
    const c = counts(new HashRing(workerIds(1000, 'scale')).assign(10_000));
    expect(c.size).toBeGreaterThan(900);
    expect(Math.max(...c.values())).toBeLessThanOrEqual(ringBalanceBound(10));
  });

  test('empty ring owns nothing; duplicate ids are refused', () => {
    expect(new HashRing([]).assign(4)).toEqual([undefined, undefined, undefined, undefined]);
    expect(() => new HashRing(['a', 'b', 'a'])).toThrow(DuplicateWorkerError);
  });

  test('assign() agrees with ownerOf() and does not depend on insertion order', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.stringMatching(/^[a-z0-9-]{1,12}$/), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 300 }),
        (ids, p) => {
          const a = new HashRing(ids);
          const b = new HashRing([...ids].reverse());
          const table = a.assign(p);
          expect(b.assign(p)).toEqual(table);
          for (let i = 0; i < p; i++) expect(a.ownerOf(i, p)).toBe(table[i]);
        },
      ),
      { seed: 1, numRuns: 60 },
    );
  });

  test('balance: no worker above ringBalanceBound(P/N) (128 vnodes)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 64 }),
        fc.constantFrom(128, 256, 1024, 10_000),
        fc.string({ minLength: 1, maxLength: 6 }),
        (n, p, salt) => {
          const c = counts(new HashRing(workerIds(n, salt)).assign(p));
          const bound = ringBalanceBound(p / n);
          expect(Math.max(...c.values())).toBeLessThanOrEqual(bound);
        },
      ),
      { seed: 2, numRuns: 150 },
    );
  });

  test('adding a worker moves only partitions the newcomer takes, about 1/(N+1) of them', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 24 }), fc.string({ minLength: 1, maxLength: 6 }), (n, salt) => {
        const p = 1024;
        const ids = workerIds(n, salt);
        const before = new HashRing(ids).assign(p);
        const after = new HashRing([...ids, `new-${salt}`]).assign(p);
        let moved = 0;
        for (let i = 0; i < p; i++) {
          if (before[i] !== after[i]) {
            moved++;
            expect(after[i]).toBe(`new-${salt}`);
          }
        }
        // the newcomer's share is one of N+1 arc shares: within the same balance bound
        expect(moved).toBeLessThanOrEqual(ringBalanceBound(p / (n + 1)));
        expect(moved).toBeGreaterThan(0);
      }),
      { seed: 3, numRuns: 100 },
    );
  });

  test('adding a 4th worker to 3 moves about a quarter of 128 partitions, not three quarters', () => {
    const before = new HashRing(['w0', 'w1', 'w2']).assign(128);
    const after = new HashRing(['w0', 'w1', 'w2', 'w3']).assign(128);
    const moved = before.filter((w, i) => w !== after[i]).length;
    expect(moved / 128).toBeGreaterThan(0.12);
    expect(moved / 128).toBeLessThan(0.38);
  });

  test('removing a worker moves only its own partitions', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 24 }),
        fc.string({ minLength: 1, maxLength: 6 }),
        fc.nat(),
        (n, salt, k) => {
          const p = 512;
          const ids = workerIds(n, salt);
          const gone = ids[k % n]!;
          const before = new HashRing(ids).assign(p);
          const after = new HashRing(ids.filter((w) => w !== gone)).assign(p);
          for (let i = 0; i < p; i++) {
            if (before[i] !== gone) expect(after[i]).toBe(before[i]);
            else expect(after[i]).not.toBe(gone);
          }
        },
      ),
      { seed: 4, numRuns: 100 },
    );
  });
});
