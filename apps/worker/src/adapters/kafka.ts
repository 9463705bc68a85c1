/**
 * Kafka adapters on @platformatic/kafka (docs/decisions/0004-kafka-client.md).
 *
 * Source: partitions are assigned by Ripple (offsets live in checkpoints), so
 * no consumer group is joined: the low-level `fetch()` reads each owned
 * partition from the offset the worker holds, grouped by partition leader.
 * A fetch answers whole record batches, so records below the requested
 * offset are dropped here. Leadership changes refresh the metadata and retry.
 * `assign` / `unassign` interrupt an outstanding poll (`interruptiblePoll`):
 * it resolves at once with nothing and its fetch's answer is ignored when it
 * comes (no position moves), so a hand-over never waits for a fetch that
 * the broker holds for up to `maxWaitMs` while no data comes.
 *
 * Sink: an idempotent producer with acks=all; `send` resolves once every
 * record is acknowledged by all in-sync replicas.
 */
import { Consumer, findErrorBy, Producer } from '@platformatic/kafka';
import { SinkError, SourceError } from '../errors.ts';
import type { PartitionStart, RecordSink, RecordSource, SinkRecord, SourceRecord } from '../ports.ts';

const EARLIEST = -2n;
const LATEST = -1n;
/** Kafka error codes that mean "your metadata is stale, look again". */
const RETRY_WITH_METADATA = new Set([3, 5, 6, 9, 74, 75]);
const OFFSET_OUT_OF_RANGE = 1;

/**
 * A client error is retryable unless the client or the broker marked one of
 * its causes as not retryable (`canRetry: false`, e.g. MESSAGE_TOO_LARGE,
 * authorization failures). Network errors and timeouts are retryable.
 */
export function kafkaRetryable(e: unknown): boolean {
  if (!(e instanceof Error)) return true;
  // The client marks its own timeouts canRetry: false (it gave up); for the worker a
  // timeout or a lost connection (a broker restarting) is worth retrying.
  if (findErrorBy(e, 'code', 'PLT_KFK_NETWORK') !== null) return true;
  return findErrorBy(e, 'canRetry', false) === null;
}

export interface KafkaSourceOptions {
  readonly brokers: readonly string[];
  readonly topic: string;
  readonly clientId: string;
  /** Bytes fetched per partition per request (default 256 KiB: a response is decoded in one go, so it bounds how long the event loop is held). */
  readonly partitionMaxBytes?: number;
}

interface TopicMeta {
  id: string;
  partitions: Array<{ leader: number; leaderEpoch: number }>;
}

export class KafkaSource implements RecordSource {
  private readonly consumer: Consumer;
  private readonly topic: string;
  private readonly partitionMaxBytes: number;
  private readonly next = new Map<number, bigint>();
  private readonly highWatermarks = new Map<number, bigint>();
  private meta: TopicMeta | null = null;
  readonly interruptiblePoll = true;
  /** Bumped whenever positions are set from outside (assign / unassign): a fetch begun before is abandoned. */
  private positionsGen = 0;
  /** Resolves the outstanding poll's wait early (set while a fetch or an idle wait is in progress). */
  private interrupt: (() => void) | null = null;

  constructor(o: KafkaSourceOptions) {
    this.topic = o.topic;
    this.partitionMaxBytes = o.partitionMaxBytes ?? 256 << 10;
    this.consumer = new Consumer({
      clientId: o.clientId,
      // Required by the constructor; never joined: fetch() is group-free.
      groupId: `ripple-unused-${o.clientId}`,
      bootstrapBrokers: [...o.brokers],
      retries: 3,
      retryDelay: 250,
    });
  }

