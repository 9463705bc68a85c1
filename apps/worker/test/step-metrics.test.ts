import { describe, expect, it } from 'vitest';
import { WorkerMetrics } from '../src/metrics.ts';
import { config, newWorker, runToEnd, world } from './memory-world.ts';

// Every declared metric is updated, with the meaning its name and help give.
describe('worker step metrics', () => {
  it('ripple_worker_trades_in_total counts every trade accepted by the job; the watermark is a timestamp in seconds and its lag wall time minus it', async () => {
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
    const values = async (name: string) =>
      (await metrics.registry.getSingleMetric(name)?.get())?.values ?? [];
    const watermark = await values('ripple_worker_watermark_timestamp_seconds');
    const lag = await values('ripple_worker_watermark_lag_seconds');
    expect(lag.length).toBeGreaterThan(0);
    expect(watermark.length).toBe(lag.length);
    // The world's event times start at the Unix epoch and span minutes: the watermark gauge holds
    // seconds (a few hundred), never the raw nanosecond watermark (1e11 and more).
    for (const v of watermark) {
      expect(v.value).toBeGreaterThan(0);
      expect(v.value).toBeLessThan(1e5);
    }
    for (const v of lag) {
      expect(Number.isFinite(v.value)).toBe(true);
      expect(Math.abs(v.value)).toBeLessThan(1e10);
    }
    await wk.drain();
  });
});
