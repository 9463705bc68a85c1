// `pnpm bench kafka-clients [--json] [--records N]`: the Kafka client decision
// (docs/decisions/0004-kafka-client.md) measured against a real broker
// (infra/up.sh kafka; KAFKA_BROKERS, default 127.0.0.1:9092).
//
// For each client that loads: produce throughput (100-byte values, batches of
// BATCH records, up to IN_FLIGHT batches outstanding, acks=all, no
// compression), consume throughput reading every partition of that topic from
// offset 0 without a consumer group, and three capability checks a Ripple
// worker needs: start a partition at a given offset, pause one partition while
// another keeps flowing, resume it. Every client gets its own fresh topic.
// @confluentinc/kafka-javascript is loaded from infra/.cache when
// bench/kafka-clients-confluent.sh has built it; otherwise it is reported as
// not installed.

import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Admin, Consumer, Producer } from '@platformatic/kafka';
import { Kafka, logLevel } from 'kafkajs';

const args = process.argv.slice(2);
const json = args.includes('--json');
const recordsArg = args.indexOf('--records');
const RECORDS = recordsArg >= 0 ? Number(args[recordsArg + 1]) : 200_000;
const PARTITIONS = 8;
const BATCH = 1_000;
const IN_FLIGHT = 4;
const VALUE_BYTES = 100;
const SEEK_PARTITION = 3;
const SEEK_OFFSET = 10;
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const root = join(dirname(fileURLToPath(import.meta.url)), '..');

interface Features {
  assignFromOffset: boolean;
  assignWithoutGroup: boolean;
  pausePartition: boolean;
  resumePartition: boolean;
}

interface ClientResult {
  client: string;
  version: string;
  installed: boolean;
  error?: string;
  produceRecordsPerSec?: number;
  consumeRecordsPerSec?: number;
  consumeNote?: string;
  features?: Features;
  notes: string[];
}

interface ClientUnderTest {
  name: string;
  version: string;
  // Sends `count` records round-robin over the partitions; resolves once all are acknowledged.
  produce(topic: string, count: number): Promise<void>;
  // Reads `expected` records from offset 0 of every partition; returns records/s.
  consumeAll(topic: string, expected: number): Promise<{ perSec: number; note?: string }>;
  features(topic: string): Promise<{ features: Features; notes: string[] }>;
  close(): Promise<void>;
}

