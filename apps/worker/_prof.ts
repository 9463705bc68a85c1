import { makeStream } from '../../tests/integration/worker-harness.ts';
import { MemorySink, MemorySnapshotStore, MemorySource, MemoryTopic } from './src/adapters/memory.ts';
import { loadConfig } from './src/config.ts';
import { WorkerMetrics } from './src/metrics.ts';
import { Worker } from './src/worker.ts';

const stream = makeStream({
  trades: 1_000_000,
  symbols: 2000,
  tradesPerRecord: 500,
  seed: 1,
  malformedEvery: 1_000_000,
});
for (let round = 0; round < 3; round++) {
  const input = new MemoryTopic('trades', 8);
  stream.records.forEach((rs, p) => rs.forEach((r) => input.append(p, r)));
  const topics = new Map(
    ['vwap-output', 'trades-dlq', 'trades-late'].map((t) => [t, new MemoryTopic(t, 8)] as const),
  );
  const cfg = loadConfig({
    RIPPLE_WORKER_ID: 'p',
    RIPPLE_SOURCE: 'memory',
    RIPPLE_SNAPSHOT_STORE: 'memory',
    RIPPLE_NUM_PARTITIONS: '8',
    RIPPLE_PARTITIONS: '0-7',
    RIPPLE_CHECKPOINT_INTERVAL_SEC: '1',
  });
  const w = new Worker({
    config: cfg,
    source: new MemorySource(input),
    sink: new MemorySink(topics),
    store: new MemorySnapshotStore(),
    metrics: new WorkerMetrics('p'),
    lateTopic: 'trades-late',
  });
  await w.start();
  const t0 = performance.now();
  while ((await w.step()) > 0) {}
  await w.settle();
  const s = (performance.now() - t0) / 1000;
  console.log(`round ${round}: ${(stream.tradeCount / s / 1e6).toFixed(2)}M trades/s (${s.toFixed(2)} s)`);
}
