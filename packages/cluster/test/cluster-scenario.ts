/**
 * One scenario, two transports: the coordinator pair and worker agents with
 * in-memory partition hosts, over whatever ControlBus / KvStore the caller
 * gives (MemoryBus here; real NATS + JetStream KV in @ripple/cluster-nats'
 * integration test has its own copy of the steps it needs).
 */
import { expect } from 'vitest';
import {
  type ControlBus,
  CoordinatorRunner,
  HashRing,
  type KvStore,
  MemoryPartitionHost,
  MemorySnapshotStore,
  WorkerAgent,
} from '../src/index.ts';

export interface ScenarioEnv {
  readonly cluster: string;
  readonly numPartitions: number;
  readonly heartbeatMs: number;
  readonly failureMs: number;
  readonly leaseTtlMs: number;
  bus(name: string): ControlBus;
  leaseKv(name: string): KvStore;
  stateKv(name: string): KvStore;
}

export async function eventually<T>(what: string, timeoutMs: number, probe: () => T | undefined): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  let last: unknown;
  while (performance.now() < deadline) {
    try {
      const v = probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`${what}: not within ${timeoutMs} ms${last === undefined ? '' : ` (${String(last)})`}`);
}

export class ScenarioCluster {
  readonly store = new MemorySnapshotStore();
  readonly coordinators = new Map<string, CoordinatorRunner>();
  readonly workers = new Map<string, { agent: WorkerAgent; host: MemoryPartitionHost }>();
  private incarnation = 0;
  readonly env: ScenarioEnv;
  constructor(env: ScenarioEnv) {
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

/** The steps both transports run; returns figures for the caller to print. */
export async function runScenario(env: ScenarioEnv): Promise<Record<string, number>> {
  const c = new ScenarioCluster(env);
  const figures: Record<string, number> = {};
  const bound = env.failureMs + env.leaseTtlMs + 10 * env.heartbeatMs;
  try {
    c.startCoordinator('c0');
    c.startCoordinator('c1');
    for (const w of ['w0', 'w1', 'w2']) c.startWorker(w);
    const t0 = performance.now();
    const first = await eventually('3 workers own every partition', 3 * bound, () => c.converged());
    figures.initial_assignment_ms = Math.round(performance.now() - t0);

    // a 4th worker: only the partitions the ring gives it move, restored from the handed-off snapshots
    const w3 = c.startWorker('w3');
    const second = await eventually('4 workers', 3 * bound, () => c.converged());
    const moved = [...second].filter(([p, o]) => first.get(p)!.workerId !== o.workerId);
    expect(moved.every(([, o]) => o.workerId === 'w3')).toBe(true);
    expect(moved.length).toBeGreaterThan(0);
    expect(moved.length).toBeLessThan(env.numPartitions / 2);
    figures.moved_on_join = moved.length;
    for (const [p] of moved)
      expect(w3.log.find((l) => l.startsWith(`assign ${p} `))).toMatch(/from p\d+\/e\d+\//);

    // the acting coordinator dies: the standby takes over within the lease period, moving nothing
    const leader = c.leader()!;
    const name = [...c.coordinators].find(([, x]) => x === leader)![0];
    const tKill = performance.now();
    await leader.stop();
    c.coordinators.delete(name);
    const next = await eventually('standby takes over', 3 * env.leaseTtlMs + bound, () => c.leader());
    figures.takeover_ms = Math.round(performance.now() - tKill);
    await new Promise((r) => setTimeout(r, 4 * env.heartbeatMs));
    const third = await eventually('converged after failover', bound, () => c.converged());
    expect([...third]).toEqual([...second]); // no needless moves, same epochs
    expect(next.machine.recentRebalances().filter((r) => r.moves > 0)).toEqual([]);

    // a worker is killed: its partitions come back elsewhere within the failure timeout plus a bound
    const victims = [...third].filter(([, o]) => o.workerId === 'w1').map(([p]) => p);
    const tCrash = performance.now();
    c.crashWorker('w1');
    const fourth = await eventually('w1 partitions back', 3 * bound, () => c.converged());
    figures.failover_ms = Math.round(performance.now() - tCrash);
    for (const p of victims) expect(fourth.get(p)!.workerId).not.toBe('w1');

    // a restarted coordinator continues the epoch sequence from the KV
    const epochBefore = next.machine.currentEpoch;
    c.startCoordinator('c2');
    await next.stop();
    c.coordinators.delete([...c.coordinators].find(([, x]) => x === next)![0]);
    const third2 = await eventually('restarted replica leads', 3 * env.leaseTtlMs + bound, () => c.leader());
    expect(third2.machine.currentEpoch).toBeGreaterThanOrEqual(epochBefore);
    c.startWorker('w5');
    await eventually('converged with w5', 3 * bound, () => c.converged());
    expect(third2.machine.currentEpoch).toBeGreaterThan(epochBefore);

    // graceful shutdown hands everything over
    const w0 = c.workers.get('w0')!;
    const graceful = await w0.agent.shutdown();
    expect(graceful).toBe(true);
    expect(w0.host.held.size).toBe(0);
    c.workers.delete('w0');
    await eventually('converged without w0', 3 * bound, () => c.converged());
    // status document
    const st = c.leader()!.status();
    expect(st.partitions?.every((x) => x.workerId !== null)).toBe(true);
    expect(st.rebalances?.length).toBeGreaterThan(0);
    return figures;
  } finally {
    await c.stop();
  }
}
