import { describe, expect, test } from 'vitest';
import { MemoryBus, MemoryKv } from '../src/index.ts';
import { runScenario } from './cluster-scenario.ts';

describe('CoordinatorRunner + WorkerAgent over the in-memory bus and KV', () => {
  test('join, coordinator failover without moves, worker crash, coordinator restart, graceful drain', async () => {
    const bus = new MemoryBus();
    const leases = new MemoryKv();
    const state = new MemoryKv();
    const figures = await runScenario({
      cluster: 'mem',
      numPartitions: 32,
      heartbeatMs: 40,
      failureMs: 300,
      leaseTtlMs: 300,
      bus: () => bus,
      leaseKv: () => leases,
      stateKv: () => state,
    });
    process.stdout.write(`${JSON.stringify(figures)}\n`);
    expect(figures.takeover_ms).toBeLessThan(300 + 2 * 30 + 250);
  }, 30_000);
});
