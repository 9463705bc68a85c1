// Harness for end-to-end runs of the worker against real Kafka and S3: a
// deterministic trade stream with out-of-order, late and malformed records,
// an independent oracle, worker processes to start and kill, and readers for
// the output and dead-letter topics.
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { join } from 'node:path';
import { Admin, Consumer, Producer } from '@platformatic/kafka';
import {
  decodeDeltaBatch,
  decodeTradeBatch,
  SchemaRegistry,
  type Trade,
  TradeBatchEncoder,
} from '@ripple/protocol';
import { apply, type Value } from '@ripple/stream';
import { ContractConsumer, oracle, type WindowValue } from '@ripple/test-support';
import { xorshift } from '@ripple/trades';
import { VWAP_OUTPUT_SCHEMA } from '@ripple/worker';
import { eventually, sleep } from './helpers.ts';

export { xorshift };

export const PARTITIONS = 8;
export const SEC = 1_000_000_000n;
export const SENTINEL = 'ZZZZ-SENTINEL';
const ROOT = join(import.meta.dirname, '..', '..');

export interface StreamSpec {
  trades: number;
  symbols: number;
  tradesPerRecord: number;
  seed: number;
  /** One record in `malformedEvery` is garbage. */
  malformedEvery: number;
  /** Generate only this partition (the others stay empty). */
  only?: number;
}

export interface Stream {
  /** Record values per partition, in the order they are produced. */
  records: Uint8Array[][];
  /** Valid trades per partition in offset order: the oracle's input. */
  trades: Trade[][];
  /** Offsets (per partition) of the malformed records. */
  malformed: Set<string>;
  tradeCount: number;
}

/**
 * Per partition: event time advances 0..2 ms per trade; 5 % of trades are up
 * to 2 s out of order, 0.5 % are 60 s late (beyond 1 s out-of-orderness + 5 s
 * lateness: side output). A last sentinel trade an hour later closes every window.
 */
export function makeStream(spec: StreamSpec): Stream {
  const rnd = xorshift(spec.seed);
  const records: Uint8Array[][] = Array.from({ length: PARTITIONS }, () => []);
  const trades: Trade[][] = Array.from({ length: PARTITIONS }, () => []);
  const malformed = new Set<string>();
  const clock = Array.from({ length: PARTITIONS }, () => 1_700_000_000n * SEC);
  const perPartition = Math.ceil(spec.trades / PARTITIONS);
  let count = 0;
  for (let p = 0; p < PARTITIONS; p++) {
    if (spec.only !== undefined && p !== spec.only) continue;
    let made = 0;
    while (made < perPartition) {
      if (rnd() % spec.malformedEvery === 0) {
        const junk = new Uint8Array(8 + (rnd() % 64)).map(() => rnd() & 0xff);
        if (rnd() % 2 === 0) junk.set([0x52, 0x49, 0x50, 0x50]); // "RIPP" then garbage
        malformed.add(`${p}:${records[p]?.length}`);
        records[p]?.push(junk);
        continue;
      }
      const enc = new TradeBatchEncoder();
      const n = Math.min(spec.tradesPerRecord, perPartition - made);
      for (let j = 0; j < n; j++) {
        clock[p] = (clock[p] as bigint) + BigInt(rnd() % 2_000_001);
        let ts = clock[p] as bigint;
        const r = rnd() % 1000;
        if (r < 50) ts -= BigInt(rnd() % 2000) * 1_000_000n;
        else if (r < 55) ts -= 60n * SEC;
        const t: Trade = {
          symbol: `SYM${String(p + PARTITIONS * (rnd() % Math.ceil(spec.symbols / PARTITIONS))).padStart(5, '0')}`,
          price: 100 + (rnd() % 1000) / 100,
          size: 1 + (rnd() % 500),
          timestampNs: ts,
          venue: 'XNAS',
        };
        enc.add(t);
        trades[p]?.push(t);
      }
      records[p]?.push(enc.finish({ sequence: records[p]?.length ?? 0 }));
      made += n;
      count += n;
    }
    const enc = new TradeBatchEncoder();
    const sentinel: Trade = {
      symbol: SENTINEL,
      price: 1,
      size: 1,
      timestampNs: (clock[p] as bigint) + 3600n * SEC,
      venue: 'XNAS',
    };
    enc.add(sentinel);
    trades[p]?.push(sentinel);
    records[p]?.push(enc.finish({ sequence: records[p]?.length ?? 0 }));
  }
  return { records, trades, malformed, tradeCount: count };
}

