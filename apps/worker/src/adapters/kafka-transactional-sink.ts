/**
 * Output fencing on Kafka (docs/decisions/0005, "Fencing"): one
 * transactional producer per owned input partition, `transactional.id =
 * <prefix>-p<partition>`. Everything a partition produces (output, DLQ and
 * late records, all keyed to that partition) goes out in a transaction of its
 * own producer.
 *
 * `claim(partitions)` runs before the worker takes a partition: the new
 * producer's InitProducerId bumps the producer epoch of that transactional id,
 * which aborts whatever the previous owner left open and fences its producer.
 * A previous owner that still believes it owns the partition (a paused
 * zombie) then gets PRODUCER_FENCED / INVALID_PRODUCER_EPOCH on its next
 * transaction: its records never become readable to consumers that read
 * committed data (`isolation.level=read_committed`, docs/consumer-contract.md).
 * The fenced sink drops that partition's records from then on (counted,
 * `onFenced`), and the runtime keeps serving its other partitions; the
 * coordinator's fencing revoke then removes the stale copy.
 *
 * A transaction per partition per send: AddPartitionsToTxn, Produce, EndTxn,
 * and the coordinator's markers. The cost is measured in `pnpm bench fencing`.
 */
import { findErrorBy, Producer } from '@platformatic/kafka';
import { SinkError } from '../errors.ts';
import type { OutputClaims, RecordSink, SinkRecord } from '../ports.ts';
import { kafkaRetryable } from './kafka.ts';

export interface KafkaTransactionalSinkOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  /** `<prefix>-p<partition>` is the transactional id: one per cluster and job output. */
  readonly transactionalIdPrefix: string;
  /** Upper bound of one produce request's records per partition. Default 900 KiB. */
  readonly maxBatchBytes?: number;
  /** A partition found fenced: its records (this send's and every later one's until re-claimed) are dropped. */
  readonly onFenced?: (partition: number, droppedRecords: number) => void;
}

/** True when `e` says a newer producer of the same transactional id exists. */
export function isProducerFenced(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  return (
    findErrorBy(e, 'apiId', 'PRODUCER_FENCED') !== null ||
    findErrorBy(e, 'apiId', 'INVALID_PRODUCER_EPOCH') !== null ||
    findErrorBy(e, 'producerFenced', true) !== null
  );
}

export class KafkaTransactionalSink implements RecordSink, OutputClaims {
  private readonly o: KafkaTransactionalSinkOptions;
  private readonly maxBatchBytes: number;
  private readonly producers = new Map<number, Producer>();
  private readonly fenced = new Set<number>();
  /** Records dropped because their partition was fenced. */
  droppedRecords = 0;

  constructor(o: KafkaTransactionalSinkOptions) {
    this.o = o;
    this.maxBatchBytes = o.maxBatchBytes ?? 900 * 1024;
  }

  transactionalId(partition: number): string {
    return `${this.o.transactionalIdPrefix}-p${partition}`;
  }

  /** Take the transactional ids of `partitions`: fences their previous producers. */
  async claim(partitions: readonly number[]): Promise<void> {
    await Promise.all(partitions.map((p) => this.claimOne(p)));
  }

  private async claimOne(partition: number): Promise<void> {
    const old = this.producers.get(partition);
    this.producers.delete(partition);
    if (old !== undefined) await old.close().catch(() => {});
    const producer = new Producer({
      clientId: `${this.o.clientId}-p${partition}`,
      bootstrapBrokers: [...this.o.brokers],
      acks: -1,
      idempotent: true,
      transactionalId: this.transactionalId(partition),
      // InitProducerId with "no current producer" (-1/-1): the broker bumps the epoch of
      // whoever holds the id. The client's default (0/0) names a producer that is not
      // the holder, and the broker answers PRODUCER_FENCED to the new owner instead.
      producerId: -1n,
      producerEpoch: -1,
      retries: 5,
      retryDelay: 200,
    });
    try {
      // InitProducerId happens here: the epoch bump that fences the previous owner.
      const tx = await producer.beginTransaction();
      await tx.cancel(); // nothing sent: no EndTxn needed
    } catch (e) {
      await producer.close().catch(() => {});
      throw new SinkError(
        `claim transactional id ${this.transactionalId(partition)}: ${(e as Error).message}`,
        kafkaRetryable(e),
        e,
      );
    }
    this.producers.set(partition, producer);
    this.fenced.delete(partition);
  }

