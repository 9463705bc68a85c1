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
import { timeWatermarkLoop } from './_vwap-watermark-loop.ts';

const json = process.argv.includes('--json');
const quick = process.argv.includes('--quick');
const loadBefore = loadavg()[0] ?? 0;
const N = quick ? 500_000 : 2_000_000;
const BATCH = 4096;
const WINDOW_NS = 60_000_000_000n;
const PARTITIONS = 8;
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

/** The pipeline's semantics by hand (bench/_vwap-watermark-loop.ts). */
function runWatermarkLoop(batches: readonly Trade[][]): Run {
  return timeWatermarkLoop(batches, WINDOW_NS, PARTITIONS);
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
