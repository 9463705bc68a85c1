import { describe, expect, it } from 'vitest';
import { WorkerMetrics } from '../src/metrics.ts';
import { config, newWorker, runToEnd, world } from './memory-world.ts';

// Every declared metric is updated, with the meaning its name and help give.
describe('worker step metrics', () => {
  it('ripple_worker_trades_in_total counts every trade accepted by the job; watermark lag is wall time minus the watermark', async () => {
    const w = world(400, 7);
    const cfg = config();
    const metrics = new WorkerMetrics(cfg.workerId);
    const wk = newWorker(w, cfg, metrics);
    await wk.start();
    await runToEnd(wk);
    const tradesIn =
      (await metrics.registry.getSingleMetric('ripple_worker_trades_in_total')?.get())?.values ?? [];
    const total = tradesIn.reduce((n, v) => n + v.value, 0);
    const expected = w.input.trades.reduce((n, list) => n + list.length, 0);
    expect(total).toBe(expected);
    expect(total).toBeGreaterThan(0);
    const lag =
      (await metrics.registry.getSingleMetric('ripple_worker_watermark_lag_ms')?.get())?.values ?? [];
    expect(lag.length).toBeGreaterThan(0);
    // The world's events are in 2023 (event time) and the stepping clock starts at 1970: lag is a finite
    // millisecond difference, never the raw nanosecond watermark.
    for (const v of lag) {
      expect(Number.isFinite(v.value)).toBe(true);
      expect(Math.abs(v.value)).toBeLessThan(1e13);
    }
    await wk.drain();
  });
});
