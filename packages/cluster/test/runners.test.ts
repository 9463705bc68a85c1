import { describe, expect, test } from 'vitest';
import { CoordinatorRunner, encodeStateDoc, MemoryBus, MemoryKv } from '../src/index.ts';
import { runScenario } from './cluster-scenario.ts';

describe('CoordinatorRunner + WorkerAgent over the in-memory bus and KV', () => {
  test('join, coordinator failover without moves, worker crash, coordinator restart, graceful drain', async () => {
    const bus = new MemoryBus();
    const leases = new MemoryKv();
    const state = new MemoryKv();
    const figures = await runScenario({
      cluster: 'mem',
      numPartitions: 32,
      heartbeatMs: 50,
      failureMs: 800,
      leaseTtlMs: 400,
      bus: () => bus,
      leaseKv: () => leases,
      stateKv: () => state,
    });
    process.stdout.write(`${JSON.stringify(figures)}\n`);
    // ttl + two checks, with slack for the shared machine running other suites
    expect(figures.takeover_ms).toBeLessThan(400 + 2 * 40 + 1000);
  }, 30_000);
});

describe('CoordinatorRunner with a stored state of another partition count', () => {
  test('holds the lease but does not act, and says why', async () => {
    const bus = new MemoryBus();
    const leases = new MemoryKv();
    const state = new MemoryKv();
    state.updateSync(
      'coordinator',
      encodeStateDoc({
        v: 1,
        epoch: 7,
        numPartitions: 4,
        owners: [null, null, null, null],
        epochs: [0, 0, 0, 0],
      }),
      0,
    );
    const r = new CoordinatorRunner({
      bus,
      cluster: 'mismatch',
      leaseKv: leases,
      stateKv: state,
      replicaId: 'c0',
      numPartitions: 8,
      heartbeatIntervalMs: 20,
      failureTimeoutMs: 200,
      leaseTtlMs: 200,
    });
    r.start();
    try {
      const deadline = Date.now() + 5000;
      while (r.blockedReason === null && Date.now() < deadline) await new Promise((x) => setTimeout(x, 10));
      expect(r.blockedReason).toMatch(/numPartitions: 8 differs from the stored cluster state \(4\)/);
      expect(r.isLeader).toBe(false);
      expect(r.machine.currentEpoch).toBe(0);
    } finally {
      await r.stop();
    }
  });
});
