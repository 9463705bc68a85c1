/**
 * `ripple vwap`: the VWAP pipeline in one process, written with the topology
 * DSL. `runVwap` takes its streams as arguments (tests run it in process).
 */
import { createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';
import { from, type Source } from '@ripple/stream';
import { type BadLine, formatTrade, syntheticBatches, type Trade } from '@ripple/trades';
import type { VwapOptions } from './args.ts';
import { OutputError } from './errors.ts';
import { CsvTradeSource, LineSink } from './io.ts';

export interface CliIo {
  readonly stdin: Readable;
  readonly stdout: Writable;
  readonly stderr: Writable & { isTTY?: boolean };
  /** Wall clock in ms (progress and summary only; never affects output). */
  readonly now: () => number;
}

export interface VwapSummary {
  readonly events: number;
  readonly deltas: number;
  readonly badLines: number;
  /** Header lines recognised and skipped (0 or 1). */
  readonly headers: number;
  readonly late: number;
  readonly seconds: number;
}

const MAX_LATE_REPORTS = 100;
const MAX_BAD_REPORTS = 100;

class SyntheticSource implements Source<Trade> {
  readonly name = 'synthetic';
  private readonly n: number;
  private readonly symbols: number;
  private readonly batchSize: number;
  constructor(n: number, symbols: number, batchSize: number) {
    this.n = n;
    this.symbols = symbols;
    this.batchSize = batchSize;
  }
  async *batches(): AsyncIterable<readonly Trade[]> {
    yield* syntheticBatches(0, this.n, { symbols: this.symbols, batchSize: this.batchSize });
  }
}

async function openWritable(path: string): Promise<Writable> {
  const s = createWriteStream(path);
  await new Promise<void>((resolve, reject) => {
    s.once('open', () => resolve());
    s.once('error', (e) => reject(new OutputError(path, e)));
  });
  return s;
}

export async function runVwap(o: VwapOptions, io: CliIo): Promise<VwapSummary> {
  const t0 = io.now();
  let badLines = 0;
  const badOut = o.badOut === null ? null : await openWritable(o.badOut);
  const onBad = (b: BadLine) => {
    badLines++;
    const text = `line ${b.line}: ${b.reason}: ${b.text}\n`;
    badOut?.write(text);
    if (badLines <= MAX_BAD_REPORTS) io.stderr.write(text);
    if (badLines === MAX_BAD_REPORTS + 1)
      io.stderr.write(
        o.badOut === null
          ? `further bad lines are counted only (use --bad-out FILE to keep them all)\n`
          : `further bad lines go to ${o.badOut} only\n`,
      );
  };
  const csvOptions = { batchSize: o.batchSize, timestampUnit: o.timestampUnit };
  const input = o.input;
  const source: Source<Trade> & { headers?: number } =
    input.kind === 'synthetic'
      ? new SyntheticSource(input.events, input.symbols, o.batchSize)
      : input.kind === 'file'
        ? new CsvTradeSource(
            input.path,
            async () => {
              const h = await open(input.path, 'r'); // fails early (ENOENT, EACCES, EISDIR on read)
              return h.createReadStream({ highWaterMark: 1 << 16 });
            },
            onBad,
            csvOptions,
          )
        : new CsvTradeSource('stdin', async () => io.stdin, onBad, csvOptions);
  const out = o.out === null ? io.stdout : await openWritable(o.out);
  const sink = new LineSink(o.out ?? 'stdout', out, o.format, o.out !== null);
  const lateOut = o.lateOut === null ? null : await openWritable(o.lateOut);
  let lateReported = 0;
  const onLate = (t: Trade, _key: string, windowEndNs: bigint, watermarkNs: bigint) => {
    lateOut?.write(`${formatTrade(t)}\n`);
    if (lateReported++ < MAX_LATE_REPORTS) {
      io.stderr.write(
        `late event (window end ${windowEndNs} + lateness <= watermark ${watermarkNs}): ${formatTrade(t)}\n`,
      );
      if (lateReported === MAX_LATE_REPORTS && o.lateOut === null) {
        io.stderr.write('further late events are counted only (use --late-out PATH to keep them all)\n');
      }
    }
  };
  const topology = from(source)
    .partitionBy('symbol', { partitions: o.partitions })
    .window(o.window, {
      time: 'timestampNs',
      outOfOrdernessNs: o.outOfOrderNs,
      allowedLatenessNs: o.latenessNs,
      idleTimeoutNs: o.idleTimeoutNs,
    })
    .aggregate((a) => a.vwap('price', 'size'))
    .to(sink);

  const showProgress = o.progress === 'always' || (o.progress === 'auto' && io.stderr.isTTY === true);
  let lastShown = t0;
  let lastEvents = 0;
  const summary = await topology.run({
    onLate,
    onBatch: (p) => {
      if (!showProgress) return;
      const now = io.now();
      if (now - lastShown < 1000) return;
      const s = p.stats().window;
      const rate = ((s.events - lastEvents) * 1000) / (now - lastShown);
      let minWm = s.watermarks[0] ?? 0n;
      for (const w of s.watermarks) if (w < minWm) minWm = w;
      const lagNs = s.watermarks.length > 0 ? maxOf(s.watermarks) - minWm : 0n;
      io.stderr.write(
        `\rripple vwap: ${s.events} events, ${fmtRate(rate)} events/s, ${p.stats().deltas} deltas, watermark lag ${fmtSeconds(lagNs)} s   `,
      );
      lastShown = now;
      lastEvents = s.events;
    },
  });
  if (lateOut !== null) await new Promise<void>((resolve) => lateOut.end(resolve));
  if (badOut !== null) await new Promise<void>((resolve) => badOut.end(resolve));
  const seconds = (io.now() - t0) / 1000;
  if (showProgress) io.stderr.write('\n');
  const result: VwapSummary = {
    events: summary.events,
    deltas: summary.deltas,
    badLines,
    headers: source.headers ?? 0,
    late: summary.late,
    seconds,
  };
  if (o.json) io.stderr.write(`${JSON.stringify({ summary: result })}\n`);
  else
    io.stderr.write(
      `ripple vwap: ${summary.events} events, ${summary.deltas} deltas, ${badLines} bad line(s), ${summary.late} late event(s) in ${seconds.toFixed(3)} s (${fmtRate(summary.events / Math.max(seconds, 1e-9))} events/s)\n`,
    );
  return result;
}

function maxOf(xs: readonly bigint[]): bigint {
  let m = xs[0] ?? 0n;
  for (const x of xs) if (x > m) m = x;
  return m;
}

function fmtRate(r: number): string {
  return r >= 1e6 ? `${(r / 1e6).toFixed(2)}M` : r >= 1e3 ? `${(r / 1e3).toFixed(1)}k` : r.toFixed(0);
}

function fmtSeconds(ns: bigint): string {
  return (Number(ns / 1_000_000n) / 1000).toFixed(3);
}