  private async metadata(refresh = false): Promise<TopicMeta> {
    if (this.meta !== null && !refresh) return this.meta;
    try {
      const m = await this.consumer.metadata({ topics: [this.topic], forceUpdate: refresh });
      const t = m.topics.get(this.topic);
      if (t === undefined) throw new Error(`topic ${this.topic} not found`);
      this.meta = {
        id: t.id,
        partitions: t.partitions.map((p) => ({ leader: p.leader, leaderEpoch: p.leaderEpoch })),
      };
      return this.meta;
    } catch (e) {
      throw new SourceError(`metadata for ${this.topic}: ${(e as Error).message}`, kafkaRetryable(e), e);
    }
  }

  private async listOffset(partitions: readonly number[], timestamp: bigint): Promise<Map<number, bigint>> {
    try {
      const r = await this.consumer.listOffsets({
        topics: [this.topic],
        partitions: { [this.topic]: [...partitions] },
        timestamp,
      });
      const arr = r.get(this.topic) ?? [];
      return new Map(partitions.map((p) => [p, arr[p] ?? 0n]));
    } catch (e) {
      throw new SourceError(`listOffsets ${this.topic}: ${(e as Error).message}`, kafkaRetryable(e), e);
    }
  }

  async assign(starts: readonly PartitionStart[]): Promise<void> {
    const meta = await this.metadata();
    for (const s of starts) {
      if (s.partition >= meta.partitions.length) {
        throw new SourceError(`topic ${this.topic} has no partition ${s.partition}`, false);
      }
    }
    const earliest = starts.filter((s) => s.position === 'earliest').map((s) => s.partition);
    const latest = starts.filter((s) => s.position === 'latest').map((s) => s.partition);
    const e = earliest.length > 0 ? await this.listOffset(earliest, EARLIEST) : new Map<number, bigint>();
    const l = latest.length > 0 ? await this.listOffset(latest, LATEST) : new Map<number, bigint>();
    this.dropBuffered(starts.map((s) => s.partition));
    this.repositioned();
    for (const s of starts) {
      const pos =
        s.position === 'earliest'
          ? e.get(s.partition)
          : s.position === 'latest'
            ? l.get(s.partition)
            : s.position;
      this.next.set(s.partition, pos ?? 0n);
    }
  }

  async unassign(partitions: readonly number[]): Promise<void> {
    for (const p of partitions) this.next.delete(p);
    this.dropBuffered(partitions);
    this.repositioned();
  }

  private repositioned(): void {
    this.positionsGen++;
    const wake = this.interrupt;
    this.interrupt = null;
    wake?.();
  }

  /** Resolves with 'interrupted' at the next `repositioned()`. */
  private interrupted(): Promise<'interrupted'> {
    return new Promise((r) => {
      this.interrupt = () => r('interrupted');
    });
  }

  async endOffset(partition: number): Promise<bigint> {
    return (await this.listOffset([partition], LATEST)).get(partition) ?? 0n;
  }

  lastKnownEnd(partition: number): bigint | undefined {
    return this.highWatermarks.get(partition);
  }

  /** Fetched and not yet returned (a fetch can answer more than `maxRecords`). */
  private buffered: SourceRecord[] = [];
  private bufferedAt = 0;

  private dropBuffered(partitions: readonly number[]): void {
    if (this.bufferedAt >= this.buffered.length) return;
    const drop = new Set(partitions);
    this.buffered = this.buffered.slice(this.bufferedAt).filter((r) => !drop.has(r.partition));
    this.bufferedAt = 0;
  }

  /**
   * At most `maxRecords` records, in offset order per partition. One fetch
   * per partition leader when nothing is buffered (a response is bounded by
   * `partitionMaxBytes` per partition, 1 MiB by default); what a fetch
   * answered beyond `maxRecords` is returned by the next polls.
   */
  async poll(maxRecords: number, maxWaitMs: number): Promise<SourceRecord[]> {
    if (this.bufferedAt >= this.buffered.length) {
      this.buffered = await this.fetchAll(maxWaitMs);
      this.bufferedAt = 0;
    }
    const end = Math.min(this.buffered.length, this.bufferedAt + Math.max(1, maxRecords));
    const out =
      this.bufferedAt === 0 && end === this.buffered.length
        ? this.buffered
        : this.buffered.slice(this.bufferedAt, end);
    this.bufferedAt = end;
    if (this.bufferedAt >= this.buffered.length) {
      this.buffered = [];
      this.bufferedAt = 0;
    }
    return out;
  }

