// Integrity suite: the worker process against real Kafka and real S3, killed
// at random moments, must produce exactly what an independent oracle computes
// from the input; the dead-letter topic must hold exactly the malformed records.
// The kill test runs in cluster checkpoint mode (RIPPLE_CHECKPOINT_MODE=cluster)
// with a checkpointer process on real NATS: every recovery goes through a
// committed manifest (the checkpointer's restore lookup), counted from the
// worker's log; none comes from the worker's own store, and no partition starts
// empty once a checkpoint is committed. Kills land in recovery, in a checkpoint
// upload, in steady processing, and after a commit of the life.
//
//   pnpm test:integration                     (20 kills, as CI runs it)
//   RIPPLE_INTEGRITY_KILLS=100 pnpm test:integration   (the long run; also `pnpm integrity --kills 100`)
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { S3ObjectStore } from '@ripple/object-store';
import { afterAll, describe, expect, test } from 'vitest';
import { eventually, requireEnv, uniqueId } from './helpers.ts';
import {
  type CheckpointerProcess,
  contractOutputs,
  createTopics,
  deleteTopics,
  FlakyProxy,
  finalOutputs,
  landing,
  lateTrades,
  makeStream,
  metric,
  PARTITIONS,
  produce,
  readAll,
  SEC,
  type Stream,
  sample,
  sleep,
  startCheckpointer,
  startWorker,
  stopWorker,
  streamOracle,
  type Topics,
  tradeId,
  type WorkerProcess,
  type WorkerSample,
  waitCaughtUp,
  xorshift,
} from './worker-harness.ts';

const env = requireEnv(
  'KAFKA_BROKERS',
  'NATS_URL',
  'S3_ENDPOINT',
  'S3_REGION',
  'S3_ACCESS_KEY_ID',
  'S3_SECRET_ACCESS_KEY',
  'S3_BUCKET',
);
const brokers = env.KAFKA_BROKERS.split(',');
const KILLS = Number(process.env.RIPPLE_INTEGRITY_KILLS ?? 20);
const WINDOW = 10n * SEC;
const LATENESS = 5n * SEC;
const OOO = 1n * SEC;

function workerEnv(
  topics: Topics,
  prefix: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    RIPPLE_WORKER_ID: 'it-worker',
    RIPPLE_SOURCE: 'kafka',
    RIPPLE_SNAPSHOT_STORE: 's3',
    RIPPLE_NUM_PARTITIONS: String(PARTITIONS),
    RIPPLE_PARTITIONS: `0-${PARTITIONS - 1}`,
    RIPPLE_INPUT_TOPIC: topics.input,
    RIPPLE_OUTPUT_TOPIC: topics.output,
    RIPPLE_DLQ_TOPIC: topics.dlq,
    RIPPLE_S3_PREFIX: prefix,
    RIPPLE_WINDOW: '10s',
    RIPPLE_LATENESS: '5s',
    RIPPLE_OUT_OF_ORDERNESS: '1s',
    RIPPLE_CHECKPOINT_INTERVAL_SEC: '1',
    RIPPLE_MAX_BATCH_RECORDS: '200',
    OTEL_EXPORTER_OTLP_ENDPOINT: '',
    ...extra,
  };
}

function ends(stream: Stream): bigint[] {
  return stream.records.map((r) => BigInt(r.length));
}

/**
 * The worker in cluster checkpoint mode: the checkpointer of `cluster` triggers
 * checkpoints, snapshots go to S3 under `prefix` in its layout, and partitions
 * are restored only through its committed manifests.
 */
function clusterModeEnv(cluster: string, prefix: string): Record<string, string> {
  return {
    RIPPLE_CHECKPOINT_MODE: 'cluster',
    RIPPLE_CHECKPOINT_CLUSTER: cluster,
    RIPPLE_CHECKPOINT_PREFIX: prefix,
    RIPPLE_SNAPSHOT_STORE: 'memory', // not used in cluster mode
  };
}

/** How a worker life's partitions were restored, from its log. */
function restores(w: WorkerProcess): { viaManifest: number; empty: number; ownStore: number } {
  let viaManifest = 0;
  let empty = 0;
  let ownStore = 0;
  for (const l of w.log().split('\n')) {
    if (l.includes('"msg":"partition restored from a committed checkpoint"')) viaManifest++;
    else if (l.includes('"msg":"no committed checkpoint holds the partition; starting empty"')) empty++;
    else if (/"msg":"partition restored( from an older snapshot)?"/.test(l)) ownStore++;
  }
  return { viaManifest, empty, ownStore };
}

