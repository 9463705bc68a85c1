import { describe, expect, test } from 'vitest';
import { runSimulation } from './sim/simulation.ts';

// The unit suite runs a small share of the seeds; CI runs thousands with
// `pnpm sim --seeds 3000` (see .ci/run). A failure names the seed to replay.
describe('deterministic cluster simulation', () => {
  test('200 seeds: invariants hold at every step and the cluster converges after healing', () => {
    const failures: string[] = [];
    let rebalances = 0;
    let failovers = 0;
    let refusedStale = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const r = runSimulation({ seed });
      rebalances += r.stats.rebalances ?? 0;
      failovers += r.stats.failovers ?? 0;
      refusedStale += r.stats.refusedStale ?? 0;
      if (!r.ok) failures.push(`seed ${seed}: ${r.violation} (replay: pnpm sim --seed ${seed} --trace)`);
    }
    expect(failures).toEqual([]);
    // the faults really happened: rebalances, coordinator failovers, stale commands refused
    expect(rebalances).toBeGreaterThan(1000);
    expect(failovers).toBeGreaterThan(200);
    expect(refusedStale).toBeGreaterThan(10);
  }, 120_000);

  test('the same seed gives the same run', () => {
    const a = runSimulation({ seed: 42, trace: true });
    const b = runSimulation({ seed: 42, trace: true });
    expect(a.log).toEqual(b.log);
    expect(a.log.length).toBeGreaterThan(100);
  });
});