/** The oracle for a stream of this harness (the sentinel only moves the watermark). */
export function streamOracle(stream: Stream, windowNs: bigint, latenessNs: bigint, oooNs: bigint) {
  return oracle(stream, windowNs, latenessNs, oooNs, SENTINEL);
}

export interface Topics {
  input: string;
  output: string;
  dlq: string;
  late: string;
}

export async function createTopics(brokers: string[], prefix: string): Promise<Topics> {
  const t = {
    input: `${prefix}-trades`,
    output: `${prefix}-out`,
    dlq: `${prefix}-dlq`,
    late: `${prefix}-trades-late`,
  };
  const admin = new Admin({ clientId: 'ripple-it', bootstrapBrokers: brokers });
  try {
    await admin.createTopics({ topics: Object.values(t), partitions: PARTITIONS, replicas: 1 });
  } finally {
    await admin.close();
  }
  return t;
}

export async function deleteTopics(brokers: string[], t: Topics): Promise<void> {
  const admin = new Admin({ clientId: 'ripple-it', bootstrapBrokers: brokers });
  try {
    await admin.deleteTopics({ topics: Object.values(t) });
  } catch {
    // best effort
  } finally {
    await admin.close();
  }
}

/** Produce every record in order per partition (sequential sends keep the order). */
/**
 * Append `records[p]` to partition p of `topic`, exactly once: an idempotent
 * producer (a request retried after a timeout is deduplicated by the broker;
 * a plain producer would write it twice and the topic would no longer be the
 * stream the oracle is computed from), then a check that every partition grew
 * by exactly its count.
 */
export async function produce(brokers: string[], topic: string, records: Uint8Array[][]): Promise<void> {
  const before = await endOffsets(brokers, topic);
  const producer = new Producer({
    clientId: 'ripple-it',
    bootstrapBrokers: brokers,
    acks: -1,
    idempotent: true,
  });
  try {
    const longest = Math.max(...records.map((r) => r.length));
    const STEP = 40;
    for (let i = 0; i < longest; i += STEP) {
      const messages = [];
      for (let p = 0; p < records.length; p++) {
        for (const v of records[p]?.slice(i, i + STEP) ?? []) {
          messages.push({ topic, partition: p, value: Buffer.from(v.buffer, v.byteOffset, v.length) });
        }
      }
      if (messages.length > 0) await producer.send({ messages });
    }
  } finally {
    await producer.close();
  }
  const after = await endOffsets(brokers, topic);
  const wrong = records
    .map((r, p) => ({ p, want: BigInt(r.length), got: (after[p] ?? 0n) - (before[p] ?? 0n) }))
    .filter((x) => x.got !== x.want);
  if (wrong.length > 0)
    throw new Error(
      `produce ${topic}: partitions did not grow by the records sent: ${wrong.map((x) => `p${x.p} +${x.got} (sent ${x.want})`).join(', ')}`,
    );
}

/** The end offset of every partition of `topic`. */
export async function endOffsets(brokers: string[], topic: string): Promise<bigint[]> {
  const consumer = new Consumer({
    clientId: 'ripple-it',
    groupId: `unused-${topic}`,
    bootstrapBrokers: brokers,
  });
  try {
    return [...((await consumer.listOffsets({ topics: [topic], timestamp: -1n })).get(topic) ?? [])];
  } finally {
    await consumer.close();
  }
}

export interface TopicRecord {
  partition: number;
  offset: bigint;
  value: Buffer | null;
  headers: Map<string, string>;
}

