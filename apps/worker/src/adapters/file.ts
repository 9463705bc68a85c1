/**
 * File adapters, for running a worker on files instead of Kafka (replays,
 * demos, debugging a captured partition).
 *
 * Source: one CSV file per partition, `<dir>/<topic>-p<N>.csv`, in the
 * original's trade format (`symbol,price,size,timestamp_ns,venue`; `#` lines
 * and blank lines skipped). Consecutive good lines are grouped into records
 * of up to `linesPerRecord` trades (TradeBatch frames); a bad line becomes a
 * record of its own carrying the raw line and the parser's reason
 * (`SourceRecord.parseError`), which the worker sends to the dead-letter topic.
 * Offsets are record indexes, so checkpoints and replays work as with Kafka.
 *
 * Sink: appends to `<dir>/<topic>-p<N>.ndjson`, one JSON line per record:
 * `{key, headers, value}` where `value` is what `describe` makes of the
 * bytes (e.g. decoded output deltas) or base64.
 */
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setImmediate as yieldToIo } from 'node:timers/promises';
import { TradeBatchEncoder } from '@ripple/protocol';
import { formatTrade, TradeCsvParser } from '@ripple/trades';
import { SinkError, SourceError } from '../errors.ts';
import type { PartitionStart, RecordSink, RecordSource, SinkRecord, SourceRecord } from '../ports.ts';

interface FileRecord {
  value: Uint8Array;
  parseError?: string;
}

export class FileSource implements RecordSource {
  private readonly dir: string;
  private readonly topic: string;
  private readonly linesPerRecord: number;
  private readonly logs = new Map<number, FileRecord[]>();
  private readonly next = new Map<number, number>();

  constructor(dir: string, topic: string, linesPerRecord = 500) {
    this.dir = dir;
    this.topic = topic;
    this.linesPerRecord = linesPerRecord;
  }

  private async load(partition: number): Promise<FileRecord[]> {
    const cached = this.logs.get(partition);
    if (cached !== undefined) return cached;
    const path = join(this.dir, `${this.topic}-p${partition}.csv`);
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
        this.logs.set(partition, []);
        return [];
      }
      throw new SourceError(`cannot read ${path}: ${(e as Error).message}`, false, e);
    }
    const records: FileRecord[] = [];
    let enc = new TradeBatchEncoder();
    const flush = () => {
      if (enc.count > 0) {
        records.push({ value: enc.finish({ sequence: records.length }) });
        enc = new TradeBatchEncoder();
      }
    };
    const parser = new TradeCsvParser(
      (t) => {
        try {
          enc.add(t);
        } catch (e) {
          // A line the parser accepts but the frame cannot carry (e.g. a symbol over
          // 255 UTF-8 bytes) is dead-lettered like a bad line, never a crash at start-up.
          flush();
          records.push({
            value: new TextEncoder().encode(formatTrade(t)),
            parseError: `trade cannot be framed: ${(e as Error).message}`,
          });
          return;
        }
        if (enc.count >= this.linesPerRecord) flush();
      },
      (bad) => {
        flush();
        records.push({
          value: new TextEncoder().encode(bad.text),
          parseError: `line ${bad.line}: ${bad.reason}`,
        });
      },
    );
    // In slices, yielding between them: a big file must not hold the event loop.
    for (let at = 0; at < bytes.length; at += 1 << 16) {
      parser.push(bytes.subarray(at, at + (1 << 16)));
      await yieldToIo();
    }
    parser.end();
    flush();
    this.logs.set(partition, records);
    return records;
  }

  async assign(starts: readonly PartitionStart[]): Promise<void> {
    for (const s of starts) {
      const log = await this.load(s.partition);
      const pos = s.position === 'earliest' ? 0 : s.position === 'latest' ? log.length : Number(s.position);
      this.next.set(s.partition, Math.min(pos, log.length));
    }
  }

  async unassign(partitions: readonly number[]): Promise<void> {
    for (const p of partitions) this.next.delete(p);
  }

  async poll(maxRecords: number, maxWaitMs: number): Promise<SourceRecord[]> {
    const out: SourceRecord[] = [];
    for (const [partition, from] of this.next) {
      const log = this.logs.get(partition) ?? [];
      let i = from;
      for (; i < log.length && out.length < maxRecords; i++) {
        const r = log[i] as FileRecord;
        out.push({
          partition,
          offset: BigInt(i),
          value: r.value,
          headers: {},
          ...(r.parseError !== undefined ? { parseError: r.parseError } : {}),
        });
      }
      this.next.set(partition, i);
    }
    if (out.length === 0 && maxWaitMs > 0) await new Promise((r) => setTimeout(r, maxWaitMs));
    return out;
  }

  async endOffset(partition: number): Promise<bigint> {
    return BigInt((await this.load(partition)).length);
  }

  lastKnownEnd(partition: number): bigint | undefined {
    const log = this.logs.get(partition);
    return log === undefined ? undefined : BigInt(log.length);
  }

  async close(): Promise<void> {}
}

export class FileSink implements RecordSink {
  private readonly dir: string;
  private readonly describe: (r: SinkRecord) => unknown;
  private ready: Promise<unknown> | null = null;

  constructor(dir: string, describe: (r: SinkRecord) => unknown = () => undefined) {
    this.dir = dir;
    this.describe = describe;
  }

  async send(records: readonly SinkRecord[]): Promise<void> {
    this.ready ??= mkdir(this.dir, { recursive: true });
    await this.ready;
    const files = new Map<string, string[]>();
    for (const r of records) {
      const described = this.describe(r);
      const line = JSON.stringify(
        {
          key: r.key,
          headers: r.headers,
          value: described !== undefined ? described : Buffer.from(r.value).toString('base64'),
        },
        (_k, v) => (typeof v === 'bigint' ? v.toString() : v),
      );
      const file = join(this.dir, `${r.topic}-p${r.partition}.ndjson`);
      const list = files.get(file) ?? [];
      list.push(line);
      files.set(file, list);
    }
    try {
      for (const [file, lines] of files) await appendFile(file, `${lines.join('\n')}\n`);
    } catch (e) {
      throw new SinkError(`cannot append to ${this.dir}: ${(e as Error).message}`, true, e);
    }
  }

  async close(): Promise<void> {}
}
