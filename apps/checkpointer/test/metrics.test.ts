import { readFileSync } from 'node:fs';
import { documentedMetricNames, metricConventionViolations } from '@ripple/telemetry';
import { describe, expect, it } from 'vitest';
import { CheckpointerMetrics } from '../src/metrics.ts';

describe('checkpointer metrics', () => {
  it('follow the naming conventions and include the process defaults', async () => {
    const m = new CheckpointerMetrics('conv');
    expect(metricConventionViolations(await m.registry.getMetricsAsJSON())).toEqual([]);
    const text = await m.registry.metrics();
    for (const name of [
      'nodejs_eventloop_lag_seconds',
      'nodejs_heap_size_used_bytes',
      'process_cpu_seconds_total',
    ])
      expect(text).toMatch(new RegExp(`^${name}\\{cluster="conv"\\} `, 'm'));
  });

  it('are each listed in docs/metrics.md', async () => {
    const documented = documentedMetricNames(
      readFileSync(new URL('../../../docs/metrics.md', import.meta.url), 'utf8'),
    );
    const m = new CheckpointerMetrics('doc');
    const ours = (await m.registry.getMetricsAsJSON())
      .map((j) => j.name)
      .filter((n) => n.startsWith('ripple_'));
    expect(ours.filter((n) => !documented.has(n))).toEqual([]);
  });
});