/** Every (symbol, window) of the oracle is in the output with the same value, and nothing else is. */
function expectMatchesOracle(stream: Stream, outputs: ReturnType<typeof finalOutputs>): void {
  const o = streamOracle(stream, WINDOW, LATENESS, OOO);
  const missing = [...o.windows.keys()].filter((k) => !outputs.windows.has(k));
  if (missing.length > 0) {
    // Where the gap is: per partition (symbols SYMppppp map to partition number mod 8) and per window.
    const byPartition = new Map<number, number>();
    const byWindow = new Map<string, number>();
    for (const k of missing) {
      const [sym = '', start = ''] = k.split('@');
      const p = Number(sym.slice(3)) % PARTITIONS;
      byPartition.set(p, (byPartition.get(p) ?? 0) + 1);
      byWindow.set(start, (byWindow.get(start) ?? 0) + 1);
    }
    console.error('missing windows by partition', Object.fromEntries(byPartition));
    console.error('missing windows by window start (first 10)', [...byWindow].slice(0, 10));
  }
  const extra = [...outputs.windows.keys()].filter((k) => !o.windows.has(k));
  expect(missing.slice(0, 5), `${missing.length} window(s) missing`).toEqual([]);
  expect(extra.slice(0, 5), `${extra.length} unexpected window(s)`).toEqual([]);
  let wrong = 0;
  const examples: string[] = [];
  for (const [k, want] of o.windows) {
    const got = outputs.windows.get(k);
    const ok =
      got !== undefined &&
      got.count === want.count &&
      got.volume === want.volume &&
      Math.abs(got.vwap - want.vwap) <= 1e-9 * Math.abs(want.vwap);
    if (!ok) {
      wrong++;
      if (examples.length < 3) examples.push(`${k}: got ${JSON.stringify(got)} want ${JSON.stringify(want)}`);
    }
  }
  expect(examples, `${wrong} window(s) differ from the oracle`).toEqual([]);
}

/** The late side topic holds every late trade of the oracle once (re-sends after a crash recognised), nothing else. */
async function expectLateExact(
  topics: Topics,
  stream: Stream,
): Promise<{ ids: Set<string>; resent: number }> {
  const late = lateTrades(await readAll(brokers, topics.late));
  const want = new Set(streamOracle(stream, WINDOW, LATENESS, OOO).lateTrades.map(tradeId));
  expect(want.size).toBeGreaterThan(0);
  const missing = [...want].filter((x) => !late.ids.has(x));
  const extra = [...late.ids].filter((x) => !want.has(x));
  expect(missing.slice(0, 5), `${missing.length} late trade(s) missing`).toEqual([]);
  expect(extra.slice(0, 5), `${extra.length} unexpected late trade(s)`).toEqual([]);
  return late;
}

/** The DLQ holds exactly the malformed records (by source partition and offset); returns re-sends. */
async function expectDlqExact(topics: Topics, stream: Stream): Promise<number> {
  const dlq = await readAll(brokers, topics.dlq);
  const seen = new Set<string>();
  let resent = 0;
  for (const r of dlq) {
    const key = `${r.headers.get('ripple-source-partition')}:${r.headers.get('ripple-source-offset')}`;
    expect(r.headers.get('ripple-dlq-reason')).toBeTruthy();
    if (seen.has(key)) resent++;
    seen.add(key);
  }
  expect([...seen].sort()).toEqual([...stream.malformed].sort());
  return resent;
}

