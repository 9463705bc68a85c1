import { decodeDeltaBatch, SchemaRegistry, type Trade, TradeBatchEncoder } from '@ripple/protocol';
import { apply, type Value } from '@ripple/stream';
import { ContractConsumer } from '@ripple/test-support';
import { xorshift } from '@ripple/trades';
import { MemorySink, MemorySnapshotStore, MemorySource, MemoryTopic } from '../src/adapters/memory.ts';
import { loadConfig, type WorkerConfig } from '../src/config.ts';
import { VWAP_OUTPUT_SCHEMA } from '../src/jobs/vwap/schemas.ts';
import { vwapJob } from '../src/jobs/vwap/vwap-job.ts';
import { WorkerMetrics } from '../src/metrics.ts';
import type { Clock, RecordSink, RecordSource } from '../src/ports.ts';
import { Worker } from '../src/worker.ts';

// A world of in-memory ports for worker tests: a seeded input topic (with
// out-of-order, late and malformed records), output/DLQ/late topics, a
// snapshot store, and readers of the output.

export const PARTITIONS = 3;
export const SEC = 1_000_000_000n;

export interface Input {
  topic: MemoryTopic;
  /** Valid trades per partition in offset order (the oracle's input). */
  trades: Trade[][];
  malformed: number;
}

/** Trades over 4 symbols per partition (3 partitions by default); event time mostly increasing, some out of order, some very late; some garbage records. */
export function produce(records: number, seed: number, partitions = PARTITIONS): Input {
  const rnd = xorshift(seed);
  const topic = new MemoryTopic('trades', partitions);
  const trades: Trade[][] = Array.from({ length: partitions }, () => []);
  const clock: bigint[] = Array.from({ length: partitions }, () => 0n);
  let malformed = 0;
  for (let i = 0; i < records; i++) {
    const partition = rnd() % partitions;
    if (rnd() % 40 === 0) {
      const junk = new Uint8Array(1 + (rnd() % 50)).map(() => rnd() & 0xff);
      if (rnd() % 2 === 0) junk[0] = 0x52; // looks like a frame, is not
      topic.append(partition, junk);
      malformed++;
      continue;
    }
    const enc = new TradeBatchEncoder();
    const n = 1 + (rnd() % 20);
    const batch: Trade[] = [];
    for (let j = 0; j < n; j++) {
      clock[partition] = (clock[partition] as bigint) + BigInt(rnd() % 400) * 1_000_000n; // 0..400 ms
      let ts = clock[partition] as bigint;
      const r = rnd() % 100;
      if (r < 10)
        ts -= BigInt(rnd() % 3000) * 1_000_000n; // out of order, within 3 s
      else if (r < 12) ts -= 90n * SEC; // far beyond lateness: side output
      if (ts < 0n) ts = 0n;
      const t: Trade = {
        symbol: `S${partition}${rnd() % 4}`,
        price: 100 + (rnd() % 1000) / 10,
        size: 1 + (rnd() % 300),
        timestampNs: ts,
        venue: 'XNAS',
      };
      enc.add(t);
      batch.push(t);
    }
    topic.append(partition, enc.finish({ sequence: i }));
    trades[partition]?.push(...batch);
  }
  return { topic, trades, malformed };
}

/** A test config; with `RIPPLE_CLUSTER` among the overrides, a cluster member (no static partitions). */
export function config(overrides: Record<string, string> = {}): WorkerConfig {
  return loadConfig({
    RIPPLE_WORKER_ID: 'w-test',
    RIPPLE_SOURCE: 'memory',
    RIPPLE_SNAPSHOT_STORE: 'memory',
    RIPPLE_NUM_PARTITIONS: String(PARTITIONS),
    ...(overrides.RIPPLE_CLUSTER === undefined ? { RIPPLE_PARTITIONS: `0-${PARTITIONS - 1}` } : {}),
    RIPPLE_WINDOW: '10s',
    RIPPLE_LATENESS: '5s',
    RIPPLE_OUT_OF_ORDERNESS: '1s',
    RIPPLE_MAX_BATCH_RECORDS: '7',
    RIPPLE_CHECKPOINT_INTERVAL_SEC: '1',
    ...overrides,
  });
}

