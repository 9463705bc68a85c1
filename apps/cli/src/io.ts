/**
 * I/O adapters of the command: a CSV trade source over a byte stream (file or
 * stdin) and a line sink over a writable stream (file or stdout), with
 * backpressure. The pipeline itself (graph-engine) does no I/O.
 */
import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import type { OutputDelta, Sink, Source, Value } from '@ripple/stream';
import { type BadLine, type Trade, TradeCsvParser } from '@ripple/trades';
import { InputError } from './errors.ts';
import { CSV_HEADER, formatDelta, type OutputFormat } from './output-format.ts';

/** Trades parsed from a byte stream; malformed lines go to `onBad` and are skipped. */
export class CsvTradeSource implements Source<Trade> {
  readonly name: string;
  private readonly open: () => Promise<Readable>;
  private readonly onBad: (b: BadLine) => void;
  private readonly batchSize: number;
  bytes = 0;

  constructor(name: string, open: () => Promise<Readable>, onBad: (b: BadLine) => void, batchSize = 4096) {
    this.name = name;
    this.open = open;
    this.onBad = onBad;
    this.batchSize = batchSize;
  }

  async *batches(): AsyncIterable<readonly Trade[]> {
    let batch: Trade[] = [];
    const parser = new TradeCsvParser((t) => batch.push(t), this.onBad);
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