describe('worker integrity on real Kafka + S3', () => {
  const created: Topics[] = [];
  const checkpointers: CheckpointerProcess[] = [];
  const prefixes: string[] = [];
  afterAll(async () => {
    for (const c of checkpointers) if (c.child.exitCode === null) c.child.kill('SIGKILL');
    for (const t of created) await deleteTopics(brokers, t);
    const store = new S3ObjectStore({
      endpoint: env.S3_ENDPOINT,
      region: env.S3_REGION,
      bucket: env.S3_BUCKET,
      accessKeyId: env.S3_ACCESS_KEY_ID,
      secretAccessKey: env.S3_SECRET_ACCESS_KEY,
    });
    for (const p of prefixes) {
      const keys = (await store.list(`${p}/`)).map((o) => o.key);
      if (keys.length > 0) await store.delete(keys);
    }
    store.close();
  });

  test(`exact after ${KILLS} SIGKILLs landing in recovery, checkpoint uploads and steady processing, every recovery through a committed manifest (1,000,000 trades)`, {
    timeout: 40 * 60_000,
  }, async () => {
    const id = uniqueId();
    const topics = await createTopics(brokers, `it-kill-${id}`);
    created.push(topics);
    const stream = makeStream({
      trades: 1_000_000,
      symbols: 2000,
      tradesPerRecord: 250,
      seed: 42,
      malformedEvery: 150,
    });
    await produce(brokers, topics.input, stream.records);
    // The checkpointer of this cluster, alive through every kill: a checkpoint every second.
    const cluster = `itkill-${id}`.replace(/[^A-Za-z0-9_-]/g, '');
    const prefix = `it-kill-${id}/checkpoints`;
    const ck = startCheckpointer({
      RIPPLE_CLUSTER: cluster,
      RIPPLE_S3_PREFIX: prefix,
      RIPPLE_STATIC_PARTITIONS: String(PARTITIONS),
      RIPPLE_STATIC_EPOCH: '1',
      RIPPLE_CHECKPOINT_INTERVAL_SEC: '1',
      RIPPLE_CHECKPOINT_TIMEOUT_SEC: '4',
      RIPPLE_CHECKPOINTS_RETAINED: '5',
    });
    checkpointers.push(ck);
    prefixes.push(prefix);
    const committed = () => ck.logs.filter((l) => l.includes('"msg":"checkpoint committed"')).length;
    const cfg = () => workerEnv(topics, `it-kill-${id}`, clusterModeEnv(cluster, prefix));
    const recovered = { viaManifest: 0, empty: 0, ownStore: 0, emptyAfterACommit: 0 };
    const count = (w: WorkerProcess, commitsBefore: number) => {
      const r = restores(w);
      recovered.viaManifest += r.viaManifest;
      recovered.empty += r.empty;
      recovered.ownStore += r.ownStore;
      // Once a checkpoint is committed (every commit holds all 8 partitions), a partition never starts empty.
      if (commitsBefore > 0) recovered.emptyAfterACommit += r.empty;
    };
    const rnd = xorshift(7);
    const t0 = Date.now();
    const landed = { recovery: 0, checkpoint: 0, steady: 0 };
    const lives: Array<{ where: string; recordsIn: number }> = [];
    for (let k = 0; k < KILLS; k++) {
      const commitsBefore = committed();
      const w = await startWorker(cfg());
      let last: WorkerSample | undefined;
      const mode = k % 4;
      if (mode === 0) {
        // Early: while the worker restores its snapshots and replays.
        await sleep(5 + (rnd() % 40));
        last = await sample(w);
      } else if (mode === 1) {
        // During a snapshot upload (checkpoints every second).
        const until = Date.now() + 5000;
        for (;;) {
          last = await sample(w);
          if ((last?.writing ?? false) || Date.now() > until) break;
          await sleep(2);
        }
      } else if (mode === 2) {
        await sleep(200 + (rnd() % 1800));
        last = await sample(w);
      } else {
        // After this life's first committed checkpoint (its acks made it into a manifest).
        await eventually(`a checkpoint committed in life ${k}`, 120_000, async () =>
          committed() > commitsBefore ? true : undefined,
        ).catch((e: unknown) => {
          throw new Error(
            `${String(e)}\ncheckpointer:\n${ck.logs.slice(-10).join('\n')}\nworker:\n${w.log().slice(-3000)}`,
          );
        });
        await sleep(rnd() % 1000);
        last = await sample(w);
      }
      await stopWorker(w, 'SIGKILL');
      count(w, commitsBefore);
      const where = landing(last);
      landed[where]++;
      lives.push({ where, recordsIn: last?.recordsIn ?? 0 });
    }
    // Every kind of landing happened, and every life not killed in recovery made progress.
    expect(landed.recovery, JSON.stringify(landed)).toBeGreaterThan(0);
    expect(landed.checkpoint, JSON.stringify(landed)).toBeGreaterThan(0);
    expect(landed.steady, JSON.stringify(landed)).toBeGreaterThan(0);
    const stalled = lives.filter((l) => l.where !== 'recovery' && l.recordsIn === 0);
    expect(stalled, 'lives that consumed nothing before their kill').toEqual([]);
    const commitsBefore = committed();
    const last = await startWorker(cfg());
    await waitCaughtUp(last, ends(stream), 10 * 60_000);
    expect(await stopWorker(last, 'SIGTERM')).toBe(0);
    count(last, commitsBefore);
    ck.child.kill('SIGTERM');
    expect(await ck.exited).toBe(0);
    // Every recovery went through the checkpointer's committed manifests: restores happened (the last
    // life restores all 8 partitions), none from the worker's own store, none started empty once a
    // checkpoint was committed.
    expect(recovered.viaManifest, JSON.stringify(recovered)).toBeGreaterThanOrEqual(PARTITIONS);
    expect(recovered.ownStore, JSON.stringify(recovered)).toBe(0);
    expect(recovered.emptyAfterACommit, JSON.stringify(recovered)).toBe(0);
    const records = await readAll(brokers, topics.output);
    const outputs = finalOutputs(records);
    expectMatchesOracle(stream, outputs);
    // The documented consumer (drop by sequence, keep the last value) ends exactly at the oracle.
    const contract = contractOutputs(records);
    expectMatchesOracle(stream, { ...outputs, windows: contract.windows });
    // Duplicates were really produced and absorbed: the test cannot pass vacuously.
    expect(outputs.duplicates).toBeGreaterThan(0);
    expect(contract.dropped).toBe(outputs.duplicates);
    const late = await expectLateExact(topics, stream);
    const dlqResent = await expectDlqExact(topics, stream);
    console.log(
      JSON.stringify({
        suite: 'integrity',
        kills: KILLS,
        landed,
        checkpoint_mode: 'cluster',
        checkpoints_committed: committed(),
        checkpoints_aborted: ck.logs.filter((l) => l.includes('"msg":"checkpoint aborted')).length,
        recoveries_via_manifest: recovered.viaManifest,
        recoveries_bypassing_manifest: recovered.ownStore + recovered.emptyAfterACommit,
        partitions_started_empty_before_first_commit: recovered.empty,
        trades: stream.tradeCount,
        windows: outputs.windows.size,
        deltas: outputs.deltas,
        duplicate_reemits: outputs.duplicates,
        late_trades: late.ids.size,
        late_resent: late.resent,
        dlq_records: stream.malformed.size,
        dlq_resent: dlqResent,
        seconds: (Date.now() - t0) / 1000,
      }),
    );
  });

  test('graceful SIGTERM stops: zero duplicates', { timeout: 10 * 60_000 }, async () => {
    const id = uniqueId();
    const topics = await createTopics(brokers, `it-term-${id}`);
    created.push(topics);
    const stream = makeStream({
      trades: 300_000,
      symbols: 800,
      tradesPerRecord: 100,
      seed: 9,
      malformedEvery: 200,
    });
    await produce(brokers, topics.input, stream.records);
    const rnd = xorshift(3);
    for (let k = 0; k < 5; k++) {
      const w = await startWorker(workerEnv(topics, `it-term-${id}`));
      await sleep(300 + (rnd() % 1500));
      expect(await stopWorker(w, 'SIGTERM')).toBe(0);
    }
    const last = await startWorker(workerEnv(topics, `it-term-${id}`));
    await waitCaughtUp(last, ends(stream), 5 * 60_000);
    expect(await stopWorker(last, 'SIGTERM')).toBe(0);
    const outputs = finalOutputs(await readAll(brokers, topics.output));
    expectMatchesOracle(stream, outputs);
    expect(outputs.duplicates).toBe(0);
    expect(await expectDlqExact(topics, stream)).toBe(0);
  });

  test('traces of recovery, batches and checkpoints reach Jaeger', { timeout: 5 * 60_000 }, async () => {
    const { OTEL_EXPORTER_OTLP_ENDPOINT: otlp, JAEGER_QUERY_URL: jaeger } = requireEnv(
      'OTEL_EXPORTER_OTLP_ENDPOINT',
      'JAEGER_QUERY_URL',
    );
    const id = uniqueId();
    const topics = await createTopics(brokers, `it-trace-${id}`);
    created.push(topics);
    const stream = makeStream({
      trades: 20_000,
      symbols: 80,
      tradesPerRecord: 100,
      seed: 4,
      malformedEvery: 50,
    });
    await produce(brokers, topics.input, stream.records);
    const service = `ripple-worker-it-${id}`;
    const w = await startWorker(
      workerEnv(topics, `it-trace-${id}`, { OTEL_EXPORTER_OTLP_ENDPOINT: otlp, OTEL_SERVICE_NAME: service }),
    );
    await waitCaughtUp(w, ends(stream), 120_000);
    // Spans are exported every 500 ms while the worker runs (checkpoints every second).
    const operations = await eventually('spans in Jaeger', 30_000, async () => {
      const r = await fetch(`${jaeger}/api/traces?service=${encodeURIComponent(service)}&limit=500`);
      const body = (await r.json()) as { data?: Array<{ spans: Array<{ operationName: string }> }> };
      const ops = new Set((body.data ?? []).flatMap((t) => t.spans.map((s) => s.operationName)));
      return ops.has('ripple.worker.recovery') && ops.has('ripple.worker.checkpoint') ? ops : undefined;
    });
    expect(await stopWorker(w, 'SIGTERM')).toBe(0);
    const tracingLog = w
      .log()
      .split('\n')
      .filter((l) => l.includes('"tracing"'));
    expect(tracingLog.slice(0, 5), 'tracing warnings in the worker log').toEqual([]);
    expect(operations.has('ripple.worker.batch')).toBe(true);
  });

  test('S3 down for a while: processing continues, checkpoints retry, a failed one never becomes latest', {
    timeout: 10 * 60_000,
  }, async () => {
    const id = uniqueId();
    const prefix = `it-s3-${id}`;
    const topics = await createTopics(brokers, prefix);
    created.push(topics);
    const s3url = new URL(env.S3_ENDPOINT);
    const proxy = new FlakyProxy({ host: s3url.hostname, port: Number(s3url.port) });
    const port = await proxy.start();
    const s3 = new S3Client({
      region: env.S3_REGION,
      endpoint: env.S3_ENDPOINT,
      forcePathStyle: true,
      credentials: { accessKeyId: env.S3_ACCESS_KEY_ID, secretAccessKey: env.S3_SECRET_ACCESS_KEY },
    });
    const latest = async () => {
      return await readPointer(s3, `${prefix}/p0`);
    };
    try {
      const stream = makeStream({
        trades: 200_000,
        symbols: 400,
        tradesPerRecord: 100,
        seed: 5,
        malformedEvery: 300,
      });
      const half = stream.records.map((r) => r.slice(0, Math.floor(r.length / 2)));
      const rest = stream.records.map((r) => r.slice(Math.floor(r.length / 2)));
      await produce(brokers, topics.input, half);
      const w = await startWorker(workerEnv(topics, prefix, { S3_ENDPOINT: `http://127.0.0.1:${port}` }));
      await waitCaughtUp(
        w,
        half.map((r) => BigInt(r.length)),
        120_000,
      );
      await eventually('a first stored checkpoint', 30_000, async () =>
        (await latest()) ? true : undefined,
      );
      const before = await latest();
      proxy.down();
      const failuresBefore = await metric(w, 'ripple_worker_checkpoint_failures_total');
      await produce(brokers, topics.input, rest);
      await waitCaughtUp(w, ends(stream), 120_000); // processing went on with S3 down
      await eventually('checkpoint failures counted', 30_000, async () =>
        (await metric(w, 'ripple_worker_checkpoint_failures_total')) > failuresBefore ? true : undefined,
      );
      proxy.restore();
      expect(await latest()).toBe(before); // nothing became latest while S3 was down
      await eventually('a newer checkpoint once S3 is back', 60_000, async () => {
        const now = await latest();
        return now !== undefined && now !== before ? true : undefined;
      });
      await stopWorker(w, 'SIGKILL');
      // A restart from the checkpoint written after the outage is still exact.
      const again = await startWorker(workerEnv(topics, prefix, { S3_ENDPOINT: `http://127.0.0.1:${port}` }));
      await waitCaughtUp(again, ends(stream), 120_000);
      expect(await stopWorker(again, 'SIGTERM')).toBe(0);
      expectMatchesOracle(stream, finalOutputs(await readAll(brokers, topics.output)));
    } finally {
      await proxy.close();
      s3.destroy();
    }
  });
  test('restarts while S3 is down and with the newest snapshot corrupted: not ready meanwhile, never a reset, exact', {
    timeout: 10 * 60_000,
  }, async () => {
    const id = uniqueId();
    const prefix = `it-s3r-${id}`;
    const topics = await createTopics(brokers, prefix);
    created.push(topics);
    const s3url = new URL(env.S3_ENDPOINT);
    const proxy = new FlakyProxy({ host: s3url.hostname, port: Number(s3url.port) });
    const port = await proxy.start();
    const s3 = new S3Client({
      region: env.S3_REGION,
      endpoint: env.S3_ENDPOINT,
      forcePathStyle: true,
      credentials: { accessKeyId: env.S3_ACCESS_KEY_ID, secretAccessKey: env.S3_SECRET_ACCESS_KEY },
    });
    const latest = async (p: number) => {
      try {
        return await readPointer(s3, `${prefix}/p${p}`);
      } catch {
        return undefined;
      }
    };
    const viaProxy = { S3_ENDPOINT: `http://127.0.0.1:${port}` };
    try {
      const stream = makeStream({
        trades: 200_000,
        symbols: 400,
        tradesPerRecord: 100,
        seed: 6,
        malformedEvery: 300,
      });
      const half = stream.records.map((r) => r.slice(0, Math.floor(r.length / 2)));
      const rest = stream.records.map((r) => r.slice(Math.floor(r.length / 2)));
      await produce(brokers, topics.input, half);
      const a = await startWorker(workerEnv(topics, prefix, viaProxy));
      await waitCaughtUp(
        a,
        half.map((r) => BigInt(r.length)),
        120_000,
      );
      const first = await eventually('a stored checkpoint of p0', 30_000, async () => latest(0));
      await stopWorker(a, 'SIGKILL');
      const outBefore = (await readAll(brokers, topics.output)).length;

      // S3 down at start: the worker waits, not ready, and does not start over.
      proxy.down();
      const b = await startWorker(workerEnv(topics, prefix, viaProxy));
      await produce(brokers, topics.input, rest);
      await eventually('recovery store errors counted', 30_000, async () =>
        (await metric(b, 'ripple_worker_recovery_store_errors_total')) >= 2 ? true : undefined,
      );
      const r = await fetch(`http://127.0.0.1:${b.healthPort}/ready`);
      expect(r.status).toBe(503);
      expect(((await r.json()) as { state: string }).state).toBe('starting');
      expect((await readAll(brokers, topics.output)).length).toBe(outBefore); // nothing produced from an empty state
      proxy.restore();
      await waitCaughtUp(b, ends(stream), 180_000);
      await eventually('a newer checkpoint of p0', 60_000, async () => {
        const now = await latest(0);
        return now !== undefined && now !== first ? true : undefined;
      });
      await stopWorker(b, 'SIGKILL');

      // The newest snapshot of partition 0 corrupted: the next restart falls back to an older one.
      const newest = (await latest(0)) as string;
      await s3.send(
        new PutObjectCommand({
          Bucket: env.S3_BUCKET,
          Key: `${prefix}/p0/${newest}.snap`,
          Body: new Uint8Array(512).fill(0x52),
        }),
      );
      const c = await startWorker(workerEnv(topics, prefix, viaProxy));
      await waitCaughtUp(c, ends(stream), 120_000);
      expect(await metric(c, 'ripple_worker_snapshot_fallbacks_total')).toBe(1);
      expect(await metric(c, 'ripple_worker_partitions_failed')).toBe(0);
      expect(await stopWorker(c, 'SIGTERM')).toBe(0);
      const records = await readAll(brokers, topics.output);
      const contract = contractOutputs(records);
      expectMatchesOracle(stream, { ...finalOutputs(records), windows: contract.windows });
      await expectLateExact(topics, stream);
      await expectDlqExact(topics, stream);
    } finally {
      await proxy.close();
      s3.destroy();
    }
  });
});

/** The id the worker's S3 snapshot store commits as latest: its newest epoch's pointer (`LATEST.e<epoch>`). */
async function readPointer(s3: S3Client, partitionPrefix: string): Promise<string | undefined> {
  const bucket = process.env.S3_BUCKET as string;
  const listed = await s3.send(
    new ListObjectsV2Command({ Bucket: bucket, Prefix: `${partitionPrefix}/LATEST` }),
  );
  const newest = (listed.Contents ?? [])
    .map((o) => o.Key as string)
    .sort()
    .at(-1);
  if (newest === undefined) return undefined;
  const r = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: newest }));
  return (await r.Body?.transformToString())?.trim();
}
