// `pnpm bench pipeline-ab <before-checkout> <after-checkout>`: an in-process A/B of the VWAP
// pipeline alone (bench/ab.ts also runs the graph), as bench/pipeline.ts measures it: whole runs of
// N pre-generated synthetic trades (fresh compile, `end()` included), at 2,000 and 10,000 symbols,
// before and after alternating (A B, then B A, ...), and the minimal loop of bench/_vwap-limit.ts
// and the hand-written loop with the pipeline's semantics (bench/_vwap-watermark-loop.ts) in the same
// rounds, so each variant's share of either loop is taken under the same load. Time is the
// process's CPU time (user + system) over the run, not wall time: on a machine loaded 10-20 on 2
// cores, wall time mostly measures the scheduler. Whichever checkout is imported first may gain a
// little: run it in both orders. `--rounds=` (default 12), `--events=` (default 2,000,000). Prints one JSON line.
import { loadavg } from 'node:os';

const [beforeDir, afterDir] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
if (beforeDir === undefined || afterDir === undefined) {
  console.error('usage: pnpm bench pipeline-ab <before-checkout> <after-checkout>');
  process.exit(2);
}
const arg = (name: string, dflt: number) => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a === undefined ? dflt : Number(a.slice(name.length + 3));
};
const rounds = arg('rounds', 12);
const N = arg('events', 2_000_000);
const WINDOW_NS = 60_000_000_000n;
type Trade = { symbol: string; price: number; size: number; timestampNs: bigint; venue: string };
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
          compile(): { push(b: readonly Trade[]): readonly unknown[]; end(): readonly unknown[] };
        };
      };
    };
  };
  tumbling(n: bigint): unknown;
}
const stB = (await import(`${beforeDir}/packages/stream/src/index.ts`)) as StreamLike;
const stA = (await import(`${afterDir}/packages/stream/src/index.ts`)) as StreamLike;
const tr = await import(`${afterDir}/packages/trades/src/index.ts`);
const { timeLimit } = await import(`${afterDir}/bench/_vwap-limit.ts`);
const { timeWatermarkLoop } = await import(`${afterDir}/bench/_vwap-watermark-loop.ts`);

const cpuS = (c: NodeJS.CpuUsage) => (c.user + c.system) / 1e6;
function run(st: StreamLike, batches: readonly Trade[][]): number {
  const p = st
    .from()
    .partitionBy('symbol', { partitions: 8 })
    .window(st.tumbling(WINDOW_NS), { time: 'timestampNs' })
    .aggregate((a) => a.vwap('price', 'size'))
    .compile();
  let deltas = 0;
  const c0 = process.cpuUsage();
  for (const b of batches) deltas += p.push(b).length;
  deltas += p.end().length;
  return N / cpuS(process.cpuUsage(c0)) + deltas * 0;
}
function limit(batches: readonly Trade[][]): number {
  const c0 = process.cpuUsage();
  timeLimit(batches, WINDOW_NS);
  return N / cpuS(process.cpuUsage(c0));
}
function watermarkLoop(batches: readonly Trade[][]): number {
  const c0 = process.cpuUsage();
  timeWatermarkLoop(batches, WINDOW_NS, 8);
  return N / cpuS(process.cpuUsage(c0));
}
const median = (a: number[]) => {
  const s = [...a].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

const out: Record<string, unknown> = {
  suite: 'pipeline-ab',
  events: N,
  rounds,
  load_avg_1m_start: loadavg()[0],
};
for (const symbols of [2000, 10000]) {
  const names = tr.symbolNames(symbols) as string[];
  const batches: Trade[][] = [];
  for (let i = 0; i < N; i += 4096) {
    const b: Trade[] = [];
    for (let j = i; j < Math.min(N, i + 4096); j++) b.push(tr.syntheticTrade(j, names) as Trade);
    batches.push(b);
  }
  run(stB, batches);
  run(stA, batches);
  limit(batches);
  watermarkLoop(batches);
  const rb: number[] = [];
  const ra: number[] = [];
  const rl: number[] = [];
  const rw: number[] = [];
  for (let r = 0; r < rounds; r++) {
    if (r % 2 === 0) {
      rb.push(run(stB, batches));
      ra.push(run(stA, batches));
    } else {
      ra.push(run(stA, batches));
      rb.push(run(stB, batches));
    }
    rl.push(limit(batches));
    rw.push(watermarkLoop(batches));
  }
  const ratios = ra.map((x, i) => x / (rb[i] as number));
  out[`pipeline_${symbols}`] = {
    before_events_per_cpu_s: Math.round(median(rb)),
    after_events_per_cpu_s: Math.round(median(ra)),
    after_over_before_median_of_rounds: +median(ratios).toFixed(3),
    ratios: ratios.map((x) => +x.toFixed(2)),
    limit_events_per_cpu_s: Math.round(median(rl)),
    before_share_of_limit: +(median(rb) / median(rl)).toFixed(3),
    after_share_of_limit: +(median(ra) / median(rl)).toFixed(3),
    watermark_loop_events_per_cpu_s: Math.round(median(rw)),
    watermark_loop_share_of_limit: +(median(rw) / median(rl)).toFixed(3),
    before_share_of_watermark_loop: +(median(rb) / median(rw)).toFixed(3),
    after_share_of_watermark_loop: +(median(ra) / median(rw)).toFixed(3),
  };
}
out.load_avg_1m_end = loadavg()[0];
console.log(JSON.stringify(out));
