// The hand-written loop with the VWAP pipeline's semantics, shared by bench/pipeline-baselines.ts and
// bench/pipeline-ab.ts (not a suite: scripts/bench.ts skips `_` files): 8 partitions (keys spread
// round-robin), a watermark per partition (its max event time), a calendar of window ends, every
// window emitted when its partition's watermark reaches its end, as an output delta
// `{ key: symbol@start, partition, seq, delta: set(record), value }` (the allocations the pipeline's
// output API needs per emission: the record, the delta, the key text, the output object).
import type { Trade } from '@ripple/trades';

const INF = 2n ** 126n;

class WmAcc {
  readonly symbol: string;
  readonly partition: number;
  start = 0n;
  end = -1n;
  pv = 0;
  volume = 0;
  n = 0;
  constructor(symbol: string, partition: number) {
    this.symbol = symbol;
    this.partition = partition;
  }
}

class WmPartition {
  maxTs = -INF;
  /** Earliest pending window end (INF: none). */
  due = INF;
  ends: bigint[] = [];
  calendar = new Map<bigint, WmAcc[]>();
  seq = 0;
}

/** The pipeline's semantics by hand: per-partition watermarks, windows emitted when due, output deltas. */
export function timeWatermarkLoop(
  batches: readonly Trade[][],
  windowNs: bigint,
  partitions: number,
): { s: number; outputs: number } {
  const t0 = performance.now();
  const m = new Map<string, WmAcc>();
  const parts = Array.from({ length: partitions }, () => new WmPartition());
  let out: unknown[] = [];
  let outputs = 0;
  const fire = (p: WmPartition, wm: bigint) => {
    while (p.ends.length > 0 && (p.ends[0] as bigint) <= wm) {
      const end = p.ends.shift() as bigint;
      const due = p.calendar.get(end) as WmAcc[];
      p.calendar.delete(end);
      for (const a of due) {
        if (a.n === 0 || a.end !== end) continue;
        const value = {
          symbol: a.symbol,
          window_start_ns: a.start,
          window_end_ns: a.end,
          vwap: a.pv / a.volume,
          volume: a.volume,
          count: a.n,
        };
        out.push({
          key: `${a.symbol}@${a.start}`,
          partition: a.partition,
          seq: ++p.seq,
          delta: { kind: 'set', value },
          value,
        });
        a.n = 0;
        a.pv = 0;
        a.volume = 0;
      }
    }
    p.due = p.ends.length > 0 ? (p.ends[0] as bigint) : INF;
  };
  for (const b of batches) {
    out = [];
    for (let i = 0; i < b.length; i++) {
      const t = b[i] as Trade;
      let a = m.get(t.symbol);
      if (a === undefined) {
        a = new WmAcc(t.symbol, m.size % partitions); // any spread over the partitions does the same work
        m.set(t.symbol, a);
      }
      const ts = t.timestampNs;
      const p = parts[a.partition] as WmPartition;
      if (ts > p.maxTs) {
        p.maxTs = ts;
        if (ts >= p.due) fire(p, ts);
      }
      if (ts >= a.end || ts < a.start) {
        a.start = (ts / windowNs) * windowNs;
        a.end = a.start + windowNs;
        a.pv = 0;
        a.volume = 0;
        a.n = 0;
        let list = p.calendar.get(a.end);
        if (list === undefined) {
          list = [];
          p.calendar.set(a.end, list);
          let j = p.ends.length;
          while (j > 0 && (p.ends[j - 1] as bigint) > a.end) j--;
          p.ends.splice(j, 0, a.end);
          p.due = p.ends[0] as bigint;
        }
        list.push(a);
      }
      a.pv += t.price * t.size;
      a.volume += t.size;
      a.n++;
    }
    outputs += out.length;
  }
  out = [];
  for (const p of parts) fire(p, INF - 1n);
  outputs += out.length;
  return { s: (performance.now() - t0) / 1000, outputs };
}