/** A clock that advances 300 ms per reading: checkpoints happen every few steps, deterministically. */
export function steppingClock(): Clock {
  let ms = 0;
  return {
    nowMs: () => (ms += 300),
    nowNs: () => BigInt(ms) * 1_000_000n,
  };
}

export type { MemoryTopic };

export interface World {
  /** The sink refuses records bigger than this (a broker's message.max.bytes). */
  maxRecordBytes?: number;
  /** Fault injection at the seams: wrap the sink or the source a worker gets. */
  wrapSink?: (s: RecordSink) => RecordSink;
  wrapSource?: (s: RecordSource) => RecordSource;
  /** Whether the in-memory source's polls are interrupted by a reposition (default true, like Kafka's). */
  interruptiblePoll?: boolean;
  input: Input;
  out: MemoryTopic;
  dlq: MemoryTopic;
  late: MemoryTopic;
  store: MemorySnapshotStore;
}

export function world(records: number, seed: number): World {
  return {
    input: produce(records, seed),
    out: new MemoryTopic('vwap-output', PARTITIONS),
    dlq: new MemoryTopic('trades-dlq', PARTITIONS),
    late: new MemoryTopic('trades-late', PARTITIONS),
    store: new MemorySnapshotStore(),
  };
}

export function newWorker(w: World, cfg = config(), metrics = new WorkerMetrics(cfg.workerId)): Worker {
  const topics = new Map([w.out, w.dlq, w.late].map((t) => [t.name, t]));
  return new Worker({
    config: cfg,
    job: vwapJob,
    source: (w.wrapSource ?? ((s) => s))(
      new MemorySource(w.input.topic, { interruptiblePoll: w.interruptiblePoll ?? true }),
    ),
    sink: (w.wrapSink ?? ((s) => s))(new MemorySink(topics, w.maxRecordBytes)),
    store: w.store,
    metrics,
    clock: steppingClock(),
    lateTopic: 'trades-late',
    retryBackoffMs: { first: 1, max: 4 },
  });
}

/** Final value per (symbol, window) from the output topic, plus how many records were re-emits. */
export function finalValues(out: MemoryTopic): {
  values: Map<string, unknown>;
  records: number;
  duplicates: number;
} {
  const schemas = new SchemaRegistry();
  schemas.register(VWAP_OUTPUT_SCHEMA);
  const values = new Map<string, Value>();
  let records = 0;
  let duplicates = 0;
  for (const part of out.partitions) {
    let maxSeq = -1;
    for (const rec of part) {
      const batch = decodeDeltaBatch(rec.value as Uint8Array, { schemas });
      for (const r of batch.records) {
        records++;
        if (r.sequence <= maxSeq) duplicates++;
        maxSeq = Math.max(maxSeq, r.sequence);
        const k = `${r.key}@${r.window.startNs}`;
        const v = apply(r.delta, values.get(k));
        if (v === undefined) values.delete(k);
        else values.set(k, v);
      }
    }
  }
  return { values, records, duplicates };
}

export async function runToEnd(wk: Worker): Promise<void> {
  while ((await wk.step()) > 0) {}
  await wk.flushWindows();
}

/** The output topic read by the documented consumer (docs/consumer-contract.md). */
export function contractConsumer(out: MemoryTopic): {
  values: Map<string, Value>;
  dropped: number;
  sequences: number[][];
} {
  const c = new ContractConsumer(VWAP_OUTPUT_SCHEMA);
  out.partitions.forEach((part, partition) => {
    for (const rec of part) c.consume(partition, rec.value as Uint8Array);
  });
  return {
    values: c.values,
    dropped: c.dropped,
    sequences: out.partitions.map((_, p) => c.applied.get(p) ?? []),
  };
}
