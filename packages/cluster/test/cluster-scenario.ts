/**
 * One scenario, two transports: the coordinator pair and worker agents with
 * in-memory partition hosts, over whatever ControlBus / KvStore the caller
 * gives (MemoryBus here; real NATS + JetStream KV in @ripple/cluster-nats'
 * integration test has its own copy of the steps it needs).
 */
import { expect } from 'vitest';
import { LocalCluster, type LocalClusterEnv } from '../src/index.ts';

export type ScenarioEnv = LocalClusterEnv;

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

/** The steps both transports run; returns figures for the caller to print. */
export async function runScenario(env: ScenarioEnv): Promise<Record<string, number>> {
  const c = new LocalCluster(env);
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
