// The operator's `ripple` command against real services, run as a process
// (the entry point an operator types): `produce` into real Kafka, `tail` of
// the output / dead-letter / late topics a real worker wrote, `status`
// from a real coordinator over NATS, and `query` / `graph` answered by a real
// worker (cluster member of a real coordinator) over NATS request/reply.
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hash32 } from '@ripple/cluster';
import { decodeTradeBatch, type Trade, TradeBatchEncoder } from '@ripple/protocol';
import { afterAll, describe, expect, test } from 'vitest';
import { requireEnv, uniqueId } from './helpers.ts';
import {
  contractOutputs,
  createTopics,
  deleteTopics,
  endOffsets,
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

  test('query and graph: a real worker owning the key answers over NATS with its exact window state', async () => {
    const id = uniqueId();
    const cluster = `it-cli-q-${id}`;
    const topics = await createTopics(brokers, `it-cli-q-${id}`);
    created.push(topics);
    // 12 symbols, each on partition hash32(symbol) mod 8 (as `ripple produce` and the CLI place keys),
    // 100 ms apart for 60 s of event time: no sentinel, so each partition's last window stays open
    const T0 = 1_700_000_000n * SEC;
    const trades: Trade[][] = Array.from({ length: PARTITIONS }, () => []);
    for (let i = 0; i < 600; i++) {
      const symbol = `Q${String(i % 12).padStart(2, '0')}`;
      const t: Trade = {
        symbol,
        price: 100 + ((i * 37) % 500) / 100,
        size: 1 + ((i * 13) % 50),
        timestampNs: T0 + BigInt(i) * 100_000_000n,
        venue: 'XNAS',
      };
      (trades[hash32(symbol) % PARTITIONS] as Trade[]).push(t);
    }
    const records = trades.map((list) => {
      const out: Uint8Array[] = [];
      for (let i = 0; i < list.length; i += 20) {
        const enc = new TradeBatchEncoder();
        for (const t of list.slice(i, i + 20)) enc.add(t);
        out.push(enc.finish({ sequence: out.length }));
      }
      return out;
    });
    await produce(brokers, topics.input, records);
    const { spawn } = await import('node:child_process');
    const coord = spawn(
      process.execPath,
      ['--conditions=@ripple/source', join(ROOT, 'apps/coordinator/src/main.ts')],
      {
        env: {
          ...process.env,
          RIPPLE_CLUSTER: cluster,
          RIPPLE_COORDINATOR_ID: 'it-cli-q-coord',
          RIPPLE_NUM_PARTITIONS: String(PARTITIONS),
          RIPPLE_HEARTBEAT_INTERVAL_SEC: '0.5',
          RIPPLE_FAILURE_DETECTION_TIMEOUT_SEC: '5',
          RIPPLE_LEASE_TTL_SEC: '1',
          RIPPLE_API_PORT: '0',
          RIPPLE_HEALTH_PORT: '0',
          RIPPLE_METRICS_PORT: '0',
          OTEL_EXPORTER_OTLP_ENDPOINT: '',
        },
        stdio: 'ignore',
      },
    );
    const worker = await startWorker({
      RIPPLE_WORKER_ID: 'it-cli-q-w',
      RIPPLE_CLUSTER: cluster,
      RIPPLE_SOURCE: 'kafka',
      RIPPLE_SNAPSHOT_STORE: 'memory',
      RIPPLE_NUM_PARTITIONS: String(PARTITIONS),
      RIPPLE_HEARTBEAT_INTERVAL_SEC: '0.5',
      RIPPLE_FAILURE_DETECTION_TIMEOUT_SEC: '5',
      RIPPLE_INPUT_TOPIC: topics.input,
      RIPPLE_OUTPUT_TOPIC: topics.output,
      RIPPLE_DLQ_TOPIC: topics.dlq,
      RIPPLE_WINDOW: '10s',
      RIPPLE_LATENESS: '0s',
      RIPPLE_OUT_OF_ORDERNESS: '0s',
      OTEL_EXPORTER_OTLP_ENDPOINT: '',
    });
    workers.push(worker);
    try {
      await waitCaughtUp(worker, await endOffsets(brokers, topics.input), 90_000);
      // the expected windows of Q03, from the trades
      const want = new Map<bigint, { pv: number; volume: number; count: number }>();
      for (const t of trades.flat())
        if (t.symbol === 'Q03') {
          const start = t.timestampNs - (t.timestampNs % (10n * SEC));
          const w = want.get(start) ?? { pv: 0, volume: 0, count: 0 };
          w.pv += t.price * t.size;
          w.volume += t.size;
          w.count++;
          want.set(start, w);
        }
      let r = { code: 1, out: '', err: '' };
      for (let i = 0; i < 40 && r.code !== 0; i++) {
        r = await ripple(['query', 'Q03', '--cluster', cluster, '--json', '--timeout', '2s', '--wait', '2s']);
        if (r.code !== 0) await new Promise((res) => setTimeout(res, 500));
      }
      expect(r.code, r.err).toBe(0);
      type W = { startNs: string; endNs: string; closed: boolean; fields: Record<string, number | string> };
      const q = JSON.parse(r.out) as {
        status: string;
        workerId: string;
        partition: number;
        windows: W[];
        lastEmitted: W | null;
      };
      expect(q).toMatchObject({
        status: 'ok',
        workerId: 'it-cli-q-w',
        partition: hash32('Q03') % PARTITIONS,
      });
      const open = q.windows.filter((w) => !w.closed);
      expect(open.length).toBe(1); // the last window: nothing after it closes it
      expect(q.lastEmitted).not.toBeNull();
      for (const w of [...open, q.lastEmitted as W]) {
        const x = want.get(BigInt(w.startNs));
        expect(x, `window ${w.startNs}`).toBeDefined();
        expect(w.fields.count).toBe(x?.count);
        expect(w.fields.volume).toBe(x?.volume);
        expect(Math.abs((w.fields.vwap as number) - (x?.pv ?? 0) / (x?.volume ?? 1))).toBeLessThan(1e-9);
      }
      expect(BigInt(q.lastEmitted?.startNs ?? 0)).toBe(BigInt(open[0]?.startNs ?? 0) - 10n * SEC);
      // text form; a key nobody traded: answered, no window
      const text = await ripple(['query', 'Q03', '--cluster', cluster]);
      expect(text.code, text.err).toBe(0);
      expect(text.out).toMatch(/^Q03: partition \d+ on it-cli-q-w/);
      expect(text.out).toMatch(/ open {5}vwap=/);
      const none = await ripple(['query', 'NOPE', '--cluster', cluster]);
      expect(none.code, none.err).toBe(0);
      expect(none.out).toContain('no window held for this key');
      // the graph of one of its partitions, capped, then all of it
      const g = await ripple(['graph', '--cluster', cluster, '--max-nodes', '1']);
      expect(g.code, g.err).toBe(0);
      expect(g.out).toMatch(/^digraph "vwap p\d+" \{/);
      expect(g.err).toMatch(
        /^# it-cli-q-w partition \d+ \(holds 8\): \d+ nodes, 0 edges, 1 drawn one by one/,
      );
      const all = await ripple(['graph', '--cluster', cluster, '--all', '--json', '--worker', 'it-cli-q-w']);
      const gj = JSON.parse(all.out) as { nodes: number; shownNodes: number };
      expect(gj.nodes).toBeGreaterThan(0);
      expect(gj.shownNodes).toBe(gj.nodes);
    } finally {
      await stopWorker(worker, 'SIGTERM');
      coord.kill('SIGTERM');
      await new Promise((res) => coord.once('exit', res));
    }
  }, 180_000);

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
