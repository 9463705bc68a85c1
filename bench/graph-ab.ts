// `pnpm bench graph-ab <before-checkout> <after-checkout> [--sizes=1000,10000,100000] [--rounds=10]`:
// an in-process A/B of two checkouts' graph engine on the graph of bench/graph.ts (one leaf change
// + stabilize, VWAP-shaped, random symbol order), in which neither checkout gets the advantage of
// having its graph built first: every round builds a fresh graph for each checkout, in alternating
// order (A B, then B A, ...), warms it (50,000 updates) and times 100,000 updates. `pnpm bench ab`
// builds each graph once, and at 10,000 symbols whichever is built first came out ~25 % faster in
// both orders (docs/benchmarks.md, issue 15), as large as the effects it is meant to show.
// Prints one JSON line: per size the medians (ns per update) and the median of the per-round
// ratios after/before (below 1: after is faster), with the load average at start and end.
// `--path=f64` runs the same VWAP on the typed numeric path (f64 nodes, two leaves set per update,
// as in bench/graph.ts) instead of the generic nodes: both checkouts must have it.
import { loadavg } from 'node:os';
import { median, xorshift } from './_util.ts';

interface Trade {
  price: number;
  size: number;
}
interface Contrib {
  n: number;
  v: number;
}
interface AnyGraph {
  f64Leaf?(v: number): unknown;
  f64Map2?(a: unknown, b: unknown, f: (x: number, y: number) => number): unknown;
  f64Sum?(ps: unknown[]): unknown;
  f64Set?(l: unknown, v: number): void;
  leaf(v: unknown): unknown;
  map(a: unknown, f: (x: never) => unknown): unknown;
  incrFold(ps: unknown[], init: unknown, add: unknown, rem: unknown, o: unknown): unknown;
  observe(n: unknown, f: (a: never, b: never) => void): unknown;
  set(l: unknown, v: unknown): void;
  stabilize(): number;
}
type GraphClass = new () => AnyGraph;

const args = process.argv.slice(2);
const [beforeDir, afterDir] = args.filter((a) => !a.startsWith('--'));
if (beforeDir === undefined || afterDir === undefined) {
  console.error('usage: pnpm bench graph-ab <before-checkout> <after-checkout> [--sizes=...] [--rounds=N]');
  process.exit(2);
}
const option = (name: string): string | undefined =>
  args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const sizes = (option('sizes') ?? '1000,10000,100000').split(',').map(Number);
const rounds = Number(option('rounds') ?? 10);
const path = option('path') ?? 'generic';
if (path !== 'generic' && path !== 'f64') {
  console.error('--path takes generic or f64');
  process.exit(2);
}
if (sizes.some((n) => !Number.isSafeInteger(n) || n < 1) || !Number.isSafeInteger(rounds) || rounds < 2) {
  console.error('--sizes takes positive integers, --rounds an integer >= 2');
  process.exit(2);
}

const before = (await import(`${beforeDir}/packages/graph-engine/src/index.ts`)).Graph as GraphClass;
const after = (await import(`${afterDir}/packages/graph-engine/src/index.ts`)).Graph as GraphClass;

const POOL = 4096;
const rnd0 = xorshift(7);
const pool: Trade[] = Array.from({ length: POOL }, () => ({
  price: 100 + (rnd0() % 100) / 10,
  size: 1 + (rnd0() % 500),
}));
// The user functions are shared by both checkouts: their type feedback is the same on both sides.
const contribution = (t: Trade): Contrib => ({ n: t.price * t.size, v: t.size });
const add = (a: Contrib, x: Contrib): Contrib => ({ n: a.n + x.n, v: a.v + x.v });
const remove = (a: Contrib, x: Contrib): Contrib => ({ n: a.n - x.n, v: a.v - x.v });
const replace = (a: Contrib, o: Contrib, x: Contrib): Contrib => ({ n: a.n - o.n + x.n, v: a.v - o.v + x.v });
const vwapOf = (t: Contrib): number => (t.v === 0 ? 0 : t.n / t.v);

const notionalOf = (p: number, s: number): number => p * s;

/** An update of the graph: set symbol `symbol`'s trade and stabilize. */
type Update = (symbol: number, trade: Trade) => void;

