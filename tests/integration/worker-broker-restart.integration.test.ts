// A broker restart under load (issue 9): on a private broker (the shared one
// is never disturbed), the worker keeps running while Kafka is gone, reports
// degraded and retries with backoff, and once the broker is back it finishes
// with exactly the oracle's output for the documented consumer.
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { decodeDeltaBatch, SchemaRegistry } from '@ripple/protocol';
import { VWAP_OUTPUT_SCHEMA } from '@ripple/worker';
import { afterAll, describe, expect, test } from 'vitest';
import { eventually, requireEnv, uniqueId } from './helpers.ts';
import { PrivateKafka } from './private-kafka.ts';
import {
  contractOutputs,
  createTopics,
  makeStream,
  metric,
  PARTITIONS,
  produce,
  progress,
  readAll,
  SEC,
  sample,
  sleep,
  startWorker,
  stopWorker,
  streamOracle,
  waitCaughtUp,
} from './worker-harness.ts';

requireEnv('S3_ENDPOINT', 'S3_REGION', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY', 'S3_BUCKET');

describe('worker across a broker restart', () => {
  const kafka = new PrivateKafka();
  afterAll(async () => {
    await kafka.close();
  });

  test('the broker restarts mid-run: degraded and retrying meanwhile, no crash, output exact', {
    timeout: 10 * 60_000,
  }, async () => {
    await kafka.start();
    const brokers = kafka.brokers;
    const id = uniqueId();
    const topics = await createTopics(brokers, `it-brk-${id}`);
    const stream = makeStream({
      trades: 400_000,
      symbols: 800,
      tradesPerRecord: 100,
      seed: 13,
      malformedEvery: 400,
    });
    await produce(brokers, topics.input, stream.records);
    const w = await startWorker({
      KAFKA_BROKERS: brokers.join(','),
      RIPPLE_WORKER_ID: 'it-brk',
      RIPPLE_SOURCE: 'kafka',
      RIPPLE_SNAPSHOT_STORE: 's3',
      RIPPLE_NUM_PARTITIONS: String(PARTITIONS),
      RIPPLE_PARTITIONS: `0-${PARTITIONS - 1}`,
      RIPPLE_INPUT_TOPIC: topics.input,
      RIPPLE_OUTPUT_TOPIC: topics.output,
      RIPPLE_DLQ_TOPIC: topics.dlq,
      RIPPLE_S3_PREFIX: `it-brk-${id}`,
      RIPPLE_WINDOW: '10s',
      RIPPLE_LATENESS: '5s',
      RIPPLE_OUT_OF_ORDERNESS: '1s',
      RIPPLE_CHECKPOINT_INTERVAL_SEC: '1',
      RIPPLE_MAX_BATCH_RECORDS: '50',
      OTEL_EXPORTER_OTLP_ENDPOINT: '',
    });
    await eventually('the worker consumed some input', 60_000, async () =>
      ((await sample(w))?.recordsIn ?? 0) > 0 ? true : undefined,
    );
    await kafka.stop();
    await eventually('degraded while the broker is down', 60_000, async () =>
      (await metric(w, 'ripple_worker_degraded')) >= 1 ? true : undefined,
    );
    const r = await fetch(`http://127.0.0.1:${w.healthPort}/ready`);
    expect(r.status).toBe(503);
    await sleep(2000);
    expect(w.child.exitCode).toBe(null); // still running
    await kafka.start();
    await waitCaughtUp(
      w,
      stream.records.map((x) => BigInt(x.length)),
      5 * 60_000,
    );
    expect(await metric(w, 'ripple_worker_retries_total')).toBeGreaterThan(0);
    expect(await metric(w, 'ripple_worker_degraded')).toBe(0);
    const before = (await progress(w))?.details ?? [];
    expect(await stopWorker(w, 'SIGTERM')).toBe(0);
    const outRecords = await readAll(brokers, topics.output);
    const got = contractOutputs(outRecords).windows;
    const want = streamOracle(stream, 10n * SEC, 5n * SEC, SEC).windows;
    if (got.size !== want.size) {
      // Where it went wrong: per output partition, sequence gaps and re-emits in log order, and
      // missing windows per input partition (symbols SYMppppp map to partition number mod 8).
      const schemas = new SchemaRegistry();
      schemas.register(VWAP_OUTPUT_SCHEMA);
      const diag: Record<number, { records: number; gaps: string[]; backwards: number }> = {};
      const last = new Map<number, number>();
      const sorted = [...outRecords].sort(
        (x, y) => x.partition - y.partition || (x.offset < y.offset ? -1 : 1),
      );
      for (const rec of sorted) {
        const d = diag[rec.partition] ?? { records: 0, gaps: [], backwards: 0 };
        diag[rec.partition] = d;
        d.records++;
        for (const r of decodeDeltaBatch(rec.value as Buffer, { schemas }).records) {
          const l = last.get(rec.partition) ?? 0;
          if (r.sequence > l + 1 && d.gaps.length < 5) d.gaps.push(`${l}->${r.sequence}@${rec.offset}`);
          if (r.sequence <= l) d.backwards++;
          last.set(rec.partition, Math.max(l, r.sequence));
        }
      }
      const missing: Record<string, number> = {};
      const examples: Record<string, string[]> = {};
      for (const k of want.keys()) {
        if (got.has(k)) continue;
        const p = String(Number(k.slice(3, 8)) % PARTITIONS);
        missing[p] = (missing[p] ?? 0) + 1;
        const ex = examples[p] ?? [];
        examples[p] = ex;
        if (ex.length < 3) ex.push(k);
      }
      const retries = w
        .log()
        .split('\n')
        .filter((l) => /retry|recovered/i.test(l))
        .slice(0, 30);
      // Sequences the worker had assigned before the stop, against what the topic holds.
      const emitted = Object.fromEntries(before.map((d) => [d.partition, d.nextSequence - 1]));
      const logFile = `${tmpdir()}/ripple-brk-${id}.log`;
      writeFileSync(logFile, w.log());
      console.error(
        JSON.stringify({
          diag,
          missing,
          examples,
          lastSequence: Object.fromEntries(last),
          emitted,
          logFile,
          retries,
        }),
      );
    }
    expect(got.size).toBe(want.size);
    let wrong = 0;
    for (const [k, v] of want) {
      const g = got.get(k);
      if (
        g === undefined ||
        g.count !== v.count ||
        g.volume !== v.volume ||
        Math.abs(g.vwap - v.vwap) > 1e-9 * Math.abs(v.vwap)
      )
        wrong++;
    }
    expect(wrong).toBe(0);
  });
});
