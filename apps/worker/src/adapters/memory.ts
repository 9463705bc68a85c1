import type {
  PartitionStart,
  RecordSink,
  RecordSource,
  SinkRecord,
  SnapshotStore,
  SourceRecord,
  StoredSnapshot,
} from '../ports.ts';

/** An in-memory topic: partitions of appended records. Shared by a MemorySource and a MemorySink. */
export class MemoryTopic {
  readonly partitions: Array<
    Array<{
      value: Uint8Array | null;
      headers: Record<string, string>;
      key: string | null;
      timestampMs: number;
    }>
  >;
  readonly name: string;
  private waiters: Array<() => void> = [];
  constructor(name: string, partitionCount: number) {
    this.name = name;
    this.partitions = Array.from({ length: partitionCount }, () => []);
  }
  append(
    partition: number,
    value: Uint8Array | null,
    headers: Record<string, string> = {},
    key: string | null = null,
  ) {
    const p = this.partitions[partition];
    if (p === undefined) throw new RangeError(`topic ${this.name} has no partition ${partition}`);
    p.push({ value, headers, key, timestampMs: Date.now() });
    if (this.waiters.length > 0) {
      const ws = this.waiters;
      this.waiters = [];
      for (const w of ws) w();
    }
    return BigInt(p.length - 1);
  }
  /** Resolves at the next append, or after `ms`. */
  waitForAppend(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== wake);
        resolve();
      }, ms);
      this.waiters.push(wake);
    });
  }
}

export interface MemorySourceOptions {
  /**
   * Whether assign / unassign interrupt a waiting poll (it then resolves with
   * nothing), like the Kafka source; default true. False: a waiting poll
   * takes from whatever positions are set when it wakes (the worker must
   * settle it before repositioning).
   */
  readonly interruptiblePoll?: boolean;
}

export class MemorySource implements RecordSource {
  readonly interruptiblePoll: boolean;
  private readonly next = new Map<number, bigint>();
  private rr = 0;
  private readonly topic: MemoryTopic;
  /** Bumped by assign / unassign; wakes a waiting poll when interruptible. */
  private positionsGen = 0;
  private interrupt: (() => void) | null = null;
  constructor(topic: MemoryTopic, options: MemorySourceOptions = {}) {
    this.topic = topic;
    this.interruptiblePoll = options.interruptiblePoll ?? true;
  }

  async assign(starts: readonly PartitionStart[]): Promise<void> {
    for (const s of starts) {
      const len = BigInt(this.topic.partitions[s.partition]?.length ?? 0);
      this.next.set(s.partition, s.position === 'earliest' ? 0n : s.position === 'latest' ? len : s.position);
    }
    this.repositioned();
  }
  async unassign(partitions: readonly number[]): Promise<void> {
    for (const p of partitions) this.next.delete(p);
    this.repositioned();
  }
  private repositioned(): void {
    this.positionsGen++;
    const wake = this.interrupt;
    this.interrupt = null;
    if (this.interruptiblePoll) wake?.();
  }
  /** Up to `maxRecords`; when nothing is there, waits up to `maxWaitMs` for an append (never busy-polls). */
  async poll(maxRecords: number, maxWaitMs = 0): Promise<SourceRecord[]> {
    const out = this.take(maxRecords);
    if (out.length > 0 || maxWaitMs <= 0) return out;
    const gen = this.positionsGen;
    const interrupted = new Promise<void>((r) => {
      this.interrupt = r;
    });
    if (this.next.size === 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([new Promise((r) => (timer = setTimeout(r, maxWaitMs))), interrupted]);
      clearTimeout(timer);
      return [];
    }
    await Promise.race([this.topic.waitForAppend(maxWaitMs), interrupted]);
    if (this.interruptiblePoll && gen !== this.positionsGen) return [];
    return this.take(maxRecords);
  }

