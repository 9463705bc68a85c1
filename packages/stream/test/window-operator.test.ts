import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  InvalidOptionError,
  max,
  sum,
  type WindowEmit,
  WindowOperator,
  type WindowOptions,
  type WindowSpec,
} from '../src/index.ts';

type Ev = { k: string; t: bigint; v: number };
type Out = { sum: number; count: number };

function run(events: readonly Ev[], options: WindowOptions, batch = 7) {
  const emits: WindowEmit<Out>[] = [];
  const late: Ev[] = [];
  const op = new WindowOperator<Ev, unknown, Out>(
    sum<Ev>('v') as never,
    (e) => e.k,
    (e) => e.t,
    options,
    { onEmit: (_k, e) => emits.push(e), onLate: (e) => late.push(e) },
  );
  for (let i = 0; i < events.length; i += batch) op.pushAll(events.slice(i, i + batch));
  op.end();
  return { emits, late, op };
}

type Final = Out & { end: bigint };

/** Last emission per (key, window start): what a consumer holds at the end (retractions delete). */
function finalView(emits: readonly WindowEmit<Out>[]): Map<string, Final> {
  const m = new Map<string, Final>();
  for (const e of emits) {
    const id = `${e.key}@${e.startNs}`;
    if (e.retract) m.delete(id);
    else m.set(id, { ...(e.result as Out), end: e.endNs });
  }
  return m;
}

const ev = fc.record({
  k: fc.constantFrom('a', 'b', 'c'),
  t: fc.bigInt({ min: 0n, max: 200n }),
  v: fc.integer({ min: 1, max: 100 }),
});

/** Naive oracle for pane windows (one partition): replays the watermark to classify late events. */
function oraclePanes(events: readonly Ev[], size: bigint, slide: bigint, ooo: bigint, lateness: bigint) {
  let max = -(10n ** 30n);
  const m = new Map<string, Final>();
  const late: Ev[] = [];
  for (const e of events) {
    if (e.t > max) max = e.t;
    const wm = max - ooo;
    const paneStart = (e.t / slide) * slide;
    if (paneStart + size + lateness <= wm) {
      late.push(e);
      continue;
    }
    for (let start = paneStart - size + slide; start <= paneStart; start += slide) {
      const end = start + size;
      if (end + lateness <= wm) continue; // that window has expired: the event only counts in the later ones
      const id = `${e.k}@${start}`;
      const o = m.get(id) ?? { sum: 0, count: 0, end };
      m.set(id, { sum: o.sum + e.v, count: o.count + 1, end });
    }
  }
  return { m, late };
}

