// `pnpm bench ab <before-checkout> <after-checkout>`: an in-process A/B of two checkouts of this
// repository (e.g. two git worktrees, each after `pnpm install`). The graph engine and the VWAP
// pipeline of both are loaded side by side in one process and run in alternating rounds
// (A B, then B A, ...), so both see the same machine load; each figure is the median over rounds,
// and the ratio is taken round by round. Run it twice with the checkouts swapped: whichever is
// built first gets a small advantage. Prints one JSON line. The checkouts must have
// packages/graph-engine and packages/trades (packages/stream since issue 8; before it, graph-engine).
// Graph: one leaf change + stabilize on the VWAP-shaped graph of bench/graph.ts (ns per update).
// Pipeline: the compiled VWAP topology of bench/pipeline.ts on synthetic trades (events/s).
import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const [beforeDir, afterDir] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
if (beforeDir === undefined || afterDir === undefined) {
  console.error('usage: pnpm bench ab <before-checkout> <after-checkout>');
  process.exit(2);
}
type Trade = { symbol: string; price: number; size: number; timestampNs: bigint; venue: string };
type AnyGraph = {
  leaf(v: unknown): unknown;
  map(a: unknown, f: (x: never) => unknown): unknown;
  incrFold(ps: unknown[], init: unknown, add: unknown, rem: unknown, o: unknown): unknown;
  observe(n: unknown, f: (a: never, b: never) => void): unknown;
  set(l: unknown, v: unknown): void;
  stabilize(): number;
};
const geB = await import(`${beforeDir}/packages/graph-engine/src/index.ts`);
const geA = await import(`${afterDir}/packages/graph-engine/src/index.ts`);
// Before issue 8 the stream layer lived in graph-engine (same exported names).
const streamOf = async (dir: string) =>
  existsSync(`${dir}/packages/stream/src/index.ts`)
    ? await import(`${dir}/packages/stream/src/index.ts`)
    : await import(`${dir}/packages/graph-engine/src/index.ts`);
const stB = await streamOf(beforeDir);
const stA = await streamOf(afterDir);
const trA = await import(`${afterDir}/packages/trades/src/index.ts`);

function xs(seed: number) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

type C = { n: number; v: number };
const contribution = (t: Trade): C => ({ n: t.price * t.size, v: t.size });
function buildGraph(Graph: new () => AnyGraph, n: number) {
  const g = new Graph();
  const leaves: unknown[] = [];
  const per: unknown[] = [];
  for (let i = 0; i < n; i++) {
    const l = g.leaf({ symbol: 's', price: 100, size: 1, timestampNs: 0n, venue: 'X' });
    leaves.push(l);
    per.push(g.map(l, contribution as never));
  }
  const total = g.incrFold(
    per,
    { n: 0, v: 0 },
    (a: C, x: C) => ({ n: a.n + x.n, v: a.v + x.v }),
    (a: C, x: C) => ({ n: a.n - x.n, v: a.v - x.v }),
    { replace: (a: C, o: C, x: C) => ({ n: a.n - o.n + x.n, v: a.v - o.v + x.v }) },
  );
  const vwap = g.map(total, ((t: C) => (t.v === 0 ? 0 : t.n / t.v)) as never);
  let last = 0;
  g.observe(vwap, ((_o: number, v: number) => {
    last = v;
  }) as never);
  g.stabilize();
  const rnd = xs(42);
  const pool: Trade[] = Array.from({ length: 4096 }, (_, i) => ({
    symbol: 's',
    price: 100 + (i % 97) / 10,
    size: 1 + (i % 13),
    timestampNs: 0n,
    venue: 'X',
  }));
  let k = 0;
  return {
    round(updates: number): number {
      const t0 = performance.now();
      for (let i = 0; i < updates; i++) {
        g.set(leaves[rnd() % n], pool[k++ & 4095]);
        g.stabilize();
      }
      return ((performance.now() - t0) * 1e6) / updates + last * 0;
    },
  };
}

interface PipelineLike {
  push(batch: readonly Trade[]): readonly unknown[];
}
interface StreamLike {
  from(): {
    partitionBy(
      k: string,
      o: { partitions: number },
    ): {
      window(
        w: unknown,
        o: { time: string },
      ): {
        aggregate(f: (a: { vwap: (p: string, s: string) => unknown }) => unknown): {
          compile(): PipelineLike;
        };
      };
    };
  };
  tumbling(n: bigint): unknown;
}

function buildPipeline(st: StreamLike, symbols: number) {
  const names = trA.symbolNames(symbols) as string[];
  let next = 0;
  let p = compile();
  function compile() {
    return st
      .from()
      .partitionBy('symbol', { partitions: 8 })
      .window(st.tumbling(60_000_000_000n), { time: 'timestampNs' })
      .aggregate((a: { vwap: (p: string, s: string) => unknown }) => a.vwap('price', 'size'))
      .compile();
  }
  const batch: Trade[] = new Array(4096);
  return {
    round(batches: number): number {
      if (next > 3_000_000) {
        p = compile();
        next = 0;
      }
      let deltas = 0;
      const t0 = performance.now();
      for (let b = 0; b < batches; b++) {
        for (let j = 0; j < 4096; j++) batch[j] = trA.syntheticTrade(next++, names) as Trade;
        deltas += p.push(batch).length;
      }
      const s = (performance.now() - t0) / 1000;
      return (batches * 4096) / s + deltas * 0;
    },
  };
}

const median = (a: number[]) => {
  const s = [...a].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

const out: Record<string, unknown> = {
  suite: 'ab',
  load_avg_1m_start: (await import('node:os')).loadavg()[0],
};
for (const n of [1000, 10000, 100000]) {
  const b = buildGraph(geB.Graph, n);
  const a = buildGraph(geA.Graph, n);
  for (let w = 0; w < 5; w++) {
    b.round(20000);
    a.round(20000);
  }
  const rb: number[] = [];
  const ra: number[] = [];
  for (let r = 0; r < 40; r++) {
    if (r % 2 === 0) {
      rb.push(b.round(5000));
      ra.push(a.round(5000));
    } else {
      ra.push(a.round(5000));
      rb.push(b.round(5000));
    }
  }
  const ratios = ra.map((x, i) => x / (rb[i] as number));
  out[`graph_${n}`] = {
    before_ns: +median(rb).toFixed(1),
    after_ns: +median(ra).toFixed(1),
    after_over_before_median_of_rounds: +median(ratios).toFixed(3),
  };
}
for (const symbols of [2000, 10000]) {
  const b = buildPipeline(stB, symbols);
  const a = buildPipeline(stA, symbols);
  for (let w = 0; w < 3; w++) {
    b.round(20);
    a.round(20);
  }
  const rb: number[] = [];
  const ra: number[] = [];
  for (let r = 0; r < 30; r++) {
    if (r % 2 === 0) {
      rb.push(b.round(10));
      ra.push(a.round(10));
    } else {
      ra.push(a.round(10));
      rb.push(b.round(10));
    }
  }
  const ratios = ra.map((x, i) => x / (rb[i] as number));
  out[`pipeline_${symbols}`] = {
    before_events_per_s: Math.round(median(rb)),
    after_events_per_s: Math.round(median(ra)),
    after_over_before_median_of_rounds: +median(ratios).toFixed(3),
  };
}
out.load_avg_1m_end = (await import('node:os')).loadavg()[0];
console.log(JSON.stringify(out));
