// The minimal hand-written VWAP loop shared by bench/pipeline.ts and bench/pipeline-baselines.ts
// (not a suite: scripts/bench.ts skips `_` files).
import type { Trade } from '@ripple/trades';

/** The practical limit: a plain Map of mutable accumulators, one record per (symbol, window). */
class Acc {
  start = 0n;
  end = -1n;
  pv = 0;
  volume = 0;
  n = 0;
}
export function timeLimit(batches: readonly Trade[][], windowNs: bigint): { s: number; deltas: number } {
  const t0 = performance.now();
  const m = new Map<string, Acc>();
  const out: Array<{ symbol: string; start: bigint; vwap: number; volume: number; count: number }> = [];
  let deltas = 0;
  for (const b of batches) {
    for (let i = 0; i < b.length; i++) {
      const t = b[i] as Trade;
      let a = m.get(t.symbol);
      if (a === undefined) {
        a = new Acc();
        m.set(t.symbol, a);
      }
      const ts = t.timestampNs;
      if (ts >= a.end || ts < a.start) {
        if (a.n > 0)
          out.push({ symbol: t.symbol, start: a.start, vwap: a.pv / a.volume, volume: a.volume, count: a.n });
        a.start = (ts / windowNs) * windowNs;
        a.end = a.start + windowNs;
        a.pv = 0;
        a.volume = 0;
        a.n = 0;
      }
      a.pv += t.price * t.size;
      a.volume += t.size;
      a.n++;
    }
    deltas += out.length;
    out.length = 0;
  }
  for (const [symbol, a] of m)
    if (a.n > 0) out.push({ symbol, start: a.start, vwap: a.pv / a.volume, volume: a.volume, count: a.n });
  deltas += out.length;
  return { s: (performance.now() - t0) / 1000, deltas };
}