describe('window operator: tumbling and sliding against a naive oracle', () => {
  const cases: Array<[string, bigint, bigint]> = [
    ['tumbling', 10n, 10n],
    ['sliding', 20n, 5n],
  ];
  it.each(cases)('%s: final values, late side output, no silent drops', (_name, size, slide) => {
    fc.assert(
      fc.property(
        fc.array(ev, { maxLength: 80 }),
        fc.bigInt({ min: 0n, max: 15n }),
        fc.bigInt({ min: 0n, max: 25n }),
        fc.integer({ min: 1, max: 9 }),
        (events, ooo, lateness, batch) => {
          const window: WindowSpec =
            slide === size
              ? { kind: 'tumbling', sizeNs: size }
              : { kind: 'sliding', sizeNs: size, slideNs: slide };
          const { emits, late, op } = run(
            events,
            { window, outOfOrdernessNs: ooo, allowedLatenessNs: lateness },
            batch,
          );
          const want = oraclePanes(events, size, slide, ooo, lateness);
          expect(late).toEqual(want.late);
          expect(finalView(emits)).toEqual(want.m);
          const s = op.stats();
          expect(s.late).toBe(want.late.length);
          expect(s.keys).toBe(0); // end() drops all state
          expect(s.panes).toBe(0);
        },
      ),
    );
  });

  it.each(cases)(
    '%s: hundreds of keys with churn (firing by key id, ids reused after eviction)',
    (_n, size, slide) => {
      // Up to 300 keys, most due at once (the id-ordered firing path), a short key retention so that
      // keys are evicted and their ids reused while stale timer entries of the old keys remain.
      const many = fc.record({
        k: fc.integer({ min: 0, max: 299 }).map((i) => `k${i}`),
        t: fc.bigInt({ min: 0n, max: 50n }),
        v: fc.integer({ min: 1, max: 100 }),
      });
      fc.assert(
        fc.property(
          fc.array(many, { minLength: 300, maxLength: 1500 }),
          fc.bigInt({ min: 0n, max: 15n }),
          fc.bigInt({ min: 0n, max: 25n }),
          fc.integer({ min: 1, max: 300 }),
          (events, ooo, lateness, batch) => {
            const window: WindowSpec =
              slide === size
                ? { kind: 'tumbling', sizeNs: size }
                : { kind: 'sliding', sizeNs: size, slideNs: slide };
            const options = {
              window,
              outOfOrdernessNs: ooo,
              allowedLatenessNs: lateness,
              keyRetentionNs: 1n,
            };
            const { emits, late } = run(events, options, batch);
            const want = oraclePanes(events, size, slide, ooo, lateness);
            expect(late).toEqual(want.late);
            expect(finalView(emits)).toEqual(want.m);
          },
        ),
        { numRuns: 40 },
      );
    },
  );

  it('fires the keys due at one time in key creation order when many are due', () => {
    const emits: WindowEmit<Out>[] = [];
    const op = new WindowOperator<Ev, unknown, Out>(
      sum<Ev>('v') as never,
      (e) => e.k,
      (e) => e.t,
      { window: { kind: 'tumbling', sizeNs: 10n } },
      { onEmit: (_k, e) => emits.push(e) },
    );
    const n = 200;
    for (let i = 0; i < n; i++) op.push({ k: `k${i}`, t: 1n, v: 1 }); // created k0 .. k199
    op.push({ k: 'k0', t: 10n, v: 1 }); // window [0, 10) fires: in creation order
    for (let i = n - 1; i >= 0; i--) op.push({ k: `k${i}`, t: 11n, v: 1 }); // scheduled k199 .. k0
    op.push({ k: 'k0', t: 20n, v: 1 }); // window [10, 20) fires: still in creation order
    const order = (start: bigint) => emits.filter((e) => e.startNs === start).map((e) => e.key);
    const created = Array.from({ length: n }, (_, i) => `k${i}`);
    expect(order(0n)).toEqual(created);
    expect(order(10n)).toEqual(created);
  });

  it('sliding max (two-stack, non-invertible) matches a naive max per window, with out-of-order data', () => {
    fc.assert(
      fc.property(fc.array(ev, { maxLength: 80 }), fc.bigInt({ min: 0n, max: 30n }), (events, ooo) => {
        const emits: WindowEmit<{ max: number | null; count: number }>[] = [];
        const op = new WindowOperator<Ev, unknown, { max: number | null; count: number }>(
          max<Ev>('v') as never,
          (e) => e.k,
          (e) => e.t,
          {
            window: { kind: 'sliding', sizeNs: 20n, slideNs: 5n },
            outOfOrdernessNs: ooo,
            allowedLatenessNs: 1000n,
          },
          { onEmit: (_k, e) => emits.push(e) },
        );
        for (const e of events) op.push(e);
        op.end();
        const got = new Map<string, number | null>();
        for (const e of emits) got.set(`${e.key}@${e.startNs}`, e.result?.max ?? null);
        const want = new Map<string, number>();
        for (const e of events) {
          const pane = (e.t / 5n) * 5n;
          for (let start = pane - 15n; start <= pane; start += 5n) {
            const id = `${e.k}@${start}`;
            want.set(id, Math.max(want.get(id) ?? Number.NEGATIVE_INFINITY, e.v));
          }
        }
        expect([...got].sort()).toEqual([...want].sort());
      }),
    );
  });

  it('emits a window only once the watermark passes its end, and corrections within lateness', () => {
    const emits: WindowEmit<Out>[] = [];
    const op = new WindowOperator<Ev, unknown, Out>(
      sum<Ev>('v') as never,
      (e) => e.k,
      (e) => e.t,
      { window: { kind: 'tumbling', sizeNs: 10n }, allowedLatenessNs: 10n },
      { onEmit: (_k, e) => emits.push(e) },
    );
    op.push({ k: 'a', t: 1n, v: 1 });
    op.push({ k: 'a', t: 9n, v: 2 });
    expect(emits).toEqual([]);
    op.push({ k: 'a', t: 10n, v: 4 }); // watermark 10 closes [0, 10)
    expect(emits.map((e) => [e.startNs, e.result])).toEqual([[0n, { sum: 3, count: 2 }]]);
    op.push({ k: 'a', t: 5n, v: 10 }); // late but within lateness: corrected at once
    expect(emits.map((e) => [e.startNs, e.result])).toEqual([
      [0n, { sum: 3, count: 2 }],
      [0n, { sum: 13, count: 3 }],
    ]);
    op.push({ k: 'a', t: 20n, v: 1 }); // closes [10, 20); [0, 10) expires (10 + 10 <= 20)
    op.push({ k: 'a', t: 3n, v: 100 }); // beyond lateness
    expect(op.stats().late).toBe(1);
    expect(emits.at(-1)).toMatchObject({ startNs: 10n, result: { sum: 4, count: 1 } });
  });
});