/** The VWAP graph on the typed numeric path; returns its update. */
function buildF64(g: AnyGraph, n: number, observe: (v: number) => void): Update {
  if (g.f64Leaf === undefined) throw new Error('--path=f64: a checkout without the f64 path');
  const f64Leaf = g.f64Leaf.bind(g);
  const f64Map2 = (g.f64Map2 as NonNullable<AnyGraph['f64Map2']>).bind(g);
  const f64Sum = (g.f64Sum as NonNullable<AnyGraph['f64Sum']>).bind(g);
  const f64Set = (g.f64Set as NonNullable<AnyGraph['f64Set']>).bind(g);
  const price: unknown[] = [];
  const size: unknown[] = [];
  const notional: unknown[] = [];
  for (let i = 0; i < n; i++) {
    const t = pool[i % POOL] as Trade;
    price.push(f64Leaf(t.price));
    size.push(f64Leaf(t.size));
    notional.push(f64Map2(price[i], size[i], notionalOf));
  }
  const vwap = f64Map2(f64Sum(notional), f64Sum(size), (tn, tv) => (tv === 0 ? 0 : tn / tv));
  g.observe(vwap, ((_o: number, v: number) => observe(v)) as (a: never, b: never) => void);
  g.stabilize();
  return (symbol, trade) => {
    f64Set(price[symbol], trade.price);
    f64Set(size[symbol], trade.size);
    g.stabilize();
  };
}

/** Builds a fresh graph of n symbols, warms it, returns ns per update over 100,000 updates. */
function oneRound(Graph: GraphClass, n: number, seq: Uint32Array): number {
  const g = new Graph();
  if (path === 'f64') {
    let lastF64 = 0;
    const update = buildF64(g, n, (v) => {
      lastF64 = v;
    });
    return timeUpdates(update, seq) + lastF64 * 0;
  }
  const leaves: unknown[] = [];
  const per: unknown[] = [];
  for (let i = 0; i < n; i++) {
    const leaf = g.leaf(pool[i % POOL]);
    leaves.push(leaf);
    per.push(g.map(leaf, contribution as (x: never) => unknown));
  }
  const total = g.incrFold(per, { n: 0, v: 0 }, add, remove, { replace });
  const vwap = g.map(total, vwapOf as (x: never) => unknown);
  let last = 0;
  g.observe(vwap, ((_o: number, v: number) => {
    last = v;
  }) as (a: never, b: never) => void);
  g.stabilize();
  const mask = seq.length - 1;
  let k = 0;
  for (let i = 0; i < 50_000; i++, k++) {
    g.set(leaves[seq[k & mask] as number], pool[k % POOL]);
    g.stabilize();
  }
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < 100_000; i++, k++) {
    g.set(leaves[seq[k & mask] as number], pool[k % POOL]);
    g.stabilize();
  }
  return Number(process.hrtime.bigint() - t0) / 100_000 + last * 0;
}

/** Warms `update` (50,000 updates), returns ns per update over the next 100,000. */
function timeUpdates(update: Update, seq: Uint32Array): number {
  const mask = seq.length - 1;
  let k = 0;
  for (let i = 0; i < 50_000; i++, k++) update(seq[k & mask] as number, pool[k % POOL] as Trade);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < 100_000; i++, k++) update(seq[k & mask] as number, pool[k % POOL] as Trade);
  return Number(process.hrtime.bigint() - t0) / 100_000;
}

const out: Record<string, unknown> = { suite: 'graph-ab', path, rounds, load_avg_1m_start: loadavg()[0] };
for (const n of sizes) {
  const rnd = xorshift(42);
  const seq = new Uint32Array(1 << 16);
  for (let i = 0; i < seq.length; i++) seq[i] = rnd() % n;
  const tb: number[] = [];
  const ta: number[] = [];
  for (let r = 0; r < rounds; r++) {
    if (r % 2 === 0) {
      tb.push(oneRound(before, n, seq));
      ta.push(oneRound(after, n, seq));
    } else {
      ta.push(oneRound(after, n, seq));
      tb.push(oneRound(before, n, seq));
    }
  }
  out[`graph_${n}`] = {
    before_ns: Math.round(median(tb) * 10) / 10,
    after_ns: Math.round(median(ta) * 10) / 10,
    after_over_before_median_of_rounds:
      Math.round(median(ta.map((x, i) => x / (tb[i] as number))) * 1000) / 1000,
  };
}
out.load_avg_1m_end = loadavg()[0];
console.log(JSON.stringify(out));
