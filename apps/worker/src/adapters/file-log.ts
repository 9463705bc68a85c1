/**
 * The worker's ports over the embedded cluster's partitioned log on local
 * files (@ripple/cluster-local; `RIPPLE_SOURCE=log`, `RIPPLE_LOG_DIR`): the
 * `pnpm start` stand-in for Kafka. Offsets are record numbers per partition
 * file; `send` resolves once the records are appended.
 */
import { appendToLog, EndCounter, PartitionReader } from '@ripple/cluster-local';
import type { PartitionStart, RecordSink, RecordSource, SinkRecord, SourceRecord } from '../ports.ts';

export class FileLogSource implements RecordSource {
  private readonly dir: string;
  private readonly topic: string;
  private readonly readers = new Map<number, PartitionReader>();
  private readonly ends = new Map<number, EndCounter>();
  private rr = 0;

  constructor(dir: string, topic: string) {
    this.dir = dir;
    this.topic = topic;
  }

  async assign(starts: readonly PartitionStart[]): Promise<void> {
    for (const s of starts) {
      const from =
        s.position === 'earliest'
          ? 0n
          : s.position === 'latest'
            ? await this.endOffset(s.partition)
            : s.position;
      this.readers.set(s.partition, new PartitionReader(this.dir, this.topic, s.partition, from));
    }
  }

  async unassign(partitions: readonly number[]): Promise<void> {
    for (const p of partitions) this.readers.delete(p);
  }

  async poll(maxRecords: number, maxWaitMs: number): Promise<SourceRecord[]> {
    const out = await this.take(maxRecords);
    if (out.length > 0 || maxWaitMs <= 0) return out;
    // nothing yet: one short wait (files have no push notification), never a busy loop
    await new Promise((r) => setTimeout(r, Math.min(maxWaitMs, 50)));
    return this.take(maxRecords);
  }

  private async take(maxRecords: number): Promise<SourceRecord[]> {
    // the readers as of this call: an unassign during a read drops what that reader returned
    const readers = [...this.readers.entries()].sort((a, b) => a[0] - b[0]);
    const out: SourceRecord[] = [];
    for (let i = 0; i < readers.length && out.length < maxRecords; i++) {
      const [p, reader] = readers[(this.rr + i) % readers.length] as [number, PartitionReader];
      const got = await reader.read(maxRecords - out.length);
      if (this.readers.get(p) !== reader) continue;
      for (const r of got)
        out.push({
          partition: r.partition,
          offset: r.offset,
          value: r.value,
          headers: r.headers,
          timestampMs: r.timestampMs,
        });
    }
    this.rr++;
    return out;
  }

  async endOffset(partition: number): Promise<bigint> {
    let c = this.ends.get(partition);
    if (c === undefined) {
      c = new EndCounter(this.dir, this.topic, partition);
      this.ends.set(partition, c);
    }
    return c.end();
  }

  lastKnownEnd(): bigint | undefined {
    return undefined;
  }

  async close(): Promise<void> {
    this.readers.clear();
  }
}

export class FileLogSink implements RecordSink {
  private readonly dir: string;
  constructor(dir: string) {
    this.dir = dir;
  }

  async send(records: readonly SinkRecord[]): Promise<void> {
    const byTopic = new Map<string, SinkRecord[]>();
    for (const r of records) byTopic.set(r.topic, [...(byTopic.get(r.topic) ?? []), r]);
    for (const [topic, list] of byTopic) await appendToLog(this.dir, topic, list);
  }

  async close(): Promise<void> {}
}