/**
 * Every record of a topic (all partitions, from offset 0 to the current end),
 * read committed: records of aborted transactions (a fenced zombie's) are not
 * returned, transaction markers are stepped over.
 */
export async function readAll(brokers: string[], topic: string): Promise<TopicRecord[]> {
  const consumer = new Consumer({
    clientId: 'ripple-it',
    groupId: `unused-${topic}`,
    bootstrapBrokers: brokers,
  });
  try {
    const meta = await consumer.metadata({ topics: [topic] });
    const t = meta.topics.get(topic);
    if (t === undefined) throw new Error(`no topic ${topic}`);
    const ends = await endOffsets(brokers, topic);
    const next = t.partitions.map(() => 0n);
    const out: TopicRecord[] = [];
    for (;;) {
      const want = t.partitions
        .map((pm, partition) => ({ partition, pm }))
        .filter(({ partition }) => (next[partition] as bigint) < (ends[partition] ?? 0n));
      if (want.length === 0) break;
      const res = await consumer.fetch({
        node: want[0]?.pm.leader as number,
        topics: [
          {
            topicId: t.id,
            partitions: want.map(({ partition, pm }) => ({
              partition,
              fetchOffset: next[partition] as bigint,
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
      for (const tr of res.responses) {
        for (const pr of tr.partitions) {
          if (pr.errorCode !== 0)
            throw new Error(`fetch ${topic}/${pr.partitionIndex}: error ${pr.errorCode}`);
          const start = next[pr.partitionIndex] as bigint;
          for (const b of pr.records ?? []) {
            // A transaction marker (control batch, attribute bit 5) holds no data record: step over it.
            if ((b.attributes & 0x20) !== 0) {
              const after = b.firstOffset + BigInt(b.lastOffsetDelta) + 1n;
              if (after > (next[pr.partitionIndex] as bigint)) next[pr.partitionIndex] = after;
              continue;
            }
            for (const r of b.records) {
              const offset = b.firstOffset + BigInt(r.offsetDelta);
              if (offset < start) continue;
              const headers = new Map<string, string>();
              for (const [k, v] of r.headers) if (k !== null) headers.set(k.toString(), v?.toString() ?? '');
              out.push({ partition: pr.partitionIndex, offset, value: r.value, headers });
              next[pr.partitionIndex] = offset + 1n;
            }
          }
        }
      }
    }
    return out;
  } finally {
    await consumer.close(true);
  }
}

/** Final value per (symbol, window start), and how many output records were re-emits. */
export function finalOutputs(records: TopicRecord[]): {
  windows: Map<string, WindowValue>;
  deltas: number;
  duplicates: number;
} {
  const schemas = new SchemaRegistry();
  schemas.register(VWAP_OUTPUT_SCHEMA);
  const windows = new Map<string, WindowValue>();
  const raw = new Map<string, Value>();
  const maxSeq = new Map<number, number>();
  let deltas = 0;
  let duplicates = 0;
  const sorted = [...records].sort((a, b) => a.partition - b.partition || (a.offset < b.offset ? -1 : 1));
  for (const rec of sorted) {
    const batch = decodeDeltaBatch(rec.value as Buffer, { schemas });
    for (const r of batch.records) {
      deltas++;
      const seen = maxSeq.get(r.partition) ?? -1;
      if (r.sequence <= seen) duplicates++;
      else maxSeq.set(r.partition, r.sequence);
      if (r.key === SENTINEL) continue;
      const k = `${r.key}@${r.window.startNs}`;
      const v = apply(r.delta, raw.get(k));
      if (v === undefined) {
        raw.delete(k);
        windows.delete(k);
      } else {
        raw.set(k, v);
        const w = v as unknown as WindowValue;
        windows.set(k, { vwap: w.vwap, volume: w.volume, count: w.count });
      }
    }
  }
  return { windows, deltas, duplicates };
}

// ------------------------------------------------------------ worker process

export interface WorkerProcess {
  readonly child: ChildProcess;
  readonly healthPort: number;
  readonly metricsPort: number;
  readonly exited: Promise<number | null>;
  log(): string;
}

/**
 * The environment a worker process gets: the service endpoints and the basics,
 * not the test runner's own variables (VITEST*, NODE_PATH, NODE_ENV=test, ...),
 * which a deployed worker would never see.
 */
function workerBaseEnv(): Record<string, string> {
  const keep = /^(PATH|HOME|TMPDIR|LANG|TZ|KAFKA_BROKERS|NATS_URL|S3_[A-Z_]+)$/;
  return Object.fromEntries(
    Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined && keep.test(e[0])),
  );
}

export async function startWorker(env: Record<string, string>): Promise<WorkerProcess> {
  const child = spawn(
    process.execPath,
    ['--conditions=@ripple/source', join(ROOT, 'apps/worker/src/main.ts')],
    {
      cwd: ROOT,
      env: { ...workerBaseEnv(), RIPPLE_HEALTH_PORT: '0', RIPPLE_METRICS_PORT: '0', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let log = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ports = new Promise<{ health: number; metrics: number }>((resolve, reject) => {
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      log += chunk;
      if (log.length > 2_000_000) log = log.slice(-1_000_000);
      const m = /"health":(\d+),"metrics":(\d+)[^\n]*"msg":"listening"/.exec(log);
      if (m !== null) resolve({ health: Number(m[1]), metrics: Number(m[2]) });
    });
    void exited.then((code) =>
      reject(new Error(`worker exited (${code}) before listening:\n${log.slice(-3000)}`)),
    );
  });
  const p = await ports;
  return { child, healthPort: p.health, metricsPort: p.metrics, exited, log: () => log };
}

// ------------------------------------------------------------ checkpointer process

export interface CheckpointerProcess {
  readonly child: ChildProcess;
  /** Its log lines (JSON), in order. */
  readonly logs: string[];
  readonly exited: Promise<number | null>;
}

/**
 * The checkpointer (apps/checkpointer) as a process, on the services of the
 * environment (NATS_URL, S3_*) and `env` (RIPPLE_CLUSTER, RIPPLE_S3_PREFIX, ...).
 */
export function startCheckpointer(env: Record<string, string>): CheckpointerProcess {
  const child = spawn(
    process.execPath,
    ['--conditions=@ripple/source', join(ROOT, 'apps/checkpointer/src/main.ts')],
    {
      cwd: ROOT,
      env: {
        ...workerBaseEnv(),
        RIPPLE_HOST: '127.0.0.1',
        RIPPLE_HEALTH_PORT: '0',
        RIPPLE_METRICS_PORT: '0',
        ...env,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  const logs: string[] = [];
  let buf = '';
  child.stderr?.on('data', (d: Buffer) => {
    buf += d.toString();
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      logs.push(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
    }
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, logs, exited };
}

export interface Progress {
  state: string;
  details: Array<{ partition: number; nextOffset: string | null; nextSequence: number; keys: number }> | null;
}

export async function progress(w: WorkerProcess): Promise<Progress | undefined> {
  try {
    const r = await fetch(`http://127.0.0.1:${w.healthPort}/ready`);
    return (await r.json()) as Progress;
  } catch {
    return undefined;
  }
}

export async function metric(w: WorkerProcess, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${w.metricsPort}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `))
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** One look at a running worker: its state, whether a snapshot upload is in flight, records consumed in this life. */
export interface WorkerSample {
  state: string;
  writing: boolean;
  recordsIn: number;
}

export async function sample(w: WorkerProcess): Promise<WorkerSample | undefined> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${w.metricsPort}/metrics`)).text();
    let state = 'unknown';
    let writing = false;
    let recordsIn = 0;
    for (const line of text.split('\n')) {
      const v = Number(line.slice(line.lastIndexOf(' ') + 1));
      if (line.startsWith('ripple_worker_state{') && v === 1)
        state = /state="([A-Za-z]+)"/.exec(line)?.[1] ?? state;
      else if (line.startsWith('ripple_worker_checkpoint_writing')) writing = v === 1;
      else if (line.startsWith('ripple_worker_records_in_total{')) recordsIn += v;
    }
    return { state, writing, recordsIn };
  } catch {
    return undefined;
  }
}

/**
 * Where a kill landed, from the last sample before it: `recovery` while the
 * snapshots are being restored (state Starting, or no record consumed yet in
 * this life), `checkpoint` while a snapshot upload is in flight, else
 * `steady`. (The state stays Recovering while a long backlog is replayed, so
 * the state alone does not tell recovery from processing.)
 */
export function landing(s: WorkerSample | undefined): 'recovery' | 'checkpoint' | 'steady' {
  if (s === undefined || s.state === 'starting' || s.recordsIn === 0) return 'recovery';
  return s.writing ? 'checkpoint' : 'steady';
}

/** The output topic read by the documented consumer (docs/consumer-contract.md), sentinel windows left out. */
export function contractOutputs(records: TopicRecord[]): {
  windows: Map<string, WindowValue>;
  dropped: number;
} {
  const c = new ContractConsumer(VWAP_OUTPUT_SCHEMA);
  const sorted = [...records].sort((a, b) => a.partition - b.partition || (a.offset < b.offset ? -1 : 1));
  for (const r of sorted) c.consume(r.partition, r.value as Buffer);
  const windows = new Map<string, WindowValue>();
  for (const [k, v] of c.values) {
    if (k.startsWith(`${SENTINEL}@`)) continue;
    const w = v as unknown as WindowValue;
    windows.set(k, { vwap: w.vwap, volume: w.volume, count: w.count });
  }
  return { windows, dropped: c.dropped };
}

/** Identity of a trade (the late side output holds trades, in no fixed batching). */
export const tradeId = (t: Trade): string => `${t.symbol}|${t.timestampNs}|${t.price}|${t.size}`;

/** Distinct late trades on the side topic, and how many were re-sent. */
export function lateTrades(records: TopicRecord[]): { ids: Set<string>; resent: number } {
  const ids = new Set<string>();
  let resent = 0;
  for (const r of records) {
    for (const t of decodeTradeBatch(r.value as Buffer)) {
      const id = tradeId(t);
      if (ids.has(id)) resent++;
      ids.add(id);
    }
  }
  return { ids, resent };
}

/** Wait until the worker has consumed every partition up to `ends`. */
export async function waitCaughtUp(w: WorkerProcess, ends: bigint[], timeoutMs: number): Promise<void> {
  await eventually('worker caught up', timeoutMs, async () => {
    const p = await progress(w);
    if (p?.details == null) return undefined;
    // Every partition with input must be owned and past its end (an empty list is not "caught up").
    const at = new Map(p.details.map((d) => [d.partition, BigInt(d.nextOffset ?? '-1')]));
    const done = ends.every((end, partition) => end === 0n || (at.get(partition) ?? -1n) >= end);
    return done ? true : undefined;
  });
}

export async function stopWorker(w: WorkerProcess, signal: 'SIGKILL' | 'SIGTERM'): Promise<number | null> {
  w.child.kill(signal);
  return await w.exited;
}

/** A TCP proxy to take a service "down" and bring it back (fault injection at the network seam). */
export class FlakyProxy {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  up = true;
  port = 0;
  private readonly target: { host: string; port: number };
  constructor(target: { host: string; port: number }) {
    this.target = target;
  }
  async start(): Promise<number> {
    this.server = createServer((client) => {
      if (!this.up) {
        client.destroy();
        return;
      }
      const upstream = tcpConnect(this.target.port, this.target.host);
      this.sockets.add(client).add(upstream);
      const drop = () => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      client.pipe(upstream).pipe(client);
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
    });
    await new Promise<void>((r) => this.server?.listen(0, '127.0.0.1', () => r()));
    const a = this.server.address();
    this.port = typeof a === 'object' && a !== null ? a.port : 0;
    return this.port;
  }
  down(): void {
    this.up = false;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }
  restore(): void {
    this.up = true;
  }
  async close(): Promise<void> {
    this.down();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

export { sleep };