const value = Buffer.alloc(VALUE_BYTES, 0x61);
const log = (msg: string) => {
  if (!json) console.log(msg);
  else console.error(msg);
};
const packageVersion = (dir: string): string =>
  (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function withDeadline<T>(what: string, ms: number, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

// Runs `send` over `count` records in batches with at most IN_FLIGHT outstanding.
async function batched(count: number, send: (from: number, to: number) => Promise<unknown>): Promise<void> {
  const pending = new Set<Promise<unknown>>();
  for (let from = 0; from < count; from += BATCH) {
    const p = send(from, Math.min(count, from + BATCH)).finally(() => pending.delete(p));
    pending.add(p);
    if (pending.size >= IN_FLIGHT) await Promise.race(pending);
  }
  await Promise.all(pending);
}

// The pause/resume scenario, shared by every client: records already in
// partitions 0 and 1; partition 0 is paused before any fetch, partition 1
// must still deliver, partition 0 must deliver nothing until resumed.
async function pauseScenario(
  seen: (partition: number) => number,
  pause: () => void | Promise<void>,
  resume: () => void | Promise<void>,
): Promise<{ paused: boolean; resumed: boolean }> {
  await pause();
  const deadline = Date.now() + 10_000;
  while (seen(1) === 0 && Date.now() < deadline) await sleep(20);
  await sleep(500);
  const paused = seen(1) > 0 && seen(0) === 0;
  await resume();
  const deadline2 = Date.now() + 10_000;
  while (seen(0) === 0 && Date.now() < deadline2) await sleep(20);
  return { paused, resumed: seen(0) > 0 };
}

// ---------- @platformatic/kafka ----------

function platformatic(): ClientUnderTest {
  const version = packageVersion(join(root, 'node_modules/@platformatic/kafka'));
  const producer = new Producer({ clientId: 'bench-platformatic', bootstrapBrokers: brokers, acks: -1 });
  const consumers: Consumer[] = [];
  const newConsumer = () => {
    // groupId is required by the constructor; fetch() never joins the group.
    const c = new Consumer({
      clientId: 'bench-platformatic',
      groupId: `unused-${Date.now()}`,
      bootstrapBrokers: brokers,
    });
    consumers.push(c);
    return c;
  };

  // The group-free path: fetch() a set of partitions from explicit offsets.
  // A fetch answers whole record batches, so records below the requested
  // offset are dropped here.
  async function fetchLoop(
    consumer: Consumer,
    topic: string,
    offsets: Map<number, bigint>,
    paused: Set<number>,
    onRecord: (partition: number, offset: bigint) => void,
    stop: () => boolean,
  ): Promise<void> {
    const meta = await consumer.metadata({ topics: [topic] });
    const t = meta.topics.get(topic)!;
    while (!stop()) {
      const partitions = [...offsets]
        .filter(([p]) => !paused.has(p))
        .map(([partition, fetchOffset]) => ({
          partition,
          fetchOffset,
          currentLeaderEpoch: t.partitions[partition]!.leaderEpoch,
          lastFetchedEpoch: -1,
          partitionMaxBytes: 1 << 20,
        }));
      if (partitions.length === 0) {
        await sleep(10);
        continue;
      }
      const res = await consumer.fetch({
        node: t.partitions[partitions[0]!.partition]!.leader,
        topics: [{ topicId: t.id, partitions }],
        maxWaitTime: 100,
        minBytes: 1,
        maxBytes: 8 << 20,
      });
      for (const tr of res.responses) {
        for (const pr of tr.partitions) {
          if (pr.errorCode !== 0)
            throw new Error(`fetch error code ${pr.errorCode} on partition ${pr.partitionIndex}`);
          const start = offsets.get(pr.partitionIndex)!;
          let next = start;
          for (const batch of pr.records ?? []) {
            for (const r of batch.records) {
              const offset = batch.firstOffset + BigInt(r.offsetDelta);
              if (offset < start) continue;
              onRecord(pr.partitionIndex, offset);
              next = offset + 1n;
            }
          }
          offsets.set(pr.partitionIndex, next);
        }
      }
    }
  }

  return {
    name: '@platformatic/kafka',
    version,
    async produce(topic, count) {
      await batched(count, (from, to) => {
        const messages = [];
        for (let i = from; i < to; i++) messages.push({ topic, partition: i % PARTITIONS, value });
        return producer.send({ messages });
      });
    },
    async consumeAll(topic, expected) {
      const consumer = newConsumer();
      const offsets = new Map<number, bigint>();
      for (let p = 0; p < PARTITIONS; p++) offsets.set(p, 0n);
      let n = 0;
      const t0 = performance.now();
      await fetchLoop(
        consumer,
        topic,
        offsets,
        new Set(),
        () => {
          n++;
        },
        () => n >= expected,
      );
      return { perSec: expected / ((performance.now() - t0) / 1000), note: 'low-level fetch(), no group' };
    },
    async features(topic) {
      const consumer = newConsumer();
      let first: bigint | undefined;
      await withDeadline(
        'seek',
        15_000,
        fetchLoop(
          consumer,
          topic,
          new Map([[SEEK_PARTITION, BigInt(SEEK_OFFSET)]]),
          new Set(),
          (_p, o) => {
            first ??= o;
          },
          () => first !== undefined,
        ),
      );
      const counts = [0, 0];
      const paused = new Set<number>();
      let done = false;
      const loop = fetchLoop(
        consumer,
        topic,
        new Map([
          [0, 0n],
          [1, 0n],
        ]),
        paused,
        (p) => {
          counts[p]!++;
        },
        () => done,
      );
      const r = await pauseScenario(
        (p) => counts[p]!,
        () => void paused.add(0),
        () => void paused.delete(0),
      );
      done = true;
      await loop;
      return {
        features: {
          assignFromOffset: first === BigInt(SEEK_OFFSET),
          assignWithoutGroup: true,
          pausePartition: r.paused,
          resumePartition: r.resumed,
        },
        notes: [
          'consume() always joins a group; the group-free path is fetch() with explicit offsets, where pause/resume means leaving a partition out of the next fetch (done by the caller, as here)',
        ],
      };
    },
    async close() {
      await producer.close();
      for (const c of consumers) await c.close(true);
    },
  };
}

// ---------- kafkajs ----------

function kafkajs(): ClientUnderTest {
  const version = packageVersion(join(root, 'node_modules/kafkajs'));
  const kafka = new Kafka({ clientId: 'bench-kafkajs', brokers, logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  let connected = false;
  const consumers: ReturnType<typeof kafka.consumer>[] = [];

  // kafkajs has no manual assignment: the workaround is a group of one
  // member with a unique id, no commits, and seek() to the wanted offsets.
  async function groupOfOne(
    topic: string,
    seeks: { partition: number; offset: number }[],
    onRecord: (partition: number, offset: string) => void,
  ) {
    const consumer = kafka.consumer({ groupId: `bench-${Date.now()}-${Math.random()}`, maxBytes: 8 << 20 });
    consumers.push(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) onRecord(batch.partition, m.offset);
      },
    });
    for (const s of seeks) consumer.seek({ topic, partition: s.partition, offset: String(s.offset) });
    return consumer;
  }

  return {
    name: 'kafkajs',
    version,
    async produce(topic, count) {
      if (!connected) {
        await producer.connect();
        connected = true;
      }
      await batched(count, (from, to) => {
        const messages = [];
        for (let i = from; i < to; i++) messages.push({ partition: i % PARTITIONS, value });
        return producer.send({ topic, messages, acks: -1 });
      });
    },
    async consumeAll(topic, expected) {
      let n = 0;
      const t0 = performance.now();
      let tFirst = 0;
      const consumer = await groupOfOne(topic, [], () => {
        if (n === 0) tFirst = performance.now();
        n++;
      });
      while (n < expected) await sleep(5);
      const t1 = performance.now();
      await consumer.disconnect();
      return {
        perSec: expected / ((t1 - t0) / 1000),
        note: `group of one + fromBeginning (no manual assignment); group join took ${Math.round(tFirst - t0)} ms of it`,
      };
    },
    async features(topic) {
      let first: string | undefined;
      let firstPartition: number | undefined;
      const c1 = await groupOfOne(topic, [{ partition: SEEK_PARTITION, offset: SEEK_OFFSET }], (p, o) => {
        if (p === SEEK_PARTITION && first === undefined) {
          first = o;
          firstPartition = p;
        }
      });
      const deadline = Date.now() + 15_000;
      while (first === undefined && Date.now() < deadline) await sleep(20);
      await c1.disconnect();
      const counts = [0, 0];
      const c2 = kafka.consumer({ groupId: `bench-${Date.now()}-pause`, maxBytes: 8 << 20 });
      consumers.push(c2);
      await c2.connect();
      await c2.subscribe({ topic, fromBeginning: true });
      // Partitions 0 and 1 only is not expressible without a group assigner;
      // count them out of the whole topic. pause() is refused before run().
      await c2.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          if (batch.partition < 2) counts[batch.partition]! += batch.messages.length;
        },
      });
      const r = await pauseScenario(
        (p) => counts[p]!,
        () => c2.pause([{ topic, partitions: [0] }]),
        () => c2.resume([{ topic, partitions: [0] }]),
      );
      await c2.disconnect();
      return {
        features: {
          assignFromOffset: first === String(SEEK_OFFSET) && firstPartition === SEEK_PARTITION,
          assignWithoutGroup: false,
          pausePartition: r.paused,
          resumePartition: r.resumed,
        },
        notes: [
          'no assign(): offsets are reached by seek() after joining a one-member group; changing the partition set means a rejoin',
        ],
      };
    },
    async close() {
      if (connected) await producer.disconnect();
      for (const c of consumers) await c.disconnect().catch(() => undefined);
    },
  };
}

