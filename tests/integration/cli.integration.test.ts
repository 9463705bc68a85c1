// The operator's `ripple` command against real services, run as a process
// (the entry point an operator types): `produce` into real Kafka, `tail` of
// the output / dead-letter / late topics a real worker wrote, and `status`
// from a real coordinator over NATS.
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hash32 } from '@ripple/cluster';
import { decodeTradeBatch, type Trade } from '@ripple/protocol';
import { afterAll, describe, expect, test } from 'vitest';
import { requireEnv, uniqueId } from './helpers.ts';
import {
  contractOutputs,
  createTopics,
  deleteTopics,
  finalOutputs,
  makeStream,
  PARTITIONS,
  produce,
  readAll,
  SEC,
  SENTINEL,
  type Stream,
  startWorker,
  stopWorker,
  streamOracle,
  type Topics,
  tradeId,
  type WorkerProcess,
  waitCaughtUp,
} from './worker-harness.ts';

const env = requireEnv('KAFKA_BROKERS', 'NATS_URL', 'S3_ENDPOINT', 'S3_BUCKET');
const brokers = env.KAFKA_BROKERS.split(',');
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function ripple(args: string[], extraEnv: Record<string, string> = {}) {
  return new Promise<{ code: number; out: string; err: string }>((resolve) => {
    execFile(
      process.execPath,
      ['--conditions=@ripple/source', join(ROOT, 'apps/cli/src/main.ts'), ...args],
      { env: { ...process.env, ...extraEnv }, maxBuffer: 256 << 20 },
      (e, out, err) =>
        resolve({ code: e === null ? 0 : Number((e as { code?: number }).code ?? 1), out, err }),
    );
  });
}

const ndjson = (text: string) =>
  text
    .trim()
    .split('\n')
    .filter((l) => l !== '')
    // ns times are exact JSON integers beyond 2^53: read them from their source text
    .map(
      (l) =>
        JSON.parse(l, (k, v, ctx?: { source?: string }) =>
          k.endsWith('_ns') && ctx?.source !== undefined ? BigInt(ctx.source) : v,
        ) as Record<string, unknown>,
    );