  private take(maxRecords: number): SourceRecord[] {
    const out: SourceRecord[] = [];
    const parts = [...this.next.keys()].sort((a, b) => a - b);
    // Round-robin over partitions so one busy partition does not starve the others.
    for (let i = 0; i < parts.length && out.length < maxRecords; i++) {
      const p = parts[(this.rr + i) % parts.length] as number;
      const log = this.topic.partitions[p] ?? [];
      let off = this.next.get(p) as bigint;
      while (off < BigInt(log.length) && out.length < maxRecords) {
        const r = log[Number(off)];
        if (r !== undefined)
          out.push({
            partition: p,
            offset: off,
            value: r.value,
            headers: r.headers,
            timestampMs: r.timestampMs,
          });
        off++;
      }
      this.next.set(p, off);
    }
    this.rr++;
    return out;
  }
  async endOffset(partition: number): Promise<bigint> {
    return BigInt(this.topic.partitions[partition]?.length ?? 0);
  }
  lastKnownEnd(partition: number): bigint | undefined {
    return BigInt(this.topic.partitions[partition]?.length ?? 0);
  }
  async close(): Promise<void> {}
}

export class MemorySink implements RecordSink {
  /** When set, `send` fails with it (fault injection). */
  failWith: Error | null = null;
  private readonly topics: ReadonlyMap<string, MemoryTopic>;
  /** Like a broker's `message.max.bytes`: a bigger record (value + key + headers) fails the send. */
  private readonly maxRecordBytes: number;
  constructor(topics: ReadonlyMap<string, MemoryTopic>, maxRecordBytes = Number.POSITIVE_INFINITY) {
    this.topics = topics;
    this.maxRecordBytes = maxRecordBytes;
  }
  async send(records: readonly SinkRecord[]): Promise<void> {
    if (this.failWith !== null) throw this.failWith;
    for (const r of records) {
      let size = r.value.length + (r.key?.length ?? 0);
      for (const [k, v] of Object.entries(r.headers)) size += k.length + v.length;
      if (size > this.maxRecordBytes)
        throw new Error(
          `record of ${size} bytes to ${r.topic} exceeds the maximum message size ${this.maxRecordBytes}`,
        );
    }
    for (const r of records) {
      const t = this.topics.get(r.topic);
      if (t === undefined) throw new Error(`unknown topic ${r.topic}`);
      t.append(r.partition, r.value, { ...r.headers }, r.key);
    }
  }
  async close(): Promise<void> {}
}

export class MemorySnapshotStore implements SnapshotStore {
  readonly name = 'memory';
  private readonly data = new Map<number, StoredSnapshot[]>();
  /** When set, every operation fails with it (fault injection). */
  failWith: Error | null = null;
  puts = 0;

  async put(partition: number, id: string, bytes: Uint8Array): Promise<void> {
    if (this.failWith !== null) throw this.failWith;
    const list = this.data.get(partition) ?? [];
    list.push({ id, bytes: bytes.slice() });
    this.data.set(partition, list);
    this.puts++;
  }
  async latest(partition: number): Promise<StoredSnapshot | null> {
    if (this.failWith !== null) throw this.failWith;
    // The greatest id, like the other stores (ids sort by epoch, then offset): a fenced owner's late
    // put (an older epoch) never becomes latest over a newer owner's.
    let newest: StoredSnapshot | null = null;
    for (const s of this.data.get(partition) ?? []) if (newest === null || s.id > newest.id) newest = s;
    return newest;
  }
  async list(partition: number): Promise<string[]> {
    if (this.failWith !== null) throw this.failWith;
    return (this.data.get(partition) ?? []).map((s) => s.id).sort();
  }
  async get(partition: number, id: string): Promise<Uint8Array | null> {
    if (this.failWith !== null) throw this.failWith;
    return this.data.get(partition)?.find((s) => s.id === id)?.bytes ?? null;
  }
  async prune(partition: number, keep: number): Promise<void> {
    const list = this.data.get(partition);
    if (list !== undefined && list.length > keep) list.splice(0, list.length - keep);
  }
  /** Test hook: replace the newest snapshot's bytes (corruption injection). */
  corruptLatest(partition: number, mutate: (b: Uint8Array) => void): void {
    const list = this.data.get(partition);
    const last = list?.[list.length - 1];
    if (last !== undefined) mutate(last.bytes as Uint8Array);
  }
  /** Test hook: mutate the bytes of every snapshot of a partition. */
  corruptAll(partition: number, mutate: (b: Uint8Array) => void): void {
    for (const s of this.data.get(partition) ?? []) mutate(s.bytes as Uint8Array);
  }
  /** Test hook: how many snapshots a partition holds. */
  count(partition: number): number {
    return this.data.get(partition)?.length ?? 0;
  }
}
