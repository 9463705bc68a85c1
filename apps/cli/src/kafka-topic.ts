/**
 * The CLI's Kafka access (@platformatic/kafka, the worker's client; see
 * docs/decisions/0004-kafka-client.md): read a topic's partitions from given
 * positions, group-free (an operator's `tail` must not join or move any
 * consumer group), and write records to chosen partitions with acks=all.
 * Every client failure becomes a `ServiceUnavailableError` naming the
 * brokers.
 */
import { Admin, Consumer, Producer } from '@platformatic/kafka';
import { ServiceUnavailableError, UsageError } from './errors.ts';

const EARLIEST = -2n;
const LATEST = -1n;

export interface TopicRecord {
  readonly partition: number;
  readonly offset: bigint;
  readonly timestampMs: bigint;
  readonly value: Buffer;
  readonly headers: ReadonlyMap<string, string>;
}

export type StartAt = 'earliest' | 'latest' | { readonly offset: bigint } | { readonly lastN: bigint };

function unavailable(brokers: readonly string[], what: string, e: unknown): ServiceUnavailableError {
  return new ServiceUnavailableError(
    `Kafka (${brokers.join(',')})`,
    `${what}: ${e instanceof Error ? e.message : String(e)}`,
    e,
  );
}

interface Meta {
  id: string;
  partitions: Array<{ leader: number; leaderEpoch: number }>;
}

/** Reads one topic; positions per partition; `poll` returns what is there (waiting up to `waitMs`). */
export class TopicReader {
  private readonly consumer: Consumer;
  private meta: Meta | null = null;
  private readonly next = new Map<number, bigint>();
  private ends = new Map<number, bigint>();
  private readonly brokers: readonly string[];
  readonly topic: string;

  constructor(brokers: readonly string[], topic: string) {
    this.brokers = brokers;
    this.topic = topic;
    this.consumer = new Consumer({
      clientId: 'ripple-cli',
      groupId: `ripple-cli-unused-${process.pid}`,
      bootstrapBrokers: [...brokers],
      retries: 2,
      retryDelay: 250,
      connectTimeout: 3000,
    });
  }

  async partitions(): Promise<number> {
    return (await this.metadata()).partitions.length;
  }

  private async metadata(refresh = false): Promise<Meta> {
    if (this.meta !== null && !refresh) return this.meta;
    let m: Awaited<ReturnType<Consumer['metadata']>>;
    try {
      m = await this.consumer.metadata({ topics: [this.topic], forceUpdate: refresh });
    } catch (e) {
      if (/unknown topic|UNKNOWN_TOPIC/i.test(String((e as Error)?.message) + JSON.stringify(e)))
        throw new UsageError(`topic ${JSON.stringify(this.topic)} does not exist`, '--topic', e);
      throw unavailable(this.brokers, `metadata of ${this.topic}`, e);
    }
    const t = m.topics.get(this.topic);
    if (t === undefined)
      throw new UsageError(`topic ${JSON.stringify(this.topic)} does not exist`, '--topic');
    this.meta = {
      id: t.id,
      partitions: t.partitions.map((p) => ({ leader: p.leader, leaderEpoch: p.leaderEpoch })),
    };
    return this.meta;
  }

  private async offsets(partitions: readonly number[], timestamp: bigint): Promise<Map<number, bigint>> {
    try {
      const r = await this.consumer.listOffsets({
        topics: [this.topic],
        partitions: { [this.topic]: [...partitions] },
        timestamp,
      });
      const arr = r.get(this.topic) ?? [];
      return new Map(partitions.map((p) => [p, arr[p] ?? 0n]));
    } catch (e) {
      throw unavailable(this.brokers, `offsets of ${this.topic}`, e);
    }
  }

  /** Positions every partition (or the given ones); also records the current ends. */
  async start(at: StartAt, only: readonly number[] | null = null): Promise<void> {
    const meta = await this.metadata();
    const all = meta.partitions.map((_, i) => i);
    for (const p of only ?? []) {
      if (p >= all.length) throw new UsageError(`topic ${this.topic} has no partition ${p}`, '--partition');
    }
    const parts = only ?? all;
    const first = await this.offsets(parts, EARLIEST);
    this.ends = await this.offsets(parts, LATEST);
    for (const p of parts) {
      const lo = first.get(p) ?? 0n;
      const hi = this.ends.get(p) ?? 0n;
      let pos: bigint;
      if (at === 'earliest') pos = lo;
      else if (at === 'latest') pos = hi;
      else if ('offset' in at) pos = at.offset < lo ? lo : at.offset > hi ? hi : at.offset;
      else pos = hi - at.lastN < lo ? lo : hi - at.lastN;
      this.next.set(p, pos);
    }
  }

