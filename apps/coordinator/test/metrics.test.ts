import { readFileSync } from 'node:fs';
import { documentedMetricNames, metricConventionViolations } from '@ripple/telemetry';
import { describe, expect, it } from 'vitest';
import { CoordinatorMetrics } from '../src/metrics.ts';

describe('coordinator metrics', () => {
  it('follow the naming conventions and include the process defaults', async () => {
    const m = new CoordinatorMetrics('c-conv');
    expect(metricConventionViolations(await m.registry.getMetricsAsJSON())).toEqual([]);
    const text = await m.registry.metrics();
    for (const name of [
      'nodejs_eventloop_lag_seconds',
      'nodejs_heap_size_used_bytes',
      'process_cpu_seconds_total',
    ])
      expect(text).toMatch(new RegExp(`^${name}\\{coordinator="c-conv"\\} `, 'm'));
  });

  it('the rebalance duration carries the rebalance trace id as exemplar', async () => {
    const m = new CoordinatorMetrics('c-ex');
    const record = { traceId: 'ef'.repeat(16) } as Parameters<
      NonNullable<ReturnType<CoordinatorMetrics['observer']>['rebalanceFinished']>
    >[0];
    m.observer().rebalanceFinished?.(record, 200);
    expect(await m.registry.metrics()).toMatch(
      /^ripple_coordinator_rebalance_duration_seconds_bucket\{le="0\.25",coordinator="c-ex"\} 1 # \{trace_id="(ef){16}"\} 0\.2 /m,
    );
  });

  it('are each listed in docs/metrics.md', async () => {
    const documented = documentedMetricNames(
      readFileSync(new URL('../../../docs/metrics.md', import.meta.url), 'utf8'),
    );
    const m = new CoordinatorMetrics('c-doc');
    const ours = (await m.registry.getMetricsAsJSON())
      .map((j) => j.name)
      .filter((n) => n.startsWith('ripple_'));
    expect(ours.filter((n) => !documented.has(n))).toEqual([]);
  });
});