  isFenced(partition: number): boolean {
    return this.fenced.has(partition);
  }

  /** Give the partitions' producers up (after a hand-over: nothing of theirs is open). */
  async release(partitions: readonly number[]): Promise<void> {
    await Promise.all(
      partitions.map(async (p) => {
        const producer = this.producers.get(p);
        this.producers.delete(p);
        this.fenced.delete(p);
        await producer?.close().catch(() => {});
      }),
    );
  }

  async send(records: readonly SinkRecord[]): Promise<void> {
    if (records.length === 0) return;
    const byPartition = new Map<number, SinkRecord[]>();
    for (const r of records) {
      const list = byPartition.get(r.partition);
      if (list === undefined) byPartition.set(r.partition, [r]);
      else list.push(r);
    }
    const settled = await Promise.allSettled([...byPartition].map(([p, rs]) => this.sendPartition(p, rs)));
    for (const s of settled) if (s.status === 'rejected') throw s.reason;
  }

  private async sendPartition(partition: number, records: SinkRecord[]): Promise<void> {
    if (this.fenced.has(partition)) {
      this.drop(partition, records.length);
      return;
    }
    const producer = this.producers.get(partition);
    if (producer === undefined)
      throw new SinkError(`partition ${partition} is not claimed: no transactional producer for it`, false);
    let tx: Awaited<ReturnType<Producer['beginTransaction']>> | undefined;
    try {
      tx = await producer.beginTransaction();
      for (const chunk of chunks(records, this.maxBatchBytes)) {
        await tx.send({ messages: chunk.map(toMessage) });
      }
      await tx.commit();
    } catch (e) {
      if (tx !== undefined && !tx.completed) {
        // Leave nothing open locally; the broker aborts an open transaction on the next claim or its timeout.
        await tx.abort().catch(() => tx?.cancel().catch(() => {}));
      }
      if (isProducerFenced(e)) {
        this.fenced.add(partition);
        this.drop(partition, records.length);
        return;
      }
      throw new SinkError(
        `transactional produce of ${records.length} record(s) for partition ${partition}: ${(e as Error).message}`,
        kafkaRetryable(e),
        e,
      );
    }
  }

  private drop(partition: number, n: number): void {
    this.droppedRecords += n;
    this.o.onFenced?.(partition, n);
  }

  async close(): Promise<void> {
    const all = [...this.producers.values()];
    this.producers.clear();
    await Promise.all(all.map((p) => p.close().catch(() => {})));
  }
}

function toMessage(r: SinkRecord) {
  return {
    topic: r.topic,
    partition: r.partition,
    ...(r.key !== null ? { key: Buffer.from(r.key) } : {}),
    value: Buffer.from(r.value.buffer, r.value.byteOffset, r.value.length),
    headers: new Map(Object.entries(r.headers).map(([k, v]) => [Buffer.from(k), Buffer.from(v)])),
  };
}

/** Consecutive runs whose estimated size stays under `maxBytes` (one record always fits a run). */
function chunks(records: readonly SinkRecord[], maxBytes: number): SinkRecord[][] {
  const out: SinkRecord[][] = [];
  let chunk: SinkRecord[] = [];
  let used = 0;
  for (const r of records) {
    const size = r.value.length + (r.key?.length ?? 0) + 64 + Object.keys(r.headers).length * 48;
    if (chunk.length > 0 && used + size > maxBytes) {
      out.push(chunk);
      chunk = [];
      used = 0;
    }
    chunk.push(r);
    used += size;
  }
  if (chunk.length > 0) out.push(chunk);
  return out;
}