describe('window operator: sessions', () => {
  function oracleSessions(events: readonly Ev[], gap: bigint): Map<string, Final> {
    const m = new Map<string, Final>();
    for (const k of ['a', 'b', 'c']) {
      const xs = events.filter((e) => e.k === k).sort((x, y) => (x.t < y.t ? -1 : x.t > y.t ? 1 : 0));
      let start = 0n;
      let last = 0n;
      let acc: Out | null = null;
      const flush = () => {
        if (acc !== null) m.set(`${k}@${start}`, { ...acc, end: last + gap });
      };
      for (const e of xs) {
        if (acc !== null && e.t < last + gap) {
          acc = { sum: acc.sum + e.v, count: acc.count + 1 };
          last = e.t;
        } else {
          flush();
          start = e.t;
          last = e.t;
          acc = { sum: e.v, count: 1 };
        }
      }
      flush();
    }
    return m;
  }

  it('sessions merge when an event bridges two (final view equals gap-split of all events)', () => {
    fc.assert(
      fc.property(
        fc.array(ev, { maxLength: 60 }),
        fc.bigInt({ min: 1n, max: 30n }),
        fc.bigInt({ min: 0n, max: 30n }),
        (events, gap, ooo) => {
          const { emits, late } = run(events, {
            window: { kind: 'session', gapNs: gap },
            outOfOrdernessNs: ooo,
            allowedLatenessNs: 1000n, // nothing is late: the oracle is the plain gap split
          });
          expect(late).toEqual([]);
          expect(finalView(emits)).toEqual(oracleSessions(events, gap));
        },
      ),
    );
  });

  it('a bridging event retracts the absorbed session', () => {
    const { emits } = run(
      [
        { k: 'a', t: 0n, v: 1 },
        { k: 'a', t: 15n, v: 2 },
        { k: 'a', t: 40n, v: 0 }, // wm 40: sessions [0,10) and [15,25) are emitted
        { k: 'a', t: 7n, v: 5 }, // [7,17) overlaps both: they merge into [0,25)
      ],
      { window: { kind: 'session', gapNs: 10n }, allowedLatenessNs: 100n },
      1,
    );
    expect(emits.some((e) => e.retract && e.startNs === 15n)).toBe(true);
    expect(finalView(emits).get('a@0')).toEqual({ sum: 8, count: 3, end: 25n });
  });
});