  private async fetchAll(maxWaitMs: number): Promise<SourceRecord[]> {
    const gen = this.positionsGen;
    if (this.next.size === 0) {
      if (maxWaitMs > 0) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          new Promise((r) => {
            timer = setTimeout(r, maxWaitMs);
          }),
          this.interrupted(),
        ]);
        clearTimeout(timer);
        this.interrupt = null;
      }
      return [];
    }
    const meta = await this.metadata();
    if (gen !== this.positionsGen) return [];
    const byLeader = new Map<number, number[]>();
    for (const p of this.next.keys()) {
      const leader = meta.partitions[p]?.leader ?? -1;
      const list = byLeader.get(leader) ?? [];
      list.push(p);
      byLeader.set(leader, list);
    }
    // Positions move only with the records a poll returns: a fetch that fails
    // (or a sibling fetch to another leader that fails) must never advance a
    // partition whose records are then dropped.
    const fetching = Promise.allSettled(
      [...byLeader].map(([leader, parts]) => this.fetchFrom(meta, leader, parts, maxWaitMs)),
    );
    const settled = await Promise.race([fetching, this.interrupted()]);
    this.interrupt = null;
    // Repositioned meanwhile: the answer (now or later) is ignored, nothing moves; the next poll reads again.
    if (settled === 'interrupted' || gen !== this.positionsGen) return [];
    for (const r of settled) {
      // A failure that will not go away stops the poll before any position moves.
      if (r.status === 'rejected' && !(r.reason instanceof SourceError && r.reason.retryable)) throw r.reason;
    }
    const out: SourceRecord[] = [];
    let failure: unknown = null;
    for (const r of settled) {
      if (r.status === 'rejected') {
        failure ??= r.reason;
        continue;
      }
      for (const [partition, next] of r.value.positions)
        if (this.next.has(partition)) this.next.set(partition, next);
      for (const x of r.value.records) if (this.next.has(x.partition)) out.push(x);
    }
    if (failure !== null && out.length === 0) throw failure;
    return out;
  }

  private async fetchFrom(
    meta: TopicMeta,
    leader: number,
    parts: number[],
    maxWaitMs: number,
  ): Promise<{ records: SourceRecord[]; positions: Map<number, bigint> }> {
    let res: Awaited<ReturnType<Consumer['fetch']>>;
    try {
      res = await this.consumer.fetch({
        node: leader,
        topics: [
          {
            topicId: meta.id,
            partitions: parts.map((partition) => ({
              partition,
              fetchOffset: this.next.get(partition) as bigint,
              currentLeaderEpoch: meta.partitions[partition]?.leaderEpoch ?? -1,
              lastFetchedEpoch: -1,
              partitionMaxBytes: this.partitionMaxBytes,
            })),
          },
        ],
        maxWaitTime: Math.max(0, maxWaitMs),
        minBytes: 1,
        maxBytes: 4 << 20,
      });
    } catch (e) {
      this.meta = null;
      throw new SourceError(`fetch from broker ${leader}: ${(e as Error).message}`, kafkaRetryable(e), e);
    }
    const out: SourceRecord[] = [];
    const positions = new Map<number, bigint>();
    for (const tr of res.responses) {
      for (const pr of tr.partitions) {
        const partition = pr.partitionIndex;
        if (pr.errorCode !== 0) {
          if (RETRY_WITH_METADATA.has(pr.errorCode)) {
            this.meta = null; // next poll refreshes leaders
            continue;
          }
          if (pr.errorCode === OFFSET_OUT_OF_RANGE) {
            throw new SourceError(
              `partition ${partition}: offset ${this.next.get(partition)} out of range (data deleted by retention?)`,
              false,
            );
          }
          // Any other error: this partition is fetched again by the next poll (nothing of it is taken).
          this.meta = null;
          continue;
        }
        const start = this.next.get(partition);
        if (start === undefined) continue; // unassigned meanwhile
        this.highWatermarks.set(partition, pr.highWatermark);
        let nextOffset = start;
        for (const batch of pr.records ?? []) {
          for (const r of batch.records) {
            const offset = batch.firstOffset + BigInt(r.offsetDelta);
            if (offset < start) continue;
            const headers: Record<string, string> = {};
            for (const [k, v] of r.headers)
              if (k !== null) headers[k.toString()] = v === null ? '' : v.toString();
            out.push({
              partition,
              offset,
              timestampMs: Number(batch.firstTimestamp + r.timestampDelta),
              value:
                r.value === null ? null : new Uint8Array(r.value.buffer, r.value.byteOffset, r.value.length),
              headers,
            });
            nextOffset = offset + 1n;
          }
        }
        positions.set(partition, nextOffset);
      }
    }
    return { records: out, positions };
  }

  async close(): Promise<void> {
    await this.consumer.close(true).catch(() => {});
  }
}

