import { silentLogger } from '@ripple/cluster';
import { describe, expect, test } from 'vitest';
import { loadConfig, startCoordinatorApp } from '../src/index.ts';

describe('coordinator app without NATS', () => {
  test('alive, not ready with the reason, retrying; closes cleanly', async () => {
    const app = await startCoordinatorApp(
      loadConfig({
        NATS_URL: 'nats://127.0.0.1:1',
        RIPPLE_COORDINATOR_ID: 'lonely',
        RIPPLE_API_PORT: '0',
        RIPPLE_HEALTH_PORT: '0',
        RIPPLE_METRICS_PORT: '0',
      }),
      silentLogger,
      {},
    );
    try {
      await new Promise((r) => setTimeout(r, 600));
      const health = await fetch(`http://127.0.0.1:${app.healthPort}/health`);
      expect(health.status).toBe(200);
      const ready = await fetch(`http://127.0.0.1:${app.healthPort}/ready`);
      expect(ready.status).toBe(503);
      expect(((await ready.json()) as { reason: string }).reason).toMatch(/^connecting to NATS/);
      const status = await fetch(`http://127.0.0.1:${app.apiPort}/status`);
      expect(status.status).toBe(503);
      const metrics = await fetch(`http://127.0.0.1:${app.metricsPort}/metrics`);
      expect(await metrics.text()).toMatch(/^ripple_coordinator_leader\{coordinator="lonely"\} 0$/m);
    } finally {
      const t0 = Date.now();
      await app.close();
      expect(Date.now() - t0).toBeLessThan(6000);
    }
  }, 20_000);
});
