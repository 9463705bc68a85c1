// B-01: one leaf change + stabilize on a VWAP-shaped graph, at 1K / 10K / 100K symbols,
// against alien-signals, preact signals, a naive full recompute, the user functions alone (no
// graph) and the plain typed-array loop (the machine's limit for this update: no graph, no
// allocation), all in the same run. The same VWAP on the engine's typed numeric path (f64 nodes)
// is measured beside it: keys `stabilize_f64_*`, `f64_*`.
//
//   pnpm bench graph [--json]
//
// Graph per symbol: leaf (last trade) -> map (notional, volume) -> one incrFold over all
// symbols (total notional, volume) -> map (VWAP), observed. Every update changes one
// random symbol's trade (deterministic xorshift sequence, same for every contender).

import { PerformanceObserver, constants as perfConstants } from 'node:perf_hooks';
import { computed as pComputed, effect as pEffect, signal as pSignal } from '@preact/signals-core';
import type { Graph } from '@ripple/graph-engine';
import { computed, effect, signal } from 'alien-signals';
import { heapUsedAfterGc, machine, median, percentile, printResult, xorshift } from './_util.ts';
import {
  buildRipple,
  buildRippleF64,
  type Contender,
  type Contrib,
  contribution,
  type Trade,
} from './_vwap-graph.ts';

const SIZES = [1_000, 10_000, 100_000] as const;
const POOL = 4096; // trades cycled from a pool: the driver allocates nothing per update

function tradePool(): Trade[] {
  const rnd = xorshift(7);
  return Array.from({ length: POOL }, () => ({ price: 100 + (rnd() % 100) / 10, size: 1 + (rnd() % 500) }));
}

function indexSequence(n: number, length: number): Uint32Array {
  const rnd = xorshift(42);
  const seq = new Uint32Array(length);
  for (let i = 0; i < length; i++) seq[i] = rnd() % n;
  return seq;
}

function buildAlien(n: number, trades: Trade[]): Contender {
  // The idiomatic O(1) aggregate in a signals library: per-symbol effects apply
  // their delta to a running total held outside the graph, then publish it.
  const leaves = Array.from({ length: n }, (_, i) => signal(trades[i % POOL] as Trade));
  let accN = 0;
  let accV = 0;
  const total = signal<Contrib>({ n: 0, v: 0 });
  for (const leaf of leaves) {
    const c = computed(() => {
      const t = leaf();
      return { n: t.price * t.size, v: t.size };
    });
    let prev: Contrib = { n: 0, v: 0 };
    effect(() => {
      const x = c();
      accN += x.n - prev.n;
      accV += x.v - prev.v;
      prev = x;
      total({ n: accN, v: accV });
    });
  }
  const vwap = computed(() => {
    const t = total();
    return t.v === 0 ? 0 : t.n / t.v;
  });
  let last = 0;
  effect(() => {
    last = vwap();
  });
  return {
    update(symbol, trade) {
      (leaves[symbol] as (t: Trade) => void)(trade);
    },
    result: () => last,
  };
}

function buildPreact(n: number, trades: Trade[]): Contender {
  // Same idiomatic shape as alien-signals: per-symbol effects keep a running total outside the graph.
  const leaves = Array.from({ length: n }, (_, i) => pSignal(trades[i % POOL] as Trade));
  let accN = 0;
  let accV = 0;
  const total = pSignal<Contrib>({ n: 0, v: 0 });
  for (const leaf of leaves) {
    const c = pComputed(() => {
      const t = leaf.value;
      return { n: t.price * t.size, v: t.size };
    });
    let prev: Contrib = { n: 0, v: 0 };
    pEffect(() => {
      const x = c.value;
      accN += x.n - prev.n;
      accV += x.v - prev.v;
      prev = x;
      total.value = { n: accN, v: accV };
    });
  }
  const vwap = pComputed(() => {
    const t = total.value;
    return t.v === 0 ? 0 : t.n / t.v;
  });
  let last = 0;
  pEffect(() => {
    last = vwap.value;
  });
  return {
    update(symbol, trade) {
      (leaves[symbol] as { value: Trade }).value = trade;
    },
    result: () => last,
  };
}

