// The VWAP graph of `pnpm bench graph` (one symbol's trade + stabilize), on the generic and on the
// typed numeric path: shared by bench/graph.ts and bench/graph-floor.ts so that both time the same graph.
import { type F64, type F64Leaf, Graph, type Incr, type Leaf } from '@ripple/graph-engine';

export interface Trade {
  price: number;
  size: number;
}
export interface Contrib {
  n: number;
  v: number;
}

export interface Contender {
  update(symbol: number, trade: Trade): void;
  result(): number;
}

/** One shared function for every symbol's node (a closure per node would cost ~40 bytes each). */
export const contribution = (t: Trade): Contrib => ({ n: t.price * t.size, v: t.size });

export function buildRipple(n: number, trades: Trade[]): Contender & { graph: Graph } {
  const g = new Graph();
  const leaves: Leaf<Trade>[] = [];
  const per: Incr<Contrib>[] = [];
  for (let i = 0; i < n; i++) {
    const leaf = g.leaf(trades[i % trades.length] as Trade);
    leaves.push(leaf);
    per.push(g.map(leaf, contribution));
  }
  const total = g.incrFold(
    per,
    { n: 0, v: 0 },
    (a, x) => ({ n: a.n + x.n, v: a.v + x.v }),
    (a, x) => ({ n: a.n - x.n, v: a.v - x.v }),
    { replace: (a, o, x) => ({ n: a.n - o.n + x.n, v: a.v - o.v + x.v }) },
  );
  const vwap = g.map(total, (t) => (t.v === 0 ? 0 : t.n / t.v));
  let last = 0;
  g.observe(vwap, (_old, v) => {
    last = v;
  });
  g.stabilize();
  return {
    graph: g,
    update(symbol, trade) {
      g.set(leaves[symbol] as Leaf<Trade>, trade);
      g.stabilize();
    },
    result: () => last,
  };
}

/**
 * The same VWAP on the typed numeric path: per symbol two f64 leaves (price, size) and an f64Map2
 * (notional); two incremental f64 sums (notional, volume); the VWAP an f64Map2 of the sums,
 * observed. An update sets the symbol's two leaves and stabilizes. No user function creates an object.
 */
const notionalOf = (p: number, s: number): number => p * s;
const vwapOfTotals = (tn: number, tv: number): number => (tv === 0 ? 0 : tn / tv);

export function buildRippleF64(n: number, trades: Trade[]): Contender & { graph: Graph } {
  const g = new Graph();
  const price: F64Leaf[] = [];
  const size: F64Leaf[] = [];
  const notional: F64[] = [];
  for (let i = 0; i < n; i++) {
    const t = trades[i % trades.length] as Trade;
    const p = g.f64Leaf(t.price);
    const s = g.f64Leaf(t.size);
    price.push(p);
    size.push(s);
    notional.push(g.f64Map2(p, s, notionalOf));
  }
  const vwap = g.f64Map2(g.f64Sum(notional), g.f64Sum(size), vwapOfTotals);
  let last = 0;
  g.observe(vwap, (_old, v) => {
    last = v;
  });
  g.stabilize();
  return {
    graph: g,
    update(symbol, trade) {
      g.f64Set(price[symbol] as F64Leaf, trade.price);
      g.f64Set(size[symbol] as F64Leaf, trade.size);
      g.stabilize();
    },
    result: () => last,
  };
}
