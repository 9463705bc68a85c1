// `pnpm bench pipeline [--json] [--quick]`: the VWAP pipeline (issue 3).
//
// Measures, in one process:
// - events/s of the compiled VWAP pipeline (60 s tumbling windows, 8 partitions,
//   batches of 4096, one stabilization per batch) on pre-parsed synthetic trades,
//   at 2,000 and 10,000 symbols (events 1 ms apart in event time, as `ripple vwap
//   --synthetic`), output deltas produced and counted, not written;
// - the same from CSV bytes (parser + pipeline) at 2,000 symbols;
// - the practical limit: a hand-written loop over a plain Map of accumulators
//   computing the same per-(symbol, window) VWAP, emitting one record per window;
// - replay of 6,000,000 events from a snapshot + log, as the worker replays:
//   restore the pipeline's snapshot, then decode the log's TradeBatch frames
//   (RIPP envelope, CRC-32C checked; 250 trades a frame, as the integrity
//   suite's records) from bytes in memory and push each (2,000 symbols):
//   `replay_6m_s`. Beside it, clearly labelled, the earlier figure that fed
//   pre-decoded columnar arrays into reused records (no frame decoding, no
//   CRC): `replay_6m_s_predecoded_columnar`;
// - heap growth over 1M events in steady state (after 1M warm-up events; heap
//   after full GCs).
// Each throughput figure is the median of 3 runs after one warm-up run; replay: one run after a warm-up.
import { loadavg } from 'node:os';
import { decodeTradeBatch, TradeBatchEncoder } from '@ripple/protocol';
import { type CompiledPipeline, from, type Value } from '@ripple/stream';
import { symbolNames, syntheticTrade, type Trade, TradeCsvParser } from '@ripple/trades';
import { heapUsedAfterGc, machine, median, printResult } from './_util.ts';
import { timeLimit } from './_vwap-limit.ts';

const json = process.argv.includes('--json');
// The machine is shared: the 1-minute load average is reported with the figures.
const loadBefore = loadavg()[0] ?? 0;
const quick = process.argv.includes('--quick');
const N = quick ? 500_000 : 2_000_000;
const BATCH = 4096;
const WINDOW_NS = 60_000_000_000n;
const log = (s: string) => {
  if (!json) console.log(s);
  else process.stderr.write(`${s}\n`);
};

function compile(): CompiledPipeline<Trade, Value> {
  return from<Trade>()
    .partitionBy('symbol', { partitions: 8 })
    .window({ kind: 'tumbling', sizeNs: WINDOW_NS }, { time: 'timestampNs' })
    .aggregate((a) => a.vwap('price', 'size'))
    .compile() as unknown as CompiledPipeline<Trade, Value>;
}

function batchesOf(symbols: number, from: number, to: number): Trade[][] {
  const names = symbolNames(symbols);
  const out: Trade[][] = [];
  for (let i = from; i < to; i += BATCH) {
    const b: Trade[] = [];
    for (let j = i; j < Math.min(to, i + BATCH); j++) b.push(syntheticTrade(j, names));
    out.push(b);
  }
  return out;
}

function timePipeline(batches: readonly Trade[][]): { s: number; deltas: number } {
  const p = compile();
  let deltas = 0;
  const t0 = performance.now();
  for (const b of batches) deltas += p.push(b).length;
  deltas += p.end().length;
  return { s: (performance.now() - t0) / 1000, deltas };
}

function csvBytes(symbols: number, n: number): Buffer {
  const names = symbolNames(symbols);
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    const t = syntheticTrade(i, names);
    parts.push(`${t.symbol},${t.price},${t.size},${t.timestampNs},${t.venue}\n`);
  }
  return Buffer.from(parts.join(''));
}

