// The independent VWAP oracle of the worker's tests (in-memory in apps/worker/test, and on
// real Kafka + S3 in tests/integration): computed from the input alone, with no code
// shared with the worker.
import type { Trade } from '@ripple/protocol';

export interface WindowValue {
  vwap: number;
  volume: number;
  count: number;
}

/**
 * Final value of every (symbol, window start): per partition in offset order,
 * a trade is late when its window end plus the allowed lateness is at or
 * before the watermark (max event time so far, this trade included, minus the
 * out-of-orderness). Trades of `exclude` count for the watermark only.
 * `lateTrades` are the late trades in input order (the side output's content).
 */
export function oracle(
  input: { readonly trades: ReadonlyArray<readonly Trade[]> },
  windowNs: bigint,
  latenessNs: bigint,
  oooNs: bigint,
  exclude?: string,
): { windows: Map<string, WindowValue>; late: number; lateTrades: Trade[] } {
  const acc = new Map<string, { pv: number; volume: number; count: number }>();
  let late = 0;
  const lateTrades: Trade[] = [];
  for (const list of input.trades) {
    let maxTs = -(2n ** 62n);
    for (const t of list) {
      if (t.timestampNs > maxTs) maxTs = t.timestampNs;
      const start = t.timestampNs - (t.timestampNs % windowNs);
      if (start + windowNs + latenessNs <= maxTs - oooNs) {
        late++;
        lateTrades.push(t);
        continue;
      }
      if (t.symbol === exclude) continue;
      const k = `${t.symbol}@${start}`;
      const a = acc.get(k) ?? { pv: 0, volume: 0, count: 0 };
      a.pv += t.price * t.size;
      a.volume += t.size;
      a.count++;
      acc.set(k, a);
    }
  }
  const windows = new Map<string, WindowValue>();
  for (const [k, a] of acc) windows.set(k, { vwap: a.pv / a.volume, volume: a.volume, count: a.count });
  return { windows, late, lateTrades };
}