// ---------- @confluentinc/kafka-javascript (node-rdkafka-style API) ----------

interface RdTopicPartition {
  topic: string;
  partition: number;
  offset?: number;
}
interface RdMessage {
  partition: number;
  offset: number;
}
interface RdKafkaConsumer {
  connect(opts: object, cb: (err: Error | null) => void): void;
  disconnect(cb: () => void): void;
  assign(tps: RdTopicPartition[]): void;
  pause(tps: RdTopicPartition[]): void;
  resume(tps: RdTopicPartition[]): void;
  consume(n: number, cb: (err: Error | null, messages: RdMessage[]) => void): void;
  setDefaultConsumeTimeout(ms: number): void;
}
interface RdProducer {
  connect(opts: object, cb: (err: Error | null) => void): void;
  disconnect(cb: () => void): void;
  produce(topic: string, partition: number, value: Buffer): void;
  poll(): void;
  setPollInterval(ms: number): void;
  on(event: 'delivery-report', cb: (err: Error | null) => void): void;
}
interface RdModule {
  KafkaConsumer: new (conf: object, topicConf: object) => RdKafkaConsumer;
  Producer: new (conf: object, topicConf: object) => RdProducer;
}

const confluentDir = join(
  root,
  'infra/.cache/confluent-kafka-javascript/node_modules/@confluentinc/kafka-javascript',
);