export interface KafkaSinkOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  /** Upper bound of one record batch (per partition per request). Default 900 KiB. */
  readonly maxBatchBytes?: number;
}

export class KafkaSink implements RecordSink {
  private readonly producer: Producer;
  private readonly maxBatchBytes: number;

  constructor(o: KafkaSinkOptions) {
    this.maxBatchBytes = o.maxBatchBytes ?? 900 * 1024;
    this.producer = new Producer({
      clientId: o.clientId,
      bootstrapBrokers: [...o.brokers],
      acks: -1,
      idempotent: true,
      retries: 5,
      retryDelay: 200,
    });
  }

  /**
   * Sends in requests whose record batch per partition stays under
   * `maxBatchBytes` (the broker refuses a batch over `message.max.bytes`,
   * 1 MiB by default, and the client does not split one). Requests go one
   * after the other, so the order per partition is kept.
   */
  async send(records: readonly SinkRecord[]): Promise<void> {
    if (records.length === 0) return;
    const chunks: SinkRecord[][] = [];
    let chunk: SinkRecord[] = [];
    const bytes = new Map<string, number>();
    for (const r of records) {
      const tp = `${r.topic}\u0000${r.partition}`;
      const size = r.value.length + (r.key?.length ?? 0) + 64 + Object.keys(r.headers).length * 48;
      const used = bytes.get(tp) ?? 0;
      if (chunk.length > 0 && used + size > this.maxBatchBytes) {
        chunks.push(chunk);
        chunk = [];
        bytes.clear();
      }
      chunk.push(r);
      bytes.set(tp, (bytes.get(tp) ?? 0) + size);
    }
    chunks.push(chunk);
    for (const c of chunks) await this.sendChunk(c);
  }

  private async sendChunk(records: readonly SinkRecord[]): Promise<void> {
    try {
      await this.producer.send({
        messages: records.map((r) => ({
          topic: r.topic,
          partition: r.partition,
          ...(r.key !== null ? { key: Buffer.from(r.key) } : {}),
          value: Buffer.from(r.value.buffer, r.value.byteOffset, r.value.length),
          headers: new Map(Object.entries(r.headers).map(([k, v]) => [Buffer.from(k), Buffer.from(v)])),
        })),
      });
    } catch (e) {
      throw new SinkError(
        `produce ${records.length} record(s): ${(e as Error).message}`,
        kafkaRetryable(e),
        e,
      );
    }
  }

  async close(): Promise<void> {
    await this.producer.close().catch(() => {});
  }
}