describe('window operator: watermarks, idleness, bounded state, snapshots', () => {
  it('an idle partition does not stall forever', () => {
    const emits: WindowEmit<Out>[] = [];
    const keyOf = (e: Ev) => e.k;
    const op = new WindowOperator<Ev, unknown, Out>(
      sum<Ev>('v') as never,
      keyOf,
      (e) => e.t,
      { window: { kind: 'tumbling', sizeNs: 10n }, partitions: 64, idleTimeoutNs: 50n },
      { onEmit: (_k, e) => emits.push(e) },
    );
    op.pushAll([{ k: 'quiet', t: 1n, v: 1 }]);
    // Other keys (other partitions) move on; 'quiet' never sends again.
    for (let t = 2n; t < 200n; t++) op.pushAll([{ k: `busy${t % 5n}`, t, v: 1 }]);
    expect(emits.some((e) => e.key === 'quiet')).toBe(true);
  });

  it('state stays bounded over a long stream', () => {
    const op = new WindowOperator<Ev, unknown, Out>(
      sum<Ev>('v') as never,
      (e) => e.k,
      (e) => e.t,
      { window: { kind: 'sliding', sizeNs: 100n, slideNs: 20n }, allowedLatenessNs: 50n },
      { onEmit: () => {} },
    );
    let maxPanes = 0;
    for (let t = 0n; t < 50_000n; t++) {
      op.push({ k: `k${t % 10n}`, t, v: 1 });
      if (t % 1000n === 0n) maxPanes = Math.max(maxPanes, op.stats().panes);
    }
    // 10 keys x (100 + 50 + 20) / 20 panes at most
    expect(maxPanes).toBeLessThanOrEqual(10 * 9);
    expect(op.stats().keys).toBe(10);
  });

  const specs: Array<[string, WindowSpec]> = [
    ['tumbling', { kind: 'tumbling', sizeNs: 10n }],
    ['sliding', { kind: 'sliding', sizeNs: 20n, slideNs: 10n }],
    ['session', { kind: 'session', gapNs: 7n }],
  ];
  it.each(specs)(
    '%s: snapshot + replay of the rest gives the same final view as one run',
    (_name, window) => {
      fc.assert(
        fc.property(fc.array(ev, { minLength: 1, maxLength: 60 }), fc.nat(), (events, cutRaw) => {
          const cut = cutRaw % events.length;
          const options: WindowOptions = { window, outOfOrdernessNs: 5n, allowedLatenessNs: 10n };
          const whole = run(events, options, 1).emits;
          const a: WindowEmit<Out>[] = [];
          const mk = (sink: WindowEmit<Out>[]) =>
            new WindowOperator<Ev, unknown, Out>(
              sum<Ev>('v') as never,
              (e) => e.k,
              (e) => e.t,
              options,
              {
                onEmit: (_k, e) => sink.push(e),
              },
            );
          const first = mk(a);
          for (const e of events.slice(0, cut)) first.push(e);
          const snap = first.snapshot();
          const second = mk(a);
          second.restore(snap);
          for (const e of events.slice(cut)) second.push(e);
          second.end();
          expect(finalView(a)).toEqual(finalView(whole));
        }),
      );
    },
  );

  it.each(specs)(
    '%s: with onResult, results come there and retractions to onEmit, in the same order',
    (_n, window) => {
      fc.assert(
        fc.property(fc.array(ev, { minLength: 1, maxLength: 60 }), (events) => {
          const options: WindowOptions = { window, outOfOrdernessNs: 5n, allowedLatenessNs: 10n };
          const whole = run(events, options, 1).emits;
          const got: WindowEmit<Out>[] = [];
          const op = new WindowOperator<Ev, unknown, Out>(
            sum<Ev>('v') as never,
            (e) => e.k,
            (e) => e.t,
            options,
            {
              onEmit: (_k, e) => {
                expect(e.retract).toBe(true);
                got.push(e);
              },
              onResult: (k, startNs, endNs, result) =>
                got.push({ key: k.key, partition: k.partition, startNs, endNs, result, retract: false }),
            },
          );
          for (const e of events) op.pushAll([e]);
          op.end();
          expect(got).toEqual(whole);
          expect(op.stats().emitted).toBe(whole.length);
        }),
      );
    },
  );

  it('rejects bad options with the option named', () => {
    const mk = (o: WindowOptions) =>
      new WindowOperator<Ev, unknown, Out>(
        sum<Ev>('v') as never,
        (e) => e.k,
        (e) => e.t,
        o,
        { onEmit: () => {} },
      );
    expect(() => mk({ window: { kind: 'sliding', sizeNs: 10n, slideNs: 3n } })).toThrow(InvalidOptionError);
    expect(() => mk({ window: { kind: 'tumbling', sizeNs: 0n } })).toThrow(/window.sizeNs/);
    expect(() => mk({ window: { kind: 'session', gapNs: 5n }, allowedLatenessNs: -1n })).toThrow(
      /allowedLatenessNs/,
    );
  });
});