function confluent(): ClientUnderTest {
  const require = createRequire(join(confluentDir, 'package.json'));
  const version = packageVersion(confluentDir);
  const rd = require('./lib/index.js') as RdModule;
  const base = { 'bootstrap.servers': brokers.join(','), 'client.id': 'bench-confluent' };
  const producer = new rd.Producer(
    {
      ...base,
      dr_cb: true,
      'linger.ms': 5,
      'batch.num.messages': BATCH,
      'queue.buffering.max.messages': 1_000_000,
    },
    { 'request.required.acks': -1 },
  );
  let connected = false;
  let delivered = 0;
  let deliveryError: Error | null = null;
  producer.on('delivery-report', (err) => {
    if (err) deliveryError = err;
    delivered++;
  });
  const connect = (c: { connect(o: object, cb: (e: Error | null) => void): void }) =>
    new Promise<void>((res, rej) => c.connect({}, (e) => (e ? rej(e) : res())));
  const consumers: RdKafkaConsumer[] = [];
  const newConsumer = async () => {
    // group.id is mandatory in librdkafka but unused without subscribe()/commit.
    const c = new rd.KafkaConsumer(
      { ...base, 'group.id': 'bench-unused', 'enable.auto.commit': false, 'fetch.max.bytes': 8 << 20 },
      { 'auto.offset.reset': 'earliest' },
    );
    await connect(c);
    // consume(n) waits up to this long to fill n: the 1 s default would add
    // a second of idle wait to the last, partial batch.
    c.setDefaultConsumeTimeout(50);
    consumers.push(c);
    return c;
  };
  const consumeBatch = (c: RdKafkaConsumer, n: number) =>
    new Promise<RdMessage[]>((res, rej) => c.consume(n, (e, m) => (e ? rej(e) : res(m))));

  return {
    name: '@confluentinc/kafka-javascript',
    version,
    async produce(topic, count) {
      if (!connected) {
        await connect(producer);
        producer.setPollInterval(10);
        connected = true;
      }
      const target = delivered + count;
      for (let i = 0; i < count; i++) {
        try {
          producer.produce(topic, i % PARTITIONS, value);
        } catch {
          // local queue full: let delivery reports drain it
          producer.poll();
          await sleep(1);
          i--;
        }
      }
      while (delivered < target) {
        if (deliveryError) throw deliveryError;
        await sleep(2);
      }
    },
    async consumeAll(topic, expected) {
      const c = await newConsumer();
      const t0 = performance.now();
      c.assign(Array.from({ length: PARTITIONS }, (_, partition) => ({ topic, partition, offset: 0 })));
      let n = 0;
      while (n < expected) n += (await consumeBatch(c, 10_000)).length;
      return {
        perSec: expected / ((performance.now() - t0) / 1000),
        note: 'assign() with offsets, no group',
      };
    },
    async features(topic) {
      const c = await newConsumer();
      c.assign([{ topic, partition: SEEK_PARTITION, offset: SEEK_OFFSET }]);
      let first: RdMessage | undefined;
      const deadline = Date.now() + 15_000;
      while (first === undefined && Date.now() < deadline) first = (await consumeBatch(c, 1))[0];
      const c2 = await newConsumer();
      c2.assign([
        { topic, partition: 0, offset: 0 },
        { topic, partition: 1, offset: 0 },
      ]);
      const counts = [0, 0];
      let done = false;
      const loop = (async () => {
        while (!done) for (const m of await consumeBatch(c2, 1_000)) counts[m.partition]!++;
      })();
      const r = await pauseScenario(
        (p) => counts[p]!,
        () => c2.pause([{ topic, partition: 0 }]),
        () => c2.resume([{ topic, partition: 0 }]),
      );
      done = true;
      await loop;
      return {
        features: {
          assignFromOffset: first?.partition === SEEK_PARTITION && first.offset === SEEK_OFFSET,
          assignWithoutGroup: true,
          pausePartition: r.paused,
          resumePartition: r.resumed,
        },
        notes: ['native add-on (librdkafka) built from source; group.id must be set but is unused'],
      };
    },
    async close() {
      for (const c of consumers) await new Promise<void>((r) => c.disconnect(() => r()));
      if (connected) await new Promise<void>((r) => producer.disconnect(() => r()));
    },
  };
}