  /** True once every partition has been read up to the end recorded by `start`. */
  caughtUp(): boolean {
    for (const [p, pos] of this.next) if (pos < (this.ends.get(p) ?? 0n)) return false;
    return true;
  }

  async poll(waitMs: number): Promise<TopicRecord[]> {
    const meta = await this.metadata();
    const byLeader = new Map<number, number[]>();
    for (const p of this.next.keys()) {
      const leader = meta.partitions[p]?.leader ?? -1;
      byLeader.set(leader, [...(byLeader.get(leader) ?? []), p]);
    }
    const out: TopicRecord[] = [];
    for (const [leader, parts] of byLeader) {
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
                partitionMaxBytes: 1 << 20,
              })),
            },
          ],
          maxWaitTime: waitMs,
          minBytes: 1,
          maxBytes: 8 << 20,
        });
      } catch (e) {
        this.meta = null; // leadership may have moved: look again next time
        throw unavailable(this.brokers, `fetch from ${this.topic}`, e);
      }
      for (const tr of res.responses) {
        for (const pr of tr.partitions) {
          if (pr.errorCode !== 0) {
            this.meta = null;
            continue; // fetched again by the next poll (stale leader, offset moved)
          }
          const start = this.next.get(pr.partitionIndex) ?? 0n;
          let pos = start;
          for (const b of pr.records ?? []) {
            for (const r of b.records) {
              const offset = b.firstOffset + BigInt(r.offsetDelta);
              if (offset < pos) continue;
              const headers = new Map<string, string>();
              for (const [k, v] of r.headers) if (k !== null) headers.set(k.toString(), v?.toString() ?? '');
              out.push({
                partition: pr.partitionIndex,
                offset,
                timestampMs: b.firstTimestamp + BigInt(r.timestampDelta),
                value: r.value ?? Buffer.alloc(0),
                headers,
              });
              pos = offset + 1n;
            }
          }
          this.next.set(pr.partitionIndex, pos);
        }
      }
    }
    return out;
  }

  async close(): Promise<void> {
    await this.consumer.close(true).catch(() => {});
  }
}

export interface OutRecord {
  readonly partition: number;
  readonly key?: Buffer;
  readonly value: Buffer;
  readonly headers?: Record<string, string>;
}

/** Idempotent acks=all producer of one topic (a retry never duplicates a record). */
export class TopicWriter {
  private readonly producer: Producer;
  private readonly brokers: readonly string[];
  readonly topic: string;

  constructor(brokers: readonly string[], topic: string) {
    this.brokers = brokers;
    this.topic = topic;
    this.producer = new Producer({
      clientId: 'ripple-cli',
      bootstrapBrokers: [...brokers],
      acks: -1,
      // a retried send must not write the trades twice
      idempotent: true,
      retries: 5,
      retryDelay: 250,
      connectTimeout: 3000,
    });
  }

  async send(records: readonly OutRecord[]): Promise<void> {
    if (records.length === 0) return;
    try {
      await this.producer.send({
        messages: records.map((r) => ({
          topic: this.topic,
          partition: r.partition,
          ...(r.key === undefined ? {} : { key: r.key }),
          value: r.value,
          ...(r.headers === undefined
            ? {}
            : {
                headers: Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, Buffer.from(v)])),
              }),
        })),
      });
    } catch (e) {
      throw unavailable(this.brokers, `send to ${this.topic}`, e);
    }
  }

  async close(): Promise<void> {
    await this.producer.close().catch(() => {});
  }
}

/**
 * The topic's partition count (0 when it does not exist); with `create`, a
 * missing topic is created with that many partitions first.
 */
export async function ensureTopic(
  brokers: readonly string[],
  topic: string,
  create: number | null,
): Promise<{ partitions: number; created: boolean }> {
  const admin = new Admin({
    clientId: 'ripple-cli',
    bootstrapBrokers: [...brokers],
    connectTimeout: 3000,
    retries: 2,
  });
  try {
    const listed = await admin.listTopics().catch((e: unknown) => {
      throw unavailable(brokers, 'list topics', e);
    });
    if (!listed.includes(topic)) {
      if (create === null) return { partitions: 0, created: false };
      try {
        await admin.createTopics({ topics: [topic], partitions: create, replicas: 1 });
        return { partitions: create, created: true };
      } catch (e) {
        if (!/already exists|TOPIC_ALREADY_EXISTS/i.test(`${(e as Error).message} ${JSON.stringify(e)}`))
          throw unavailable(brokers, `create topic ${topic}`, e);
      }
    }
    const md = await admin.metadata({ topics: [topic] });
    return { partitions: md.topics.get(topic)?.partitions.length ?? 0, created: false };
  } finally {
    await admin.close().catch(() => {});
  }
}
