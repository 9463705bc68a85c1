import { describe, expect, it } from 'vitest';
import { metricConventionViolations } from '../src/index.ts';

describe('metric naming conventions', () => {
  it('accept conventional names', () => {
    expect(
      metricConventionViolations([
        { name: 'ripple_graph_stabilization_seconds', type: 'histogram' },
        { name: 'ripple_worker_records_in_total', type: 'counter' },
        { name: 'ripple_graph_nodes', type: 'gauge' },
        { name: 'process_cpu_seconds_total', type: 'counter' },
        { name: 'nodejs_eventloop_lag_p99_seconds', type: 'gauge' },
        { name: 'nodejs_active_handles_total', type: 'gauge' },
      ]),
    ).toEqual([]);
  });
  it('name each violation', () => {
    const v = metricConventionViolations([
      { name: 'ripple_graph_stabilization_ns', type: 'histogram' },
      { name: 'ripple_worker_records_in', type: 'counter' },
      { name: 'ripple_graph_node_count', type: 'gauge' },
      { name: 'ripple_worker_watermark_lag_ms', type: 'gauge' },
      { name: 'ripple_worker_age_total', type: 'gauge' },
      { name: 'RippleThing', type: 'gauge' },
    ]);
    expect(v).toEqual([
      'ripple_graph_stabilization_ns: not in base units (seconds, bytes)',
      'ripple_worker_records_in: a counter must end in _total',
      'ripple_graph_node_count: _count/_sum/_bucket are the series of a histogram',
      'ripple_worker_watermark_lag_ms: not in base units (seconds, bytes)',
      'ripple_worker_age_total: only counters end in _total (this is a gauge)',
      'RippleThing: not ripple_ snake case',
    ]);
  });
});