// ---------- driver ----------

async function runClient(make: () => ClientUnderTest, admin: Admin): Promise<ClientResult> {
  let client: ClientUnderTest;
  try {
    client = make();
  } catch (e) {
    return { client: make.name, version: '', installed: false, error: String(e), notes: [] };
  }
  const topic = `bench-${client.name.replace(/[^a-z0-9]+/gi, '-')}-${Date.now()}`;
  const result: ClientResult = { client: client.name, version: client.version, installed: true, notes: [] };
  await admin.createTopics({ topics: [topic], partitions: PARTITIONS, replicas: 1 });
  try {
    await sleep(500); // leaders settle
    log(`${client.name} ${client.version}: producing ${RECORDS} records to ${topic}`);
    const t0 = performance.now();
    await withDeadline('produce', 300_000, client.produce(topic, RECORDS));
    result.produceRecordsPerSec = Math.round(RECORDS / ((performance.now() - t0) / 1000));
    log(`  produce ${result.produceRecordsPerSec} records/s`);
    const c = await withDeadline('consume', 300_000, client.consumeAll(topic, RECORDS));
    result.consumeRecordsPerSec = Math.round(c.perSec);
    if (c.note) result.consumeNote = c.note;
    log(`  consume ${result.consumeRecordsPerSec} records/s (${c.note ?? ''})`);
    const f = await withDeadline('features', 60_000, client.features(topic));
    result.features = f.features;
    result.notes.push(...f.notes);
    log(`  features ${JSON.stringify(f.features)}`);
  } catch (e) {
    result.error = e instanceof Error ? e.message : String(e);
    log(`  error: ${result.error}`);
  } finally {
    await client.close().catch(() => undefined);
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  }
  return result;
}

const admin = new Admin({ clientId: 'bench-admin', bootstrapBrokers: brokers });
const results: ClientResult[] = [];
for (const make of [platformatic, kafkajs]) results.push(await runClient(make, admin));
if (existsSync(join(confluentDir, 'build/Release/confluent-kafka-javascript.node'))) {
  results.push(await runClient(confluent, admin));
} else {
  results.push({
    client: '@confluentinc/kafka-javascript',
    version: '',
    installed: false,
    error: 'not built: run bench/kafka-clients-confluent.sh',
    notes: [],
  });
}
await admin.close();
const summary = {
  bench: 'kafka-clients',
  node: process.version,
  brokers,
  records: RECORDS,
  valueBytes: VALUE_BYTES,
  partitions: PARTITIONS,
  batch: BATCH,
  inFlight: IN_FLIGHT,
  results,
};
if (json) console.log(JSON.stringify(summary));
else console.log(JSON.stringify(summary, null, 2));
