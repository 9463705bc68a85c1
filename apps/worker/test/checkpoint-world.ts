// A world for the cluster-checkpoint tests of the worker: an input topic
// with SYMBOLS keys per partition, a worker (memory ports) with a real
// checkpoint participant on the in-memory bus and object store.
import type { MemoryBus } from '@ripple/cluster';
import type { MemoryObjectStore } from '@ripple/object-store';
import { checkpointLayout, type Trade, TradeBatchEncoder } from '@ripple/protocol';
import { MemorySink, MemorySnapshotStore, MemorySource, MemoryTopic } from '../src/adapters/memory.ts';
import { CheckpointParticipant } from '../src/checkpoint-participant.ts';
import { CheckpointRestore } from '../src/checkpoint-restore.ts';
import { vwapJob } from '../src/jobs/vwap/vwap-job.ts';
import { WorkerMetrics } from '../src/metrics.ts';
import { silentLogger, systemClock } from '../src/ports.ts';
import { Worker } from '../src/worker.ts';
import { config, PARTITIONS } from './memory-world.ts';

export const CLUSTER = 'ckpt-unit';
export const layout = checkpointLayout('checkpoints/ckpt-unit');
export const SYMBOLS = 300;

/** Every partition: one record per symbol (SYMBOLS keys). */
export function input(): MemoryTopic {
  const topic = new MemoryTopic('trades', PARTITIONS);
  for (let p = 0; p < PARTITIONS; p++)
    for (let s = 0; s < SYMBOLS; s++) topic.append(p, batch([trade(p, s, 1)]));
  return topic;
}

/** Records touching only 3 symbols of each of `partitions` (every partition by default). */
export function touchThree(topic: MemoryTopic, partitions?: readonly number[]): void {
  for (const p of partitions ?? Array.from({ length: PARTITIONS }, (_, i) => i))
    for (let i = 0; i < 21; i++) topic.append(p, batch([trade(p, i % 3, 2 + i)]));
}

function trade(p: number, s: number, ms: number): Trade {
  return { symbol: `P${p}S${s}`, price: 100 + s, size: 10, timestampNs: BigInt(ms) * 1_000_000n, venue: 'X' };
}

function batch(trades: Trade[]): Uint8Array {
  const e = new TradeBatchEncoder();
  for (const t of trades) e.add(t);
  return e.finish({ sequence: 0 });
}

export interface Node {
  worker: Worker;
  participant: CheckpointParticipant;
  metrics: WorkerMetrics;
  /** the worker's own snapshot store (worker checkpoint mode; unused with cluster checkpoints) */
  snapshots: MemorySnapshotStore;
}

export function node(
  bus: MemoryBus,
  store: MemoryObjectStore,
  topic: MemoryTopic,
  withRestore: boolean,
  fullEvery = 3,
): Node {
  const cfg = config({ RIPPLE_MAX_BATCH_RECORDS: '50', RIPPLE_WINDOW: '1h' });
  const metrics = new WorkerMetrics(cfg.workerId);
  const participant = new CheckpointParticipant({
    cluster: CLUSTER,
    workerId: cfg.workerId,
    inputTopic: cfg.inputTopic,
    bus,
    store,
    layout,
    policy: { fullEvery, maxIncrementRatio: 1 },
    metrics,
    logger: silentLogger,
    clock: systemClock,
  });
  const out = new Map(
    ['vwap-output', 'trades-dlq', 'trades-late'].map((n) => [n, new MemoryTopic(n, PARTITIONS)]),
  );
  const snapshots = new MemorySnapshotStore();
  let worker: Worker | null = null;
  const restorer = new CheckpointRestore({
    cluster: CLUSTER,
    job: () => (worker as Worker).job,
    inputTopic: cfg.inputTopic,
    bus,
    store,
    metrics,
    logger: silentLogger,
    lookupTimeoutMs: 500,
    backoffMs: { first: 1, max: 2 },
    maxCorruptRetries: 1,
    onRestored: (p, chain, part) => participant.adopt(p, chain, part),
  });
  worker = new Worker({
    config: cfg,
    job: vwapJob,
    source: new MemorySource(topic),
    sink: new MemorySink(out),
    store: snapshots,
    metrics,
    lateTopic: 'trades-late',
    retryBackoffMs: { first: 1, max: 4 },
    ...(withRestore ? { restorer } : {}),
  });
  participant.start(worker);
  return { worker, participant, metrics, snapshots };
}

export async function steps(w: Worker, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await w.step();
}