/**
 * The limit: the same update (one symbol's contribution replaced in an O(1) running total, VWAP
 * recomputed and compared with the last one) as a plain loop over typed arrays, nothing allocated.
 */
function buildLoop(n: number, trades: Trade[]): Contender {
  const cn = new Float64Array(n);
  const cv = new Float64Array(n);
  let tn = 0;
  let tv = 0;
  for (let i = 0; i < n; i++) {
    const t = trades[i % POOL] as Trade;
    cn[i] = t.price * t.size;
    cv[i] = t.size;
    tn += t.price * t.size;
    tv += t.size;
  }
  let last = tv === 0 ? 0 : tn / tv;
  return {
    update(symbol, trade) {
      const x = trade.price * trade.size;
      const v = trade.size;
      tn += x - (cn[symbol] as number);
      tv += v - (cv[symbol] as number);
      cn[symbol] = x;
      cv[symbol] = v;
      const w = tv === 0 ? 0 : tn / tv;
      if (w !== last) last = w;
    },
    result: () => last,
  };
}

/**
 * The floor of any engine running this benchmark's user functions: the same three functions (the
 * per-symbol contribution, the fused replace of the total, the VWAP) called directly, one stored
 * contribution object per symbol, no graph. What it costs above the plain loop is the user code's
 * (allocation, the old contribution's cache miss), not the engine's.
 */
function buildUserFunctions(n: number, trades: Trade[]): Contender {
  const replace = (a: Contrib, o: Contrib, x: Contrib): Contrib => ({
    n: a.n - o.n + x.n,
    v: a.v - o.v + x.v,
  });
  const vwapOf = (t: Contrib): number => (t.v === 0 ? 0 : t.n / t.v);
  const per: Contrib[] = [];
  let acc: Contrib = { n: 0, v: 0 };
  for (let i = 0; i < n; i++) {
    const c = contribution(trades[i % POOL] as Trade);
    per.push(c);
    acc = { n: acc.n + c.n, v: acc.v + c.v };
  }
  let last = vwapOf(acc);
  return {
    update(symbol, trade) {
      const c = contribution(trade);
      acc = replace(acc, per[symbol] as Contrib, c);
      per[symbol] = c;
      const w = vwapOf(acc);
      if (w !== last) last = w;
    },
    result: () => last,
  };
}

function buildNaive(n: number, trades: Trade[]): Contender {
  const state: Trade[] = Array.from({ length: n }, (_, i) => trades[i % POOL] as Trade);
  let last = 0;
  return {
    update(symbol, trade) {
      state[symbol] = trade;
      let tn = 0;
      let tv = 0;
      for (let i = 0; i < n; i++) {
        const t = state[i] as Trade;
        tn += t.price * t.size;
        tv += t.size;
      }
      last = tv === 0 ? 0 : tn / tv;
    },
    result: () => last,
  };
}

/** Median and p99 per-update time in ns: batches for the median, single timed updates for the tail. */
function measure(c: Contender, n: number, trades: Trade[], budgetOps: number): { p50: number; p99: number } {
  const seq = indexSequence(n, 1 << 16);
  const mask = seq.length - 1;
  let k = 0;
  const warm = Math.min(budgetOps, 200_000);
  for (let i = 0; i < warm; i++, k++) c.update(seq[k & mask] as number, trades[k % POOL] as Trade);
  const batch = Math.max(1, Math.min(1000, Math.floor(budgetOps / 200)));
  const samples: number[] = [];
  for (let s = 0; s < 200; s++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < batch; i++, k++) c.update(seq[k & mask] as number, trades[k % POOL] as Trade);
    samples.push(Number(process.hrtime.bigint() - t0) / batch);
  }
  // Tail: time single updates, minus the timer's own cost.
  const overheads: number[] = [];
  for (let i = 0; i < 2000; i++) {
    const t0 = process.hrtime.bigint();
    overheads.push(Number(process.hrtime.bigint() - t0));
  }
  const overhead = median(overheads);
  const singles: number[] = [];
  const nSingles = Math.min(20_000, budgetOps);
  for (let i = 0; i < nSingles; i++, k++) {
    const idx = seq[k & mask] as number;
    const tr = trades[k % POOL] as Trade;
    const t0 = process.hrtime.bigint();
    c.update(idx, tr);
    singles.push(Math.max(0, Number(process.hrtime.bigint() - t0) - overhead));
  }
  return { p50: median(samples), p99: percentile(singles, 0.99) };
}