function timeCsv(bytes: Buffer): { s: number; events: number } {
  const p = compile();
  let batch: Trade[] = [];
  let events = 0;
  const parser = new TradeCsvParser(
    (t) => batch.push(t),
    () => {},
  );
  const t0 = performance.now();
  const CHUNK = 1 << 16;
  for (let off = 0; off < bytes.length; off += CHUNK) {
    parser.push(bytes.subarray(off, Math.min(bytes.length, off + CHUNK)));
    if (batch.length >= BATCH) {
      events += batch.length;
      p.push(batch);
      batch = [];
    }
  }
  parser.end();
  events += batch.length;
  p.push(batch);
  p.end();
  return { s: (performance.now() - t0) / 1000, events };
}

function runs<T>(k: number, f: () => T): T[] {
  f(); // warm-up
  const r: T[] = [];
  for (let i = 0; i < k; i++) r.push(f());
  return r;
}

// ---------------------------------------------------------------- throughput
const eventsPerS: Record<string, number> = {};
const limitPerS: Record<string, number> = {};
for (const symbols of [2000, 10000]) {
  const batches = batchesOf(symbols, 0, N);
  const pr = runs(3, () => timePipeline(batches));
  const lr = runs(3, () => timeLimit(batches, WINDOW_NS));
  eventsPerS[symbols] = Math.round(N / median(pr.map((r) => r.s)));
  limitPerS[symbols] = Math.round(N / median(lr.map((r) => r.s)));
  log(
    `${symbols} symbols: pipeline ${(eventsPerS[symbols] / 1e6).toFixed(2)}M events/s (${pr[0]?.deltas} deltas), ` +
      `minimal loop ${(limitPerS[symbols] / 1e6).toFixed(2)}M events/s (${lr[0]?.deltas} records), ` +
      `ratio ${((100 * eventsPerS[symbols]) / limitPerS[symbols]).toFixed(0)} %`,
  );
}

// ---------------------------------------------------------------- from CSV
const csvN = quick ? 300_000 : 1_000_000;
const bytes = csvBytes(2000, csvN);
const cr = runs(3, () => timeCsv(bytes));
const fromCsv = Math.round(csvN / median(cr.map((r) => r.s)));
log(
  `2000 symbols from CSV bytes (${(bytes.length / 1e6).toFixed(1)} MB): ${(fromCsv / 1e6).toFixed(2)}M events/s`,
);

// ---------------------------------------------------------------- replay from snapshot + log
const REPLAY = quick ? 1_000_000 : 6_000_000;
const SNAP_AT = 500_000;
const names2k = symbolNames(2000);
const snapSource = compile();
for (const b of batchesOf(2000, 0, SNAP_AT)) snapSource.push(b);
const snapshot = snapSource.snapshot();
// The log: events SNAP_AT .. SNAP_AT + REPLAY, columnar binary.
const symIdx = new Uint16Array(REPLAY);
const price = new Float64Array(REPLAY);
const size = new Float64Array(REPLAY);
const ts = new BigInt64Array(REPLAY);
const venueIdx = new Uint8Array(REPLAY);
const VENUES = ['XNAS', 'XNYS', 'BATS', 'ARCA'];
for (let i = 0; i < REPLAY; i++) {
  const t = syntheticTrade(SNAP_AT + i, names2k);
  symIdx[i] = (SNAP_AT + i) % 2000;
  price[i] = t.price;
  size[i] = t.size;
  ts[i] = t.timestampNs;
  venueIdx[i] = VENUES.indexOf(t.venue);
}
function replay(): { s: number; deltas: number } {
  const t0 = performance.now();
  const p = compile();
  p.restore(snapshot);
  let deltas = 0;
  // Decoded into a reused batch of records (the pipeline keeps no reference to an
  // event once pushed; only a late-data callback could, and none is set here).
  const pool: Trade[] = Array.from({ length: BATCH }, () => ({
    symbol: '',
    price: 0,
    size: 0,
    timestampNs: 0n,
    venue: '',
  }));
  const batch: Trade[] = [];
  for (let i = 0; i < REPLAY; i += BATCH) {
    const n = Math.min(BATCH, REPLAY - i);
    batch.length = n;
    for (let j = 0; j < n; j++) {
      const k = i + j;
      const t = pool[j] as Trade;
      t.symbol = names2k[symIdx[k] as number] as string;
      t.price = price[k] as number;
      t.size = size[k] as number;
      t.timestampNs = ts[k] as bigint;
      t.venue = VENUES[venueIdx[k] as number] as string;
      batch[j] = t;
    }
    deltas += p.push(batch).length;
  }
  return { s: (performance.now() - t0) / 1000, deltas };
}
const rr = runs(1, replay);
const replayColumnarS = median(rr.map((r) => r.s)) * (6_000_000 / REPLAY);
log(
  `replay of ${REPLAY} events from snapshot (at ${SNAP_AT}) + pre-decoded columnar log: ${median(rr.map((r) => r.s)).toFixed(3)} s${REPLAY !== 6_000_000 ? ' (scaled to 6M)' : ''}`,
);

