/**
 * `pnpm sim [--seeds N] [--from S] [--seed S [--trace]] [--json]`: runs the
 * deterministic cluster simulation over many seeds (CI: thousands), or one
 * seed with its event log. A failing seed is printed with the command that
 * replays it; the exit code is 1 if any seed failed.
 */
import { runSimulation } from './simulation.ts';

const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const json = args.includes('--json');
const one = flag('--seed');
if (one !== undefined) {
  const r = runSimulation({ seed: Number(one), trace: args.includes('--trace') });
  for (const line of r.log) process.stdout.write(`${line}\n`);
  process.stdout.write(
    `${JSON.stringify({ seed: r.seed, ok: r.ok, violation: r.violation, atMs: r.atMs, events: r.events, stats: r.stats })}\n`,
  );
  process.exit(r.ok ? 0 : 1);
}
if (args.includes('--scale')) {
  // one run at scale, no faults: 1,000 workers and 10,000 partitions through the simulated bus
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const r = runSimulation({
    seed: 1,
    workers: 1000,
    maxWorkers: 1000,
    numPartitions: 10_000,
    faults: false,
    chaosMs: 0,
    heartbeatMs: 5000,
    failureMs: 30_000,
    leaseTtlMs: 10_000,
    settleMs: 120_000,
    stopWhenConverged: true,
  });
  const cpu = process.cpuUsage(cpu0);
  const cpuS = (cpu.user + cpu.system) / 1e6;
  const hb = r.stats.heartbeats ?? 0;
  process.stdout.write(
    `${JSON.stringify({
      suite: 'cluster-sim-scale',
      ok: r.ok,
      violation: r.violation,
      workers: 1000,
      partitions: 10_000,
      converged_at_virtual_ms: r.stats.convergedAtMs,
      events: r.events,
      heartbeats_received: hb,
      rebalances: r.stats.rebalances,
      coordinator_us_per_heartbeat: Number(((r.stats.heartbeatUs ?? 0) / Math.max(1, hb)).toFixed(1)),
      slowest_coordinator_tick_ms: Number((r.stats.maxDecisionMs ?? 0).toFixed(1)),
      wall_s: Number(((performance.now() - t0) / 1000).toFixed(2)),
      cpu_s: Number(cpuS.toFixed(2)),
      cpu_us_per_event: Number(((cpuS * 1e6) / r.events).toFixed(1)),
    })}\n`,
  );
  process.exit(r.ok ? 0 : 1);
}
const seeds = Number(flag('--seeds') ?? 2000);
const from = Number(flag('--from') ?? 1);
const t0 = performance.now();
const cpu0 = process.cpuUsage();
const failed: { seed: number; violation: string | null; atMs: number }[] = [];
let events = 0;
const totals: Record<string, number> = {};
for (let s = from; s < from + seeds; s++) {
  const r = runSimulation({ seed: s });
  events += r.events;
  for (const [k, v] of Object.entries(r.stats)) {
    if (k === 'maxDecisionMs' || k === 'convergedAtMs') totals[k] = Math.max(totals[k] ?? 0, v);
    else totals[k] = (totals[k] ?? 0) + v;
  }
  if (!r.ok) {
    failed.push({ seed: s, violation: r.violation, atMs: r.atMs });
    process.stderr.write(
      `seed ${s} FAILED at ${r.atMs} ms: ${r.violation}\n  replay: pnpm sim --seed ${s} --trace\n`,
    );
  }
}
const wallS = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const summary = {
  suite: 'cluster-sim',
  seeds,
  from,
  failed: failed.length,
  failedSeeds: failed.map((f) => f.seed).slice(0, 20),
  events,
  wall_s: Number(wallS.toFixed(2)),
  cpu_s: Number(((cpu.user + cpu.system) / 1e6).toFixed(2)),
  totals,
};
process.stdout.write(json ? `${JSON.stringify(summary)}\n` : `${JSON.stringify(summary, null, 2)}\n`);
process.exit(failed.length === 0 ? 0 : 1);