describe('ripple CLI on real services', () => {
  const created: Topics[] = [];
  const workers: WorkerProcess[] = [];
  afterAll(async () => {
    for (const w of workers) if (w.child.exitCode === null) await stopWorker(w, 'SIGKILL');
    for (const t of created) await deleteTopics(brokers, t);
  });

  test('tail decodes what a real worker wrote: --dedup ends at the oracle; dlq and late topics exact', async () => {
    const topics = await createTopics(brokers, `it-cli-${uniqueId()}`);
    created.push(topics);
    const stream = makeStream({
      trades: 6000,
      symbols: 64,
      tradesPerRecord: 40,
      seed: 13,
      malformedEvery: 37,
    });
    await produce(brokers, topics.input, stream.records);
    // The oracle reads the input log as it is (a producer retry under load may have written a
    // record twice; the worker sees what is there, and so does the oracle).
    const input: Stream = {
      records: [],
      trades: Array.from({ length: PARTITIONS }, () => []),
      malformed: new Set(),
      tradeCount: 0,
    };
    for (const rec of await readAll(brokers, topics.input)) {
      try {
        input.trades[rec.partition]?.push(...decodeTradeBatch(rec.value as Buffer));
      } catch {
        input.malformed.add(`${rec.partition}:${rec.offset}`);
      }
    }
    const workerEnv = {
      RIPPLE_SOURCE: 'kafka',
      RIPPLE_SNAPSHOT_STORE: 's3',
      RIPPLE_NUM_PARTITIONS: String(PARTITIONS),
      RIPPLE_PARTITIONS: `0-${PARTITIONS - 1}`,
      RIPPLE_INPUT_TOPIC: topics.input,
      RIPPLE_OUTPUT_TOPIC: topics.output,
      RIPPLE_DLQ_TOPIC: topics.dlq,
      RIPPLE_S3_PREFIX: `it-cli-${uniqueId()}`,
      RIPPLE_WINDOW: '10s',
      RIPPLE_LATENESS: '5s',
      RIPPLE_OUT_OF_ORDERNESS: '1s',
      RIPPLE_CHECKPOINT_INTERVAL_SEC: '1',
      RIPPLE_MAX_BATCH_RECORDS: '20',
      OTEL_EXPORTER_OTLP_ENDPOINT: '',
    };
    // One SIGKILL part-way, so the output holds re-emits for --dedup to drop.
    const first = await startWorker({ ...workerEnv, RIPPLE_WORKER_ID: 'it-cli-a' });
    workers.push(first);
    await new Promise((r) => setTimeout(r, 2500));
    await stopWorker(first, 'SIGKILL');
    const second = await startWorker({ ...workerEnv, RIPPLE_WORKER_ID: 'it-cli-b' });
    workers.push(second);
    await waitCaughtUp(
      second,
      stream.records.map((r) => BigInt(r.length)),
      120_000,
    );
    await stopWorker(second, 'SIGTERM');

    // What the harness reads independently (the documented consumer on the raw records).
    const raw = await readAll(brokers, topics.output);
    const reference = finalOutputs(raw);
    const contract = contractOutputs(raw);

    const tailEnv = {
      RIPPLE_OUTPUT_TOPIC: topics.output,
      RIPPLE_DLQ_TOPIC: topics.dlq,
      RIPPLE_INPUT_TOPIC: topics.input,
    };
    const dedup = await ripple(['tail', '--dedup', '--json'], tailEnv);
    expect(dedup.code, dedup.err).toBe(0);
    const lines = ndjson(dedup.out);
    const summary = ndjson(dedup.err).at(-1)?.summary as {
      dropped: number;
      records: number;
      undecodable: number;
    };
    expect(summary.records).toBe(raw.length);
    expect(summary.undecodable).toBe(0);
    expect(lines.length).toBe(reference.deltas - reference.duplicates);
    expect(summary.dropped).toBe(reference.duplicates);
    expect(summary.dropped).toBe(contract.dropped);
    // Sequences per partition: strictly increasing, gap-free from 1.
    const seqs = new Map<number, number[]>();
    for (const l of lines)
      seqs.set(l.partition as number, [...(seqs.get(l.partition as number) ?? []), l.seq as number]);
    for (const [, s] of seqs) expect(s).toEqual(Array.from({ length: s.length }, (_, i) => i + 1));
    // The last line per (symbol, window) is the oracle's value.
    const last = new Map<string, Record<string, unknown>>();
    for (const l of lines) {
      const k = `${l.symbol}@${l.window_start_ns as bigint}`;
      if (l.delta === 'remove') last.delete(k);
      else last.set(k, l);
    }
    for (const k of [...last.keys()]) if (k.startsWith(`${SENTINEL}@`)) last.delete(k);
    const want = streamOracle(input, 10n * SEC, 5n * SEC, 1n * SEC);
    expect(last.size).toBe(want.windows.size);
    let wrong = 0;
    for (const [k, w] of want.windows) {
      const got = last.get(k);
      if (
        got === undefined ||
        got.count !== w.count ||
        got.volume !== w.volume ||
        Math.abs((got.vwap as number) - w.vwap) > 1e-9 * w.vwap
      )
        wrong++;
    }
    expect(wrong).toBe(0);

    // Without --dedup every delta is shown, re-emits included; text mode names partition and sequence.
    const all = await ripple(['tail'], tailEnv);
    expect(all.code, all.err).toBe(0);
    expect(all.out.trim().split('\n').length).toBe(reference.deltas);
    expect(all.out).toMatch(/^p\d seq \d+ {2}SYM\d+ {2}\d{4}-\d\d-\d\dT[\d:.]+Z \+10s {2}(set|patch)/m);

    // DLQ: one line per dead letter, with the worker's code and reason.
    const dlq = await ripple(['tail', '--topic', 'dlq', '--json'], tailEnv);
    expect(dlq.code, dlq.err).toBe(0);
    const dead = ndjson(dlq.out);
    const distinct = new Set(
      dead.map(
        (d) =>
          `${(d.headers as Record<string, string>)['ripple-source-partition']}:${(d.headers as Record<string, string>)['ripple-source-offset']}`,
      ),
    );
    expect([...distinct].sort()).toEqual([...input.malformed].sort());
    for (const d of dead) expect(typeof d.code === 'string' && typeof d.reason === 'string').toBe(true);

    // Late side topic: the oracle's late trades.
    const late = await ripple(['tail', '--topic', 'late', '--json'], tailEnv);
    expect(late.code, late.err).toBe(0);
    const lateIds = new Set(
      ndjson(late.out).map((t) => `${t.symbol}|${t.timestamp_ns as bigint}|${t.price}|${t.size}`),
    );
    expect(lateIds).toEqual(new Set(want.lateTrades.map(tradeId)));
  }, 240_000);

  test('produce: a CSV file into a real topic, each symbol on its hash partition in input order', async () => {
    const topics = await createTopics(brokers, `it-cli-produce-${uniqueId()}`);
    created.push(topics);
    const dir = mkdtempSync(join(tmpdir(), 'ripple-cli-it-'));
    const trades: Trade[] = Array.from({ length: 3000 }, (_, i) => ({
      symbol: `S${i % 37}`,
      price: 100 + (i % 13) / 4,
      size: 1 + (i % 9),
      timestampNs: 1_700_000_000_000_000_000n + BigInt(i) * 1_000_000n,
      venue: 'XNAS',
    }));
    const csv = join(dir, 'trades.csv');
    writeFileSync(
      csv,
      `symbol,price,size,timestamp_ns,venue\n${trades.map((t) => `${t.symbol},${t.price},${t.size},${t.timestampNs},${t.venue}`).join('\n')}\nbad,line\n`,
    );
    const r = await ripple([
      'produce',
      '--file',
      csv,
      '--topic',
      topics.input,
      '--batch',
      '100',
      '--rate',
      '6000',
      '--json',
    ]);
    expect(r.code, r.err).toBe(0);
    const summary = JSON.parse(r.out) as {
      trades: number;
      badLines: number;
      partitions: number;
      seconds: number;
    };
    expect(summary).toMatchObject({ trades: 3000, badLines: 1, partitions: PARTITIONS });
    expect(summary.seconds).toBeGreaterThan(0.35); // 3000 trades at 6000/s: the rate limit held (~0.5 s)
    const got = new Map<number, Trade[]>();
    for (const rec of await readAll(brokers, topics.input)) {
      got.set(rec.partition, [...(got.get(rec.partition) ?? []), ...decodeTradeBatch(rec.value as Buffer)]);
    }
    for (let p = 0; p < PARTITIONS; p++) {
      const expected = trades.filter((t) => hash32(t.symbol) % PARTITIONS === p);
      expect((got.get(p) ?? []).map(tradeId)).toEqual(expected.map(tradeId));
    }
    // A missing topic is named, not a stack trace.
    const missing = await ripple(['produce', '--synthetic', '10', '--topic', `nope-${uniqueId()}`]);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/does not exist \(--create N creates it\)/);
  }, 120_000);

  test('status: the acting coordinator answers over NATS; text and --json', async () => {
    const cluster = `it-cli-status-${uniqueId()}`;
    const { spawn } = await import('node:child_process');
    const coord = spawn(
      process.execPath,
      ['--conditions=@ripple/source', join(ROOT, 'apps/coordinator/src/main.ts')],
      {
        env: {
          ...process.env,
          RIPPLE_CLUSTER: cluster,
          RIPPLE_COORDINATOR_ID: 'it-cli-coord',
          RIPPLE_NUM_PARTITIONS: '16',
          RIPPLE_LEASE_TTL_SEC: '1',
          RIPPLE_API_PORT: '0',
          RIPPLE_HEALTH_PORT: '0',
          RIPPLE_METRICS_PORT: '0',
          OTEL_EXPORTER_OTLP_ENDPOINT: '',
        },
        stdio: 'ignore',
      },
    );
    try {
      let r = { code: 1, out: '', err: '' };
      for (let i = 0; i < 30; i++) {
        r = await ripple(['status', '--cluster', cluster, '--json', '--timeout', '1s']);
        if (r.code === 0) break;
      }
      expect(r.code, r.err).toBe(0);
      const s = JSON.parse(r.out) as { leaderId: string; numPartitions: number; unassigned: number[] };
      expect(s).toMatchObject({ leaderId: 'it-cli-coord', numPartitions: 16 });
      expect(s.unassigned.length).toBe(16);
      const text = await ripple(['status', '--cluster', cluster]);
      expect(text.code, text.err).toBe(0);
      expect(text.out).toMatch(
        /^coordinator it-cli-coord {2}epoch \d+ {2}partitions 16 {2}workers 0 {2}unassigned 16/,
      );
      // Nobody answers for an unknown cluster: exit 1 with the reason.
      const none = await ripple(['status', '--cluster', `${cluster}-none`, '--timeout', '500ms']);
      expect(none.code).toBe(1);
      expect(none.err).toMatch(/no coordinator answered on ripple\..*\.status within 500 ms/);
    } finally {
      coord.kill('SIGTERM');
      await new Promise((r) => coord.once('exit', r));
    }
  }, 120_000);
});
