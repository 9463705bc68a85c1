// `pnpm start --real`: the pieces of the embedded scenario (scripts/start.ts) that change when it
// runs on the real local services (`pnpm infra:up`, then `source infra/.run/env`): the endpoints
// from the environment and a reachability check that refuses with the command to run, Kafka topics
// created for the run (and deleted after), trades appended to the input topic, the output topic
// read incrementally (read committed: a fenced owner's aborted transactions are not seen), and the
// clean-up of what the run left in NATS JetStream KV and the S3 bucket.
import { connect as tcp } from 'node:net';
import { Admin, Consumer, Producer } from '@platformatic/kafka';
import type { S3ObjectStoreOptions } from '@ripple/object-store';

type Env = Readonly<Record<string, string | undefined>>;

export interface RealServices {
  readonly brokers: string[];
  readonly natsUrl: string;
  readonly s3: S3ObjectStoreOptions & { readonly bucket: string };
  /** what the apps get: the endpoints and credentials as infra/.run/env sets them */
  readonly env: Record<string, string>;
}

export const START_REAL_HINT = 'pnpm infra:up && source infra/.run/env && pnpm start --real';

/** The endpoints from the environment, or the variables that are missing. */
export function realServices(env: Env): RealServices | { missing: string[] } {
  const need = ['KAFKA_BROKERS', 'NATS_URL', 'S3_ENDPOINT', 'S3_BUCKET'] as const;
  const missing = need.filter((k) => (env[k] ?? '') === '');
  if (missing.length > 0) return { missing };
  const pass = /^(KAFKA_BROKERS|NATS_URL|S3_[A-Z_]+|RIPPLE_NATS_[A-Z_]+|OTEL_EXPORTER_OTLP_ENDPOINT)$/;
  return {
    brokers: (env.KAFKA_BROKERS as string).split(',').map((b) => b.trim()),
    natsUrl: env.NATS_URL as string,
    s3: {
      endpoint: env.S3_ENDPOINT as string,
      region: env.S3_REGION || 'us-east-1',
      bucket: env.S3_BUCKET as string,
      accessKeyId: env.S3_ACCESS_KEY_ID || null,
      secretAccessKey: env.S3_SECRET_ACCESS_KEY || null,
    },
    env: Object.fromEntries(
      Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined && pass.test(e[0])),
    ),
  };
}

function reach(host: string, port: number, timeoutMs: number): Promise<string | null> {
  return new Promise((resolve) => {
    const s = tcp({ host, port });
    const done = (why: string | null) => {
      s.destroy();
      resolve(why);
    };
    s.setTimeout(timeoutMs, () => done('no answer'));
    s.once('connect', () => done(null));
    s.once('error', (e) => done((e as NodeJS.ErrnoException).code ?? e.message));
  });
}

/** `[]` when every service answers; else one line per service that does not. */
export async function unreachable(s: RealServices, timeoutMs = 2000): Promise<string[]> {
  const hostPort = (text: string, dflt: number): [string, number] => {
    const u = new URL(text.includes('://') ? text : `tcp://${text}`);
    return [u.hostname, u.port === '' ? dflt : Number(u.port)];
  };
  const checks: Array<[string, string, number]> = [
    ...s.brokers.map((b): [string, string, number] => [`Kafka ${b}`, ...hostPort(b, 9092)]),
    [`NATS ${s.natsUrl}`, ...hostPort(s.natsUrl.split(',')[0] as string, 4222)],
    [`S3 ${s.s3.endpoint}`, ...hostPort(s.s3.endpoint as string, 443)],
  ];
  const out: string[] = [];
  for (const [what, host, port] of checks) {
    const why = await reach(host, port, timeoutMs);
    if (why !== null) out.push(`${what}: ${why}`);
  }
  return out;
}

/** The run's topics on a real broker: append to the input, read the output as it grows. */
export class KafkaTopics {
  private readonly producer: Producer;
  private readonly consumer: Consumer;
  private readonly next: bigint[];

  private readonly brokers: string[];
  readonly names: { input: string; output: string; dlq: string; late: string };

