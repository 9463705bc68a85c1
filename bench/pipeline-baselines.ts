// `pnpm bench pipeline-baselines [--json] [--quick]`: is `limit_events_per_s` of `pnpm bench
// pipeline` a fair baseline for the VWAP pipeline? (issue 3)
//
// Three implementations of VWAP per (symbol, 60 s tumbling window) over the same pre-parsed synthetic
// trades (events 1 ms apart, as `ripple vwap --synthetic`), measured alternately in one process
// (medians of 5 runs after a warm-up), at 2,000 and 10,000 symbols:
// - `limit`: the minimal Map loop of bench/pipeline.ts. It emits a key's window when that key's
//   next event falls in a later window (or at the end): the emission happens while the key's state
//   is in cache, there is no watermark, and the record is a 5-field literal (no delta, key text or
//   sequence number);
// - `watermark_loop`: a hand-written loop with the pipeline's semantics: 8 partitions (keys spread
//   round-robin), a watermark per partition (its max event time), a calendar of window ends, every
//   window emitted when its partition's watermark reaches its end, as an output delta
//   `{ key: symbol@start, partition, seq, delta: set(record), value }`;
// - `pipeline`: the compiled pipeline (`from().partitionBy().window().aggregate().compile()`).
import { loadavg } from 'node:os';
import { type CompiledPipeline, from, type Value } from '@ripple/stream';
import { symbolNames, syntheticTrade, type Trade } from '@ripple/trades';
import { machine, median, printResult } from './_util.ts';
import { timeLimit } from './_vwap-limit.ts';

const json = process.argv.includes('--json');
const quick = process.argv.includes('--quick');
const loadBefore = loadavg()[0] ?? 0;
const N = quick ? 500_000 : 2_000_000;
const BATCH = 4096;
const WINDOW_NS = 60_000_000_000n;
const PARTITIONS = 8;
const INF = 2n ** 126n;
const log = (s: string) => {
  if (!json) console.log(s);
  else process.stderr.write(`${s}\n`);
};

function batchesOf(symbols: number): Trade[][] {
  const names = symbolNames(symbols);
  const out: Trade[][] = [];
  for (let i = 0; i < N; i += BATCH) {
    const b: Trade[] = [];
    for (let j = i; j < Math.min(N, i + BATCH); j++) b.push(syntheticTrade(j, names));
    out.push(b);
  }
  return out;
}

interface Run {
  s: number;
  outputs: number;
}

function runPipeline(batches: readonly Trade[][]): Run {
  const p = from<Trade>()
    .partitionBy('symbol', { partitions: PARTITIONS })
    .window({ kind: 'tumbling', sizeNs: WINDOW_NS }, { time: 'timestampNs' })
    .aggregate((a) => a.vwap('price', 'size'))
    .compile() as unknown as CompiledPipeline<Trade, Value>;
  let outputs = 0;
  const t0 = performance.now();
  for (const b of batches) outputs += p.push(b).length;
  outputs += p.end().length;
  return { s: (performance.now() - t0) / 1000, outputs };
}

/** The minimal loop of bench/pipeline.ts. */
function runLimit(batches: readonly Trade[][]): Run {
  const r = timeLimit(batches, WINDOW_NS);
  return { s: r.s, outputs: r.deltas };
}

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
function runWatermarkLoop(batches: readonly Trade[][]): Run {
  const t0 = performance.now();
  const m = new Map<string, WmAcc>();
  const parts = Array.from({ length: PARTITIONS }, () => new WmPartition());
  let out: Value[] = [];
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
        a = new WmAcc(t.symbol, m.size % PARTITIONS); // any spread over the partitions does the same work
        m.set(t.symbol, a);
      }
      const ts = t.timestampNs;
      const p = parts[a.partition] as WmPartition;
      if (ts > p.maxTs) {
        p.maxTs = ts;
        if (ts >= p.due) fire(p, ts);
      }
      if (ts >= a.end || ts < a.start) {
        a.start = (ts / WINDOW_NS) * WINDOW_NS;
        a.end = a.start + WINDOW_NS;
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

const impls = [
  ['limit', runLimit],
  ['watermark_loop', runWatermarkLoop],
  ['pipeline', runPipeline],
] as const;
const eventsPerS: Record<string, Record<string, number>> = {};
const outputs: Record<string, Record<string, number>> = {};
for (const [name] of impls) {
  eventsPerS[name] = {};
  outputs[name] = {};
}
for (const symbols of [2000, 10000]) {
  const batches = batchesOf(symbols);
  const times: Record<string, number[]> = {};
  for (const [name] of impls) times[name] = [];
  for (let r = 0; r < 6; r++) {
    for (const [name, f] of impls) {
      const run = f(batches);
      if (r > 0) times[name]?.push(run.s); // run 0: warm-up
      (outputs[name] as Record<string, number>)[symbols] = run.outputs;
    }
  }
  for (const [name] of impls) {
    (eventsPerS[name] as Record<string, number>)[symbols] = Math.round(N / median(times[name] ?? []));
  }
  const e = (name: string) => eventsPerS[name]?.[symbols] ?? 0;
  log(
    `${symbols} symbols: limit ${(e('limit') / 1e6).toFixed(2)}M/s, watermark loop ${(e('watermark_loop') / 1e6).toFixed(2)}M/s, ` +
      `pipeline ${(e('pipeline') / 1e6).toFixed(2)}M/s; pipeline = ${((100 * e('pipeline')) / e('limit')).toFixed(0)} % of limit, ` +
      `${((100 * e('pipeline')) / e('watermark_loop')).toFixed(0)} % of the watermark loop`,
  );
}

printResult(
  {
    suite: 'pipeline-baselines',
    events_per_s: eventsPerS,
    outputs,
    events: N,
    load_avg_1m: [Number(loadBefore.toFixed(2)), Number((loadavg()[0] ?? 0).toFixed(2))],
    machine: machine(),
  },
  json,
);
