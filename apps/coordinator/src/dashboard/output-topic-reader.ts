/**
 * The dashboard's VWAP table reads the workers' output topic (when
 * KAFKA_BROKERS is set): every partition, read committed (@platformatic/kafka's
 * default isolation: a fenced zombie's aborted records are never seen), from
 * `backfill` records before each partition's end, each record's value handed
 * to the board in log order. Its own consumer group per coordinator replica,
 * nothing committed: a restart reads the backfill again and the board drops
 * what it already applied by sequence. Kafka down: the board's `source` says
 * so, the reader retries with backoff and the coordinator goes on.
 */
import { Consumer, FetchIsolationLevels, type MessagesStream } from '@platformatic/kafka';
import type { Logger } from '@ripple/cluster';
import type { VwapBoard } from './vwap-board.ts';

const EARLIEST = -2n;
const LATEST = -1n;

export interface OutputTopicReaderOptions {
  readonly brokers: readonly string[];
  readonly topic: string;
  /** consumer group (one per coordinator replica; never committed) */
  readonly groupId: string;
  readonly board: VwapBoard;
  readonly logger: Logger;
  /** records read again before each partition's end at (re)start; default 2000 */
  readonly backfill?: number;
}

export class OutputTopicReader {
  private readonly o: OutputTopicReaderOptions;
  private consumer: Consumer<Buffer, Buffer, Buffer, Buffer> | null = null;
  private stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | null = null;
  private closed = false;
  private loop: Promise<void> | null = null;

  constructor(o: OutputTopicReaderOptions) {
    this.o = o;
  }

  start(): void {
    this.loop ??= this.run();
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.stop();
    await this.loop;
  }

  private async run(): Promise<void> {
    const { brokers, topic, board, logger } = this.o;
    let delay = 500;
    while (!this.closed) {
      try {
        board.source = `connecting to Kafka (${brokers.join(',')})`;
        const consumer = new Consumer({
          clientId: this.o.groupId,
          groupId: this.o.groupId,
          bootstrapBrokers: [...brokers],
          retries: 2,
          retryDelay: 250,
          connectTimeout: 5000,
        });
        this.consumer = consumer;
        const offsets = await this.startOffsets(consumer);
        const stream = await consumer.consume({
          topics: [topic],
          mode: 'manual',
          offsets,
          autocommit: false,
          isolationLevel: FetchIsolationLevels.READ_COMMITTED,
          maxWaitTime: 500,
        });
        this.stream = stream;
        board.source = `output topic ${topic}, read committed`;
        delay = 500;
        for await (const m of stream) if (m.value !== null) board.consume(m.partition, m.value);
        if (this.closed) return;
        throw new Error('the stream ended');
      } catch (e) {
        await this.stop();
        if (this.closed) return;
        const why = e instanceof Error ? e.message : String(e);
        board.source = `Kafka unavailable (${why}); retrying`;
        logger.warn('dashboard: output topic reader failed, retrying', { topic, error: why, delayMs: delay });
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 10_000);
      }
    }
  }

  /** Per partition: `backfill` records before the end (not before the earliest). */
  private async startOffsets(consumer: Consumer<Buffer, Buffer, Buffer, Buffer>) {
    const { topic } = this.o;
    const backfill = BigInt(this.o.backfill ?? 2000);
    const meta = await consumer.metadata({ topics: [topic] });
    const t = meta.topics.get(topic);
    if (t === undefined) throw new Error(`topic ${topic} not found`);
    const partitions = t.partitions.map((_, i) => i);
    const list = async (timestamp: bigint) =>
      (await consumer.listOffsets({ topics: [topic], partitions: { [topic]: partitions }, timestamp })).get(
        topic,
      ) ?? [];
    const lo = await list(EARLIEST);
    const hi = await list(LATEST);
    return partitions.map((partition) => {
      const end = hi[partition] ?? 0n;
      const first = lo[partition] ?? 0n;
      return { topic, partition, offset: end - backfill > first ? end - backfill : first };
    });
  }

  private async stop(): Promise<void> {
    const s = this.stream;
    const c = this.consumer;
    this.stream = null;
    this.consumer = null;
    try {
      await s?.close();
    } catch {}
    try {
      await c?.close(true);
    } catch {}
  }
}