  private constructor(
    brokers: string[],
    names: { input: string; output: string; dlq: string; late: string },
    partitions: number,
  ) {
    this.brokers = brokers;
    this.names = names;
    this.producer = new Producer({
      clientId: 'ripple-start',
      bootstrapBrokers: brokers,
      acks: -1,
      idempotent: true,
    });
    this.consumer = new Consumer({
      clientId: 'ripple-start',
      groupId: `unused-${names.output}`,
      bootstrapBrokers: brokers,
    });
    this.next = new Array<bigint>(partitions).fill(0n);
  }

  static async create(brokers: string[], prefix: string, partitions: number): Promise<KafkaTopics> {
    const names = {
      input: `${prefix}-trades`,
      output: `${prefix}-vwap`,
      dlq: `${prefix}-dlq`,
      late: `${prefix}-trades-late`,
    };
    const admin = new Admin({ clientId: 'ripple-start', bootstrapBrokers: brokers });
    try {
      await admin.createTopics({ topics: Object.values(names), partitions, replicas: 1 });
    } finally {
      await admin.close();
    }
    return new KafkaTopics(brokers, names, partitions);
  }

  async append(records: ReadonlyArray<{ partition: number; value: Uint8Array }>): Promise<void> {
    if (records.length === 0) return;
    await this.producer.send({
      messages: records.map((r) => ({
        topic: this.names.input,
        partition: r.partition,
        value: Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength),
      })),
    });
  }

  /** The output records committed since the last call, in offset order per partition. */
  async readOutput(): Promise<Array<{ partition: number; value: Uint8Array }>> {
    const topic = this.names.output;
    const ends = (await this.consumer.listOffsets({ topics: [topic], timestamp: -1n })).get(topic) ?? [];
    const meta = (await this.consumer.metadata({ topics: [topic] })).topics.get(topic);
    if (meta === undefined) return [];
    const out: Array<{ partition: number; value: Uint8Array }> = [];
    for (let round = 0; round < 50; round++) {
      const want = meta.partitions
        .map((pm, partition) => ({ partition, pm }))
        .filter(({ partition }) => (this.next[partition] as bigint) < (ends[partition] ?? 0n));
      if (want.length === 0) break;
      const res = await this.consumer.fetch({
        node: want[0]?.pm.leader as number,
        topics: [
          {
            topicId: meta.id,
            partitions: want.map(({ partition, pm }) => ({
              partition,
              fetchOffset: this.next[partition] as bigint,
              currentLeaderEpoch: pm.leaderEpoch,
              lastFetchedEpoch: -1,
              partitionMaxBytes: 4 << 20,
            })),
          },
        ],
        maxWaitTime: 100,
        minBytes: 1,
        maxBytes: 32 << 20,
      });
      let progressed = false;
      for (const tr of res.responses)
        for (const pr of tr.partitions) {
          if (pr.errorCode !== 0)
            throw new Error(`fetch ${topic}/${pr.partitionIndex}: error ${pr.errorCode}`);
          const p = pr.partitionIndex;
          const start = this.next[p] as bigint;
          for (const b of pr.records ?? []) {
            const after = b.firstOffset + BigInt(b.lastOffsetDelta) + 1n;
            // a transaction marker (control batch) holds no data record: step over it
            if ((b.attributes & 0x20) === 0)
              for (const r of b.records) {
                const offset = b.firstOffset + BigInt(r.offsetDelta);
                if (offset >= start && r.value !== null)
                  out.push({ partition: p, value: new Uint8Array(r.value) });
              }
            if (after > (this.next[p] as bigint)) {
              this.next[p] = after;
              progressed = true;
            }
          }
        }
      if (!progressed) break;
    }
    return out;
  }

  async close(deleteTopics: boolean): Promise<void> {
    await this.producer.close().catch(() => {});
    await this.consumer.close(true).catch(() => {});
    if (!deleteTopics) return;
    const admin = new Admin({ clientId: 'ripple-start', bootstrapBrokers: this.brokers });
    try {
      await admin.deleteTopics({ topics: Object.values(this.names) });
    } catch {
      // best effort: the run's topics have unique names
    } finally {
      await admin.close();
    }
  }
}