// The worker's real replay path: the log as TradeBatch frames, decoded (CRC checked) from bytes.
const FRAME_TRADES = 250;
const frames: Uint8Array[] = [];
for (let i = 0; i < REPLAY; i += FRAME_TRADES) {
  const enc = new TradeBatchEncoder();
  for (let k = i; k < Math.min(REPLAY, i + FRAME_TRADES); k++) enc.add(syntheticTrade(SNAP_AT + k, names2k));
  frames.push(enc.finish({ sequence: frames.length }));
}
const frameBytes = frames.reduce((n, f) => n + f.length, 0);
function replayFrames(): { s: number; deltas: number } {
  const t0 = performance.now();
  const p = compile();
  p.restore(snapshot);
  let deltas = 0;
  for (const f of frames) deltas += p.push(decodeTradeBatch(f)).length;
  return { s: (performance.now() - t0) / 1000, deltas };
}
const fr = runs(1, replayFrames);
const replayS = median(fr.map((r) => r.s)) * (6_000_000 / REPLAY);
log(
  `replay of ${REPLAY} events from snapshot (at ${SNAP_AT}) + log of ${frames.length} TradeBatch frames (${(frameBytes / 1e6).toFixed(1)} MB, decoded and CRC-checked): ${median(fr.map((r) => r.s)).toFixed(3)} s${REPLAY !== 6_000_000 ? ' (scaled to 6M)' : ''}`,
);

// ---------------------------------------------------------------- heap growth
function heapRun(): number {
  const p = compile();
  const batch: Trade[] = new Array(BATCH);
  const feed = (fromI: number, toI: number) => {
    for (let i = fromI; i < toI; i += BATCH) {
      const n = Math.min(BATCH, toI - i);
      batch.length = n;
      for (let j = 0; j < n; j++) batch[j] = syntheticTrade(i + j, names2k);
      p.push(batch);
    }
  };
  feed(0, 1_000_000);
  const before = heapUsedAfterGc();
  feed(1_000_000, 2_000_000);
  const after = heapUsedAfterGc();
  log(`heap: ${(before / 1e6).toFixed(2)} MB after 1M events, ${(after / 1e6).toFixed(2)} MB after 1M more`);
  return ((after - before) / before) * 100;
}
const heapGrowth = heapRun();

const result = {
  suite: 'pipeline',
  events_per_s: eventsPerS,
  events_per_s_from_csv: { 2000: fromCsv },
  limit_events_per_s: limitPerS,
  replay_6m_s: Number(replayS.toFixed(3)),
  replay_6m_s_predecoded_columnar: Number(replayColumnarS.toFixed(3)),
  heap_growth_pct_1m: Number(heapGrowth.toFixed(3)),
  ...(REPLAY !== 6_000_000 ? { replay_scaled_from: REPLAY } : {}),
  events: N,
  load_avg_1m: [Number(loadBefore.toFixed(2)), Number((loadavg()[0] ?? 0).toFixed(2))],
  machine: machine(),
};
printResult(result, json);
