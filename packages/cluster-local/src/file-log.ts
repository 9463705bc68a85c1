/**
 * A partitioned log on local files, the embedded cluster's Kafka: one
 * append-only file per topic partition (`<dir>/<topic>/<partition>.log`),
 * records numbered from 0 (the offset). A record is
 * `u32 length | u16 meta length | meta JSON {k, h, ts} | value`. Appends are
 * one `write` of whole records to a file opened with O_APPEND, so writers in
 * several processes interleave whole records; a reader only returns records
 * whose bytes are all there. Made for one machine and a bounded demo: a
 * reader finds an offset by scanning from the start of the file.
 */
import { mkdirSync } from 'node:fs';
import { appendFile, open } from 'node:fs/promises';
import { join } from 'node:path';

export interface LogRecord {
  readonly partition: number;
  readonly offset: bigint;
  readonly key: string | null;
  readonly value: Uint8Array;
  readonly headers: Readonly<Record<string, string>>;
  readonly timestampMs: number;
}

export interface LogAppend {
  readonly partition: number;
  readonly key: string | null;
  readonly value: Uint8Array;
  readonly headers: Readonly<Record<string, string>>;
}

export function partitionFile(dir: string, topic: string, partition: number): string {
  return join(dir, topic, `${partition}.log`);
}

function encode(r: LogAppend, now: number): Buffer {
  const meta = Buffer.from(JSON.stringify({ k: r.key, h: r.headers, ts: now }), 'utf8');
  const out = Buffer.allocUnsafe(6 + meta.length + r.value.length);
  out.writeUInt32BE(2 + meta.length + r.value.length, 0);
  out.writeUInt16BE(meta.length, 4);
  meta.copy(out, 6);
  out.set(r.value, 6 + meta.length);
  return out;
}

/** Appends records, one write per partition file (whole records). */
export async function appendToLog(
  dir: string,
  topic: string,
  records: readonly LogAppend[],
  now = Date.now(),
): Promise<void> {
  const by = new Map<number, Buffer[]>();
  for (const r of records) by.set(r.partition, [...(by.get(r.partition) ?? []), encode(r, now)]);
  mkdirSync(join(dir, topic), { recursive: true });
  await Promise.all(
    [...by].map(([p, bufs]) => appendFile(partitionFile(dir, topic, p), Buffer.concat(bufs), { flag: 'a' })),
  );
}

/** Reads one partition file forward from an offset. */
export class PartitionReader {
  private readonly path: string;
  readonly partition: number;
  private pos = 0;
  private nextOffset = 0n;
  private target: bigint;
  private carry: Buffer = Buffer.alloc(0);

  constructor(dir: string, topic: string, partition: number, from: bigint) {
    this.path = partitionFile(dir, topic, partition);
    this.partition = partition;
    this.target = from;
  }

  /** Complete records seen in the file so far (its end offset, as of the last read). */
  get scanned(): bigint {
    return this.nextOffset;
  }

  /** The offset of the next record this reader returns. */
  get position(): bigint {
    // biome-ignore lint/complexity/useMathMinMax: bigints (Math.max takes numbers)
    return this.nextOffset > this.target ? this.nextOffset : this.target;
  }

  /** Up to `max` records that are completely written. */
  async read(max: number): Promise<LogRecord[]> {
    const out: LogRecord[] = [];
    let fh: Awaited<ReturnType<typeof open>>;
    try {
      fh = await open(this.path, 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return out;
      throw e;
    }
    try {
      for (;;) {
        // parse the complete records held, then read more
        const data = this.carry;
        let at = 0;
        while (data.length - at >= 4) {
          const len = data.readUInt32BE(at);
          if (data.length - at - 4 < len) break;
          const offset = this.nextOffset;
          if (offset >= this.target) {
            if (out.length >= max) break;
            const metaLen = data.readUInt16BE(at + 4);
            const meta = JSON.parse(data.toString('utf8', at + 6, at + 6 + metaLen)) as {
              k: string | null;
              h: Record<string, string>;
              ts: number;
            };
            out.push({
              partition: this.partition,
              offset,
              key: meta.k,
              headers: meta.h,
              timestampMs: meta.ts,
              value: new Uint8Array(data.subarray(at + 6 + metaLen, at + 4 + len)),
            });
          }
          this.nextOffset++;
          at += 4 + len;
        }
        this.carry = at === 0 ? data : Buffer.from(data.subarray(at));
        if (out.length >= max && max > 0) return out;
        const buf = Buffer.allocUnsafe(1 << 20);
        const { bytesRead } = await fh.read(buf, 0, buf.length, this.pos);
        if (bytesRead === 0) return out;
        this.pos += bytesRead;
        this.carry = Buffer.concat([this.carry, buf.subarray(0, bytesRead)]);
      }
    } finally {
      await fh.close();
    }
  }
}

/** Counts a partition's records incrementally (its end offset), reading only what was appended since. */
export class EndCounter {
  private readonly reader: PartitionReader;
  constructor(dir: string, topic: string, partition: number) {
    this.reader = new PartitionReader(dir, topic, partition, 1n << 62n);
  }
  async end(): Promise<bigint> {
    await this.reader.read(0);
    return this.reader.scanned;
  }
}
