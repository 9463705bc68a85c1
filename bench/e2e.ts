// End to end on the local broker and S3 (needs `pnpm infra:up` and `source infra/.run/env`):
//
//   pnpm bench e2e [--json] [--trades N]
//
// - events_per_s: trades/s through Kafka -> worker (decode, 60 s VWAP windows, deltas) -> Kafka,
//   batched frames (500 trades per Kafka record), 8 partitions, one in-process worker.
// - passthrough_events_per_s: the same Kafka client consuming the same records and producing
//   them unchanged to another topic, with the same pipelining as the worker (next fetch in flight
//   while a batch is handled, one produce in flight): the I/O limit.
// - recovery_s: a partition with 2,000 keys checkpointed, then 1M events behind the checkpoint:
//   time for a fresh worker to restore from S3 and replay to the end.
// - checkpoint_ms_p99/p50: each checkpoint under load, from capture start to the stored
//   pointer in S3 (one partition captured every 2nd step while the worker consumes the input,
//   over fresh output topics until at least 200 samples); checkpoint_stall_ms_p99/p50: the
//   processing stall it causes, i.e. the capture call as the loop sees it (the wait for the
//   in-flight sink batch included).
import {
  KafkaSink,
  KafkaSource,
  loadConfig,
  S3SnapshotStore,
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
import { machine, median, percentile, printResult } from './_util.ts';

const args = process.argv.slice(2);
const json = args.includes('--json');
const at = args.indexOf('--trades');
const TRADES = at >= 0 ? Number(args[at + 1]) : 2_000_000;
const env = requireEnv(
  'KAFKA_BROKERS',
  'S3_ENDPOINT',
  'S3_REGION',
  'S3_ACCESS_KEY_ID',
  'S3_SECRET_ACCESS_KEY',
  'S3_BUCKET',
);
const brokers = env.KAFKA_BROKERS.split(',');
const log = (s: string) => {
  if (!json) console.log(s);
};

function worker(
  topics: Topics,
  prefix: string,
  partitions: string,
  onCheckpoint?: (e: { phase: string; ms: number; partition?: number }) => void,
  checkpointIntervalSec = '1',
) {
  const config = loadConfig({
    ...process.env,
    RIPPLE_WORKER_ID: 'bench',
    RIPPLE_NUM_PARTITIONS: String(PARTITIONS),
    RIPPLE_PARTITIONS: partitions,
    RIPPLE_INPUT_TOPIC: topics.input,
    RIPPLE_OUTPUT_TOPIC: topics.output,
    RIPPLE_DLQ_TOPIC: topics.dlq,
    RIPPLE_S3_PREFIX: prefix,
    RIPPLE_WINDOW: '60s',
    RIPPLE_CHECKPOINT_INTERVAL_SEC: checkpointIntervalSec,
  });
  const store = new S3SnapshotStore(config.s3);
  const w = new Worker({
    config,
    job: vwapJob,
    source: new KafkaSource({ brokers, topic: topics.input, clientId: `bench-${prefix}` }),
    sink: new KafkaSink({ brokers, clientId: `bench-${prefix}` }),
    store,
    metrics: new WorkerMetrics('bench'),
    lateTopic: topics.late,
    ...(onCheckpoint ? { onCheckpoint } : {}),
  });
  return { w, store };
}

async function runUntil(w: Worker, ends: bigint[]): Promise<void> {
  for (;;) {
    const done = w.progress().every((p) => (p.nextOffset ?? -1n) >= (ends[p.partition] ?? 0n));
    if (done) return;
    await w.step(50);
  }
}

async function passthrough(topics: Topics, records: number): Promise<number> {
  const source = new KafkaSource({ brokers, topic: topics.input, clientId: 'bench-pass' });
  const sink = new KafkaSink({ brokers, clientId: 'bench-pass' });
  await source.assign(
    Array.from({ length: PARTITIONS }, (_, partition) => ({ partition, position: 'earliest' as const })),
  );
  const t0 = performance.now();
  let n = 0;
  // Same shape as the worker: one batch in flight at the sink while the next is fetched.
  let inflight: Promise<void> | null = null;
  let next = source.poll(5000, 50);
  while (n < records) {
    const batch = await next;
    next = source.poll(5000, 50); // prefetch, as the worker does
    if (batch.length === 0) continue;
    if (inflight !== null) await inflight;
    inflight = sink.send(
      batch.map((r) => ({
        topic: topics.output,
        partition: r.partition,
        key: null,
        value: r.value ?? new Uint8Array(),
        headers: {},
      })),
    );
    n += batch.length;
  }
  if (inflight !== null) await inflight;
  const s = (performance.now() - t0) / 1000;
  await next.catch(() => []);
  await source.close();
  await sink.close();
  return s;
}

async function main(): Promise<void> {
  const id = uniqueId();
  const created: Topics[] = [];
  try {
    // 1. Throughput through the worker, and the raw passthrough of the same records,
    //    alternated three times each on the same input topic (medians reported).
    const topics = await createTopics(brokers, `bench-e2e-${id}`);
    created.push(topics);
    const stream = makeStream({
      trades: TRADES,
      symbols: 2000,
      tradesPerRecord: 500,
      seed: 1,
      malformedEvery: 1_000_000,
    });
    const recordCount = stream.records.reduce((s, r) => s + r.length, 0);
    await produce(brokers, topics.input, stream.records);
    log(`produced ${stream.tradeCount} trades in ${recordCount} records`);
    const ends = stream.records.map((r) => BigInt(r.length));
    const workerRuns: number[] = [];
    const passRuns: number[] = [];
    for (let run = 0; run < 3; run++) {
      const out = await createTopics(brokers, `bench-e2e-${id}-r${run}`);
      created.push(out);
      const runTopics: Topics = { ...out, input: topics.input };
      const { w, store } = worker(runTopics, `bench-e2e-${id}-r${run}`, `0-${PARTITIONS - 1}`);
      await w.start();
      const t0 = performance.now();
      await runUntil(w, ends);
      await w.settle();
      workerRuns.push((performance.now() - t0) / 1000);
      await w.drain();
      store.destroy();
      passRuns.push(await passthrough(runTopics, recordCount));
      log(`run ${run}: worker ${workerRuns[run]?.toFixed(2)} s, passthrough ${passRuns[run]?.toFixed(2)} s`);
    }
    const eventsPerS = stream.tradeCount / median(workerRuns);
    const passPerS = stream.tradeCount / median(passRuns);

    // 2. Checkpoints under load: one partition captured every 2nd step while the worker
    //    consumes the input; each timed from capture start to its stored pointer, the stall
    //    being the capture call as the loop sees it. Fresh outputs until 200 samples.
    const totals: number[] = [];
    const stalls: number[] = [];
    for (let round = 0; totals.length < 200 && round < 200; round++) {
      const out = await createTopics(brokers, `bench-ck-${id}-${round}`);
      created.push(out);
      const started = new Map<number, number>();
      const { w, store } = worker(
        { ...out, input: topics.input },
        `bench-ck-${id}-${round}`,
        `0-${PARTITIONS - 1}`,
        (e) => {
          if (e.phase !== 'store' || e.partition === undefined) return;
          const t = started.get(e.partition);
          if (t === undefined) return;
          totals.push(performance.now() - t);
          started.delete(e.partition);
        },
        '86400', // only the captures below
      );
      await w.start();
      let steps = 0;
      let next = 0;
      while (!w.progress().every((p) => (p.nextOffset ?? -1n) >= (ends[p.partition] ?? 0n))) {
        await w.step(50);
        if (++steps % 2 !== 0) continue;
        const partition = next++ % PARTITIONS;
        if (started.has(partition)) continue; // its previous checkpoint is still being stored
        const t0 = performance.now();
        started.set(partition, t0);
        await w.capture([partition]);
        stalls.push(performance.now() - t0);
      }
      await w.waitForCheckpoints(30_000);
      await w.drain();
      store.destroy();
      log(`checkpoints under load, round ${round}: ${totals.length} stored so far`);
    }

    // 3. Recovery: 2,000 keys checkpointed, then 1M events behind the checkpoint, one partition.
    const rtopics = await createTopics(brokers, `bench-rec-${id}`);
    created.push(rtopics);
    const prefix = `bench-rec-${id}`;
    const head = makeStream({
      trades: 8 * 20_000,
      symbols: 16_000,
      tradesPerRecord: 500,
      seed: 2,
      malformedEvery: 1_000_000,
      only: 0,
    });
    const tail = makeStream({
      trades: 8 * 1_000_000,
      symbols: 16_000,
      tradesPerRecord: 500,
      seed: 3,
      malformedEvery: 1_000_000,
      only: 0,
    });
    // Only partition 0 is used: 2,000 symbols, 20K events before the checkpoint, 1M after.
    const only0 = (s: typeof head) => s.records.map((r, p) => (p === 0 ? r.slice(0, -1) : []));
    await produce(brokers, rtopics.input, only0(head));
    const a = worker(rtopics, prefix, '0');
    await a.w.start();
    await runUntil(a.w, [BigInt(only0(head)[0]?.length ?? 0)]);
    const keys = a.w.progress()[0]?.keys ?? 0;
    await a.w.drain();
    a.store.destroy();
    await produce(brokers, rtopics.input, only0(tail));
    const end0 = BigInt((only0(head)[0]?.length ?? 0) + (only0(tail)[0]?.length ?? 0));
    const b = worker(rtopics, prefix, '0');
    const r0 = performance.now();
    await b.w.start();
    await runUntil(b.w, [end0]);
    const recoverySec = (performance.now() - r0) / 1000;
    b.w.requestStop();
    await b.w.drain();
    b.store.destroy();
    const tailEvents = tail.trades[0]?.length ?? 0;
    log(`recovery: ${keys} keys restored, ${tailEvents} events replayed in ${recoverySec.toFixed(2)} s`);

    printResult(
      {
        suite: 'e2e',
        events_per_s: Math.round(eventsPerS),
        passthrough_events_per_s: Math.round(passPerS),
        ratio: Math.round((eventsPerS / passPerS) * 1000) / 1000,
        recovery_s: Math.round(recoverySec * 1000) / 1000,
        recovery_keys: keys,
        recovery_events: tailEvents,
        checkpoint_ms_p99: Math.round(percentile(totals, 0.99) * 10) / 10,
        checkpoint_ms_p50: Math.round(percentile(totals, 0.5) * 10) / 10,
        checkpoint_stall_ms_p99: Math.round(percentile(stalls, 0.99) * 10) / 10,
        checkpoint_stall_ms_p50: Math.round(percentile(stalls, 0.5) * 10) / 10,
        checkpoints: totals.length,
        trades: stream.tradeCount,
        machine: machine(),
      },
      json,
    );
  } finally {
    for (const t of created) await deleteTopics(brokers, t);
  }
}

await main();