/**
 * Ripple's time over the plain loop's on the same updates, robust to a loaded machine: 40 rounds of
 * 5,000 updates each, the two alternating (A B, B A, ...), the median of the per-round ratios.
 */
function pairedOverLoop(r: Contender, lp: Contender, n: number, trades: Trade[]): number {
  const seq = indexSequence(n, 1 << 16);
  const mask = seq.length - 1;
  const round5k = (c: Contender, from: number): number => {
    const t0 = process.hrtime.bigint();
    for (let i = 0, k = from; i < 5000; i++, k++)
      c.update(seq[k & mask] as number, trades[k % POOL] as Trade);
    return Number(process.hrtime.bigint() - t0);
  };
  const ratios: number[] = [];
  for (let round = 0; round < 40; round++) {
    const from = round * 5000;
    let tr: number;
    let tl: number;
    if (round % 2 === 0) {
      tr = round5k(r, from);
      tl = round5k(lp, from);
    } else {
      tl = round5k(lp, from);
      tr = round5k(r, from);
    }
    ratios.push(tr / tl);
  }
  return median(ratios);
}

function bytesPerNode(
  n: number,
  trades: Trade[],
  build: (n: number, trades: Trade[]) => { graph: Graph } = buildRipple,
): { bytes: number; nodes: number } {
  // Only the graph is kept alive across the measurement (not the driver's arrays of handles).
  const before = heapUsedAfterGc();
  const graph = build(n, trades).graph;
  const after = heapUsedAfterGc();
  const nodes = graph.stats().nodeCount;
  return { bytes: (after - before) / nodes, nodes };
}

function heapGrowth(trades: Trade[]): number {
  // Heap after full GCs, sampled every 200K updates; the first samples absorb
  // one-off effects (bytecode flushing, JIT), so growth is taken between the
  // sample after 200K measured updates and the one after 1.2M.
  const n = 10_000;
  const r = buildRipple(n, trades);
  const seq = indexSequence(n, 1 << 16);
  let k = 0;
  const run = (count: number) => {
    for (let i = 0; i < count; i++, k++) r.update(seq[k & 0xffff] as number, trades[k % POOL] as Trade);
  };
  run(200_000);
  heapUsedAfterGc();
  run(200_000);
  const h0 = heapUsedAfterGc();
  run(1_000_000);
  const h1 = heapUsedAfterGc();
  return ((h1 - h0) / h0) * 100;
}

/**
 * Minor GCs (scavenges) during `updates` updates: the young-generation garbage the update path
 * leaves. An update that allocates nothing triggers none (read after the loop: the observer
 * reports asynchronously).
 */
