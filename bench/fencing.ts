// The cost of output fencing (needs `pnpm infra:up` and `source infra/.run/env`):
//
//   pnpm bench fencing [--json] [--trades N] [--rounds R]
//
// One in-process worker, 8 partitions, Kafka -> VWAP (1 s windows: output flows all
// the time) -> Kafka, in-memory snapshots (the sink is what is compared). The same
// input topic is read R times with each sink, alternated (plain, transactional,
// plain, ...), each run into fresh output topics:
// - plain: the idempotent producer (KafkaSink), what single-worker mode uses;
// - transactional: one transactional producer per partition, a transaction per
//   partition per send (KafkaTransactionalSink), what cluster mode uses for fencing.
// Reported: medians of trades/s, their ratio, and the transactions committed.
import {
  KafkaSink,
  KafkaSource,
  KafkaTransactionalSink,
  loadConfig,
  MemorySnapshotStore,
  type RecordSink,
  vwapJob,
  Worker,
  WorkerMetrics,
} from '@ripple/worker';
import { requireEnv, uniqueId } from '../tests/integration/helpers.ts';
import {
  createTopics,
  deleteTopics,
  makeStream,
  PARTITIONS,
  produce,
  type Topics,
} from '../tests/integration/worker-harness.ts';
import { machine, median, printResult } from './_util.ts';

const args = process.argv.slice(2);
const json = args.includes('--json');
const arg = (name: string, dflt: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const TRADES = arg('--trades', 400_000);
const ROUNDS = arg('--rounds', 3);
const env = requireEnv('KAFKA_BROKERS');
const brokers = env.KAFKA_BROKERS.split(',');
const log = (s: string) => {
  if (!json) console.log(s);
};

async function run(topics: Topics, ends: bigint[], sink: RecordSink, id: string): Promise<number> {
  const config = loadConfig({
    RIPPLE_WORKER_ID: 'bench',
    RIPPLE_SOURCE: 'kafka',
    RIPPLE_SNAPSHOT_STORE: 'memory',
    KAFKA_BROKERS: env.KAFKA_BROKERS,
    RIPPLE_NUM_PARTITIONS: String(PARTITIONS),
    RIPPLE_PARTITIONS: `0-${PARTITIONS - 1}`,
    RIPPLE_INPUT_TOPIC: topics.input,
    RIPPLE_OUTPUT_TOPIC: topics.output,
    RIPPLE_DLQ_TOPIC: topics.dlq,
    RIPPLE_WINDOW: '1s',
    RIPPLE_CHECKPOINT_INTERVAL_SEC: '3600',
  });
  const w = new Worker({
    config,
    job: vwapJob,
    source: new KafkaSource({ brokers, topic: topics.input, clientId: `bench-fence-${id}` }),
    sink,
    store: new MemorySnapshotStore(),
    metrics: new WorkerMetrics('bench'),
    lateTopic: topics.late,
  });
  await w.start();
  const t0 = performance.now();
  for (;;) {
    if (w.progress().every((p) => (p.nextOffset ?? -1n) >= (ends[p.partition] ?? 0n))) break;
    await w.step(50);
  }
  await w.settle();
  const s = (performance.now() - t0) / 1000;
  w.requestStop();
  await sink.close();
  return s;
}

async function main(): Promise<void> {
  const id = uniqueId();
  const created: Topics[] = [];
  try {
    const topics = await createTopics(brokers, `bench-fence-${id}`);
    created.push(topics);
    const stream = makeStream({
      trades: TRADES,
      symbols: 512,
      tradesPerRecord: 100,
      seed: 3,
      malformedEvery: 1_000_000,
    });
    await produce(brokers, topics.input, stream.records);
    const ends = stream.records.map((r) => BigInt(r.length));
    log(`produced ${stream.tradeCount} trades`);
    const plain: number[] = [];
    const tx: number[] = [];
    let transactions = 0;
    for (let r = 0; r < ROUNDS; r++) {
      for (const mode of ['plain', 'transactional'] as const) {
        const out = await createTopics(brokers, `bench-fence-${id}-${mode}-${r}`);
        created.push(out);
        const runTopics = { ...out, input: topics.input };
        let sends = 0;
        const sink: RecordSink =
          mode === 'plain'
            ? new KafkaSink({ brokers, clientId: `bench-fence-${id}` })
            : new KafkaTransactionalSink({
                brokers,
                clientId: `bench-fence-${id}`,
                transactionalIdPrefix: `bench-fence-${id}-${r}`,
              });
        const counted: RecordSink = {
          send: (records) => {
            sends += new Set(records.map((x) => x.partition)).size;
            return sink.send(records);
          },
          close: () => sink.close(),
          ...(sink instanceof KafkaTransactionalSink
            ? {
                claim: (p: readonly number[]) => sink.claim(p),
                release: (p: readonly number[]) => sink.release(p),
              }
            : {}),
        };
        const s = await run(runTopics, ends, counted, `${mode}-${r}`);
        const rate = stream.tradeCount / s;
        (mode === 'plain' ? plain : tx).push(rate);
        if (mode === 'transactional') transactions += sends;
        log(`${mode} round ${r}: ${Math.round(rate)} trades/s (${s.toFixed(2)} s, ${sends} partition sends)`);
      }
    }
    const p = median(plain);
    const t = median(tx);
    printResult(
      {
        suite: 'fencing',
        trades: stream.tradeCount,
        rounds: ROUNDS,
        plain_events_per_s: Math.round(p),
        transactional_events_per_s: Math.round(t),
        transactional_over_plain: Number((t / p).toFixed(3)),
        transactions_per_run: Math.round(transactions / ROUNDS),
        machine: machine(),
      },
      json,
    );
  } finally {
    for (const t of created) await deleteTopics(brokers, t);
  }
}

await main();
