/**
 * I/O adapters of the command: a CSV trade source over a byte stream (file or
 * stdin) and a line sink over a writable stream (file or stdout), with
 * backpressure. The pipeline itself (graph-engine) does no I/O.
 */
import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { INT64_MAX } from '@ripple/core';
import type { OutputDelta, Sink, Source, Value } from '@ripple/stream';
import { type BadLine, type Trade, TradeCsvParser } from '@ripple/trades';
import type { TimestampUnit } from './args.ts';
import { InputError, TimestampUnitError } from './errors.ts';
import { CSV_HEADER, formatDelta, type OutputFormat } from './output-format.ts';

const SCALE: Record<TimestampUnit, bigint> = { ns: 1n, us: 1_000n, ms: 1_000_000n, s: 1_000_000_000n };

/** A first data line that names the columns (`symbol,price,...`) is a header, not a bad line. */
const HEADER = /^\s*"?symbol"?\s*,\s*"?price"?\s*,/i;

/**
 * Epoch times in another unit, read as nanoseconds, land in the first days
 * or years of 1970: 1.7e12 (ms) is 28 minutes after the epoch. A first
 * timestamp in [1e11, 1e17) is taken for milliseconds or microseconds since
 * the epoch (1973..5138) and refused unless `--timestamp-unit` says so.
 */
export function suspectUnit(ts: bigint): 'ms' | 'us' | null {
  if (ts >= 100_000_000_000n && ts < 100_000_000_000_000n) return 'ms';
  if (ts >= 100_000_000_000_000n && ts < 100_000_000_000_000_000n) return 'us';
  return null;
}

export interface CsvSourceOptions {
  readonly batchSize?: number;
  /** null: nanoseconds, and a first timestamp that looks like ms/us is refused (`TimestampUnitError`). */
  readonly timestampUnit?: TimestampUnit | null;
}

/**
 * Trades parsed from a byte stream; malformed lines go to `onBad` and are
 * skipped. A header line before the first trade is skipped (`headers`).
 */
export class CsvTradeSource implements Source<Trade> {
  readonly name: string;
  private readonly open: () => Promise<Readable>;
  private readonly onBad: (b: BadLine) => void;
  private readonly batchSize: number;
  private readonly unit: TimestampUnit | null;
  bytes = 0;
  headers = 0;

  constructor(
    name: string,
    open: () => Promise<Readable>,
    onBad: (b: BadLine) => void,
    options: CsvSourceOptions = {},
  ) {
    this.name = name;
    this.open = open;
    this.onBad = onBad;
    this.batchSize = options.batchSize ?? 4096;
    this.unit = options.timestampUnit ?? null;
  }

  async *batches(): AsyncIterable<readonly Trade[]> {
    let batch: Trade[] = [];
    let seen = false;
    const scale = SCALE[this.unit ?? 'ns'];
    const onTrade = (t: Trade, line: number) => {
      if (!seen) {
        seen = true;
        const suspect = this.unit === null ? suspectUnit(t.timestampNs) : null;
        if (suspect !== null) throw new TimestampUnitError(this.name, line, t.timestampNs, suspect);
      }
      if (scale !== 1n) {
        const ns = t.timestampNs * scale;
        if (ns > INT64_MAX) {
          this.onBad({
            line,
            reason: `timestamp ${t.timestampNs} ${this.unit} is beyond 2^63-1 ns`,
            text: `${t.symbol},${t.price},${t.size},${t.timestampNs},${t.venue}`,
          });
          return;
        }
        t.timestampNs = ns;
      }
      batch.push(t);
    };
    const onBad = (b: BadLine) => {
      if (!seen && HEADER.test(b.text)) {
        seen = true;
        this.headers++;
        return;
      }
      seen = true;
      this.onBad(b);
    };
    const parser: TradeCsvParser = new TradeCsvParser((t) => onTrade(t, parser.lines), onBad);
    let stream: Readable;
    try {
      stream = await this.open();
    } catch (cause) {
      throw new InputError(this.name, cause);
    }
    const it = stream[Symbol.asyncIterator]();
    for (;;) {
      let r: IteratorResult<Buffer | string>;
      try {
        r = await it.next();
      } catch (cause) {
        throw new InputError(this.name, cause);
      }
      if (r.done === true) break;
      const chunk = typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
      this.bytes += chunk.length;
      parser.push(chunk);
      if (batch.length >= this.batchSize) {
        yield batch;
        batch = [];
      }
    }
    parser.end();
    if (batch.length > 0) yield batch;
  }
}

/** Formats each delta as one line and writes it; awaits `drain` when the stream is full. */
export class LineSink implements Sink<OutputDelta<Value>> {
  readonly name: string;
  private readonly out: Writable;
  private readonly format: OutputFormat;
  private readonly closeStream: boolean;
  private headerDone = false;
  lines = 0;

  constructor(name: string, out: Writable, format: OutputFormat, closeStream: boolean) {
    this.name = name;
    this.out = out;
    this.format = format;
    this.closeStream = closeStream;
  }

  async write(records: readonly OutputDelta<Value>[]): Promise<void> {
    let text = '';
    if (!this.headerDone) {
      this.headerDone = true;
      if (this.format === 'csv') text += `${CSV_HEADER}\n`;
    }
    for (const r of records) text += `${formatDelta(r, this.format)}\n`;
    this.lines += records.length;
    if (!this.out.write(text)) await once(this.out, 'drain');
  }

  async close(): Promise<void> {
    if (!this.headerDone && this.format === 'csv') {
      this.headerDone = true;
      this.out.write(`${CSV_HEADER}\n`);
    }
    if (this.closeStream) {
      const done = once(this.out, 'finish');
      this.out.end();
      await done;
    }
  }
}