async function scavengesDuring(c: Contender, n: number, trades: Trade[], updates: number): Promise<number> {
  const seq = indexSequence(n, 1 << 16);
  for (let k = 0; k < 100_000; k++) c.update(seq[k & 0xffff] as number, trades[k % POOL] as Trade);
  heapUsedAfterGc();
  let count = 0;
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const detail = (e as { detail?: { kind?: number } | null }).detail;
      if (detail?.kind === perfConstants.NODE_PERFORMANCE_GC_MINOR) count++;
    }
  });
  obs.observe({ entryTypes: ['gc'] });
  for (let k = 0; k < updates; k++) c.update(seq[k & 0xffff] as number, trades[k % POOL] as Trade);
  await new Promise((resolve) => setTimeout(resolve, 100));
  obs.disconnect();
  return count;
}

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  const trades = tradePool();
  const out = {
    suite: 'graph',
    stabilize_ns_p50: {} as Record<string, number>,
    stabilize_ns_p99: {} as Record<string, number>,
    alien_signals_ns_p50: {} as Record<string, number>,
    preact_signals_ns_p50: {} as Record<string, number>,
    full_recompute_ns_p50: {} as Record<string, number>,
    /** The plain typed-array loop doing the same update: the machine's limit, in the same run. */
    loop_ns_p50: {} as Record<string, number>,
    /** The benchmark's user functions called directly, no graph: the floor of any engine running them. */
    user_functions_ns_p50: {} as Record<string, number>,
    /**
     * Ripple's time over the loop's on the same updates, per size: median of 40 alternated rounds
     * (robust to the machine's load; target: <= 3 at 10K).
     */
    stabilize_over_loop: {} as Record<string, number>,
    /**
     * (Ripple 100K / 1K) over (loop 100K / 1K), i.e. stabilize_over_loop at 100K over that at 1K:
     * the graph's own slowdown with size beyond the loop's cache misses (target: <= 1.3).
     */
    size_scaling_vs_loop: 0,
    bytes_per_node: 0,
    heap_growth_pct_1m: 0,
    /** The same VWAP on the typed numeric path (f64 nodes; two leaves set per update). */
    stabilize_f64_ns_p50: {} as Record<string, number>,
    stabilize_f64_ns_p99: {} as Record<string, number>,
    /** The f64 path's time over the loop's on the same updates: median of 40 alternated rounds. */
    f64_over_loop: {} as Record<string, number>,
    /** f64_over_loop at 100K over that at 1K (target: <= 1.3). */
    f64_size_scaling_vs_loop: 0,
    /** Heap after GC per f64 node (3 per symbol + 3), values included. */
    bytes_per_node_f64: 0,
    /** Minor GCs during 1M updates at 10K symbols: the garbage each path leaves. */
    scavenges_per_1m_updates: { generic: 0, f64: 0, loop: 0 },
    machine: machine(),
  };
  // Heap growth first, before other contenders leave garbage behind.
  out.heap_growth_pct_1m = Math.round(heapGrowth(trades) * 1000) / 1000;
  for (const n of SIZES) {
    // Cross-check: all three compute the same VWAP for the same updates.
    const r = buildRipple(n, trades);
    const a = buildAlien(n, trades);
    const p = buildPreact(n, trades);
    const nv = buildNaive(n, trades);
    const lp = buildLoop(n, trades);
    const uf = buildUserFunctions(n, trades);
    const rf = buildRippleF64(n, trades);
    const all = [r, a, p, nv, lp, uf, rf];
    for (let i = 0; i < 100; i++) {
      const t = trades[(i * 31) % POOL] as Trade;
      for (const c of all) c.update((i * 7919) % n, t);
    }
    const x = r.result();
    for (const [name, c] of [
      ['ripple f64', rf],
      ['alien', a],
      ['preact', p],
      ['naive', nv],
      ['loop', lp],
      ['user functions', uf],
    ] as const) {
      const y = c.result();
      if (Math.abs(x - y) > 1e-6 * x)
        throw new Error(`contenders disagree at ${n}: ripple ${x}, ${name} ${y}`);
    }
    // The loop first and last: the ratio to it uses the mean of both (load drifts during a run).
    const lm0 = measure(lp, n, trades, 1_000_000);
    const rm = measure(r, n, trades, 1_000_000);
    const am = measure(a, n, trades, 1_000_000);
    const pm = measure(p, n, trades, 1_000_000);
    const fm = measure(nv, n, trades, Math.max(2000, Math.floor(2e9 / n / 20)));
    const um = measure(uf, n, trades, 1_000_000);
    const rfm = measure(rf, n, trades, 1_000_000);
    const lm1 = measure(lp, n, trades, 1_000_000);
    const loopP50 = (lm0.p50 + lm1.p50) / 2;
    out.stabilize_ns_p50[n] = round(rm.p50);
    out.stabilize_ns_p99[n] = round(rm.p99);
    out.alien_signals_ns_p50[n] = round(am.p50);
    out.preact_signals_ns_p50[n] = round(pm.p50);
    out.full_recompute_ns_p50[n] = round(fm.p50);
    out.loop_ns_p50[n] = round(loopP50);
    out.user_functions_ns_p50[n] = round(um.p50);
    const overLoop = pairedOverLoop(r, lp, n, trades);
    out.stabilize_over_loop[n] = Math.round(overLoop * 100) / 100;
    out.stabilize_f64_ns_p50[n] = round(rfm.p50);
    out.stabilize_f64_ns_p99[n] = round(rfm.p99);
    out.f64_over_loop[n] = Math.round(pairedOverLoop(rf, lp, n, trades) * 100) / 100;
    if (!json) {
      console.log(
        `${String(n).padStart(7)} symbols: ripple p50 ${round(rm.p50)} ns p99 ${round(rm.p99)} ns | ` +
          `alien-signals p50 ${round(am.p50)} ns | preact p50 ${round(pm.p50)} ns | ` +
          `full recompute p50 ${round(fm.p50)} ns | plain loop p50 ${round(loopP50)} ns | ` +
          `user functions alone p50 ${round(um.p50)} ns (ripple ${out.stabilize_over_loop[n]}x the loop, ` +
          'alternated rounds)',
      );
      console.log(
        `${' '.repeat(16)}ripple f64 path p50 ${out.stabilize_f64_ns_p50[n]} ns p99 ${out.stabilize_f64_ns_p99[n]} ns ` +
          `(${out.f64_over_loop[n]}x the loop, alternated rounds)`,
      );
    }
  }
  const big = SIZES[SIZES.length - 1] as number;
  const small = SIZES[0] as number;
  const graphScale = (out.stabilize_ns_p50[big] as number) / (out.stabilize_ns_p50[small] as number);
  const loopScale = (out.loop_ns_p50[big] as number) / (out.loop_ns_p50[small] as number);
  out.size_scaling_vs_loop =
    Math.round(
      ((out.stabilize_over_loop[big] as number) / (out.stabilize_over_loop[small] as number)) * 100,
    ) / 100;
  out.f64_size_scaling_vs_loop =
    Math.round(((out.f64_over_loop[big] as number) / (out.f64_over_loop[small] as number)) * 100) / 100;
  const b = bytesPerNode(100_000, trades);
  out.bytes_per_node = round(b.bytes);
  out.bytes_per_node_f64 = round(bytesPerNode(100_000, trades, buildRippleF64).bytes);
  out.scavenges_per_1m_updates = {
    generic: await scavengesDuring(buildRipple(10_000, trades), 10_000, trades, 1_000_000),
    f64: await scavengesDuring(buildRippleF64(10_000, trades), 10_000, trades, 1_000_000),
    loop: await scavengesDuring(buildLoop(10_000, trades), 10_000, trades, 1_000_000),
  };
  if (!json) {
    console.log(`bytes per node: ${out.bytes_per_node} (${b.nodes} nodes, values included)`);
    console.log(`heap growth over 1M updates after warm-up: ${out.heap_growth_pct_1m} %`);
    console.log(
      `size scaling ${big}/${small}: ripple ${round(graphScale)}x, loop ${round(loopScale)}x (from the p50s); ` +
        `from the alternated ratios ${out.size_scaling_vs_loop} (target <= 1.3); f64 path ${out.f64_size_scaling_vs_loop}`,
    );
    console.log(
      `f64 path: ${out.bytes_per_node_f64} bytes per node; minor GCs per 1M updates @10K: ` +
        `generic ${out.scavenges_per_1m_updates.generic}, f64 ${out.scavenges_per_1m_updates.f64}, ` +
        `loop ${out.scavenges_per_1m_updates.loop}`,
    );
  }
  printResult(out, json);
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}

await main();
