/**
 * An in-process cluster: coordinator replicas (CoordinatorRunner) and worker
 * agents with MemoryPartitionHosts sharing one MemorySnapshotStore, over
 * whatever ControlBus and KvStores the caller provides per process (one
 * MemoryBus for everything, or one NATS connection each). For tests,
 * benchmarks and demos; `converged()` is the definition of a settled
 * cluster the tests use.
 */

import { WorkerAgent } from './agent-runner.ts';
import type { ControlBus } from './control-bus.ts';
import { CoordinatorRunner } from './coordinator-runner.ts';
import type { KvStore } from './kv.ts';
import { MemoryPartitionHost, MemorySnapshotStore } from './memory-partition-host.ts';
import { HashRing } from './ring.ts';

export interface LocalClusterEnv {
  readonly cluster: string;
  readonly numPartitions: number;
  readonly heartbeatMs: number;
  readonly failureMs: number;
  readonly leaseTtlMs: number;
  bus(name: string): ControlBus;
  leaseKv(name: string): KvStore;
  stateKv(name: string): KvStore;
}

export class LocalCluster {
  readonly store = new MemorySnapshotStore();
  readonly coordinators = new Map<string, CoordinatorRunner>();
  readonly workers = new Map<string, { agent: WorkerAgent; host: MemoryPartitionHost }>();
  private incarnation = 0;
  readonly env: LocalClusterEnv;
  constructor(env: LocalClusterEnv) {
    this.env = env;
  }

  startCoordinator(name: string): CoordinatorRunner {
    const e = this.env;
    const c = new CoordinatorRunner({
      bus: e.bus(name),
      cluster: e.cluster,
      leaseKv: e.leaseKv(name),
      stateKv: e.stateKv(name),
      replicaId: `${name}-${this.incarnation++}`,
      numPartitions: e.numPartitions,
      heartbeatIntervalMs: e.heartbeatMs,
      failureTimeoutMs: e.failureMs,
      leaseTtlMs: e.leaseTtlMs,
    });
    c.start();
    this.coordinators.set(name, c);
    return c;
  }

  startWorker(id: string): MemoryPartitionHost {
    const e = this.env;
    const host = new MemoryPartitionHost(this.store);
    const agent = new WorkerAgent({
      bus: e.bus(id),
      cluster: e.cluster,
      host,
      workerId: id,
      incarnation: `i${this.incarnation++}`,
      heartbeatIntervalMs: e.heartbeatMs,
      shutdownGraceMs: 10 * e.failureMs,
    });
    agent.start();
    this.workers.set(id, { agent, host });
    return host;
  }

  /** SIGKILL: no handover, no more heartbeats. */
  crashWorker(id: string): void {
    this.workers.get(id)?.agent.close();
    this.workers.delete(id);
  }

  leader(): CoordinatorRunner | undefined {
    const ls = [...this.coordinators.values()].filter((c) => c.isLeader);
    if (ls.length > 1) throw new Error(`${ls.length} coordinators act at once`);
    return ls[0];
  }

  /** The converged table: every partition live on its ring owner, leader agrees, nothing moving. */
  converged(): Map<number, { workerId: string; epoch: number }> | undefined {
    const l = this.leader();
    if (l === undefined || l.machine.movesInFlight !== 0) return undefined;
    const ids = [...this.workers.keys()];
    const target = new HashRing(ids).assign(this.env.numPartitions);
    const table = new Map<number, { workerId: string; epoch: number }>();
    for (let p = 0; p < this.env.numPartitions; p++) {
      const holders = [...this.workers].filter(([, w]) => w.host.held.has(p));
      if (holders.length !== 1) return undefined;
      const [id, w] = holders[0]!;
      const o = l.machine.ownerOf(p);
      if (o.workerId !== id || target[p] !== id || w.host.held.get(p)!.epoch !== o.epoch) return undefined;
      table.set(p, { workerId: id, epoch: o.epoch });
    }
    return table;
  }

  async stop(): Promise<void> {
    for (const w of this.workers.values()) w.agent.close();
    for (const c of this.coordinators.values()) await c.stop();
  }
}
