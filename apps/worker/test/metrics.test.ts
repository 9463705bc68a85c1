import { readFileSync } from 'node:fs';
import { TraceFlags, trace } from '@opentelemetry/api';
import { documentedMetricNames, metricConventionViolations, traceExemplar } from '@ripple/telemetry';
import { describe, expect, it } from 'vitest';
import { WorkerMetrics } from '../src/metrics.ts';
import { config, newWorker, runToEnd, world } from './memory-world.ts';

const sum = async (m: WorkerMetrics, name: string, suffix = '') =>
  ((await m.registry.getSingleMetric(name)?.get())?.values ?? [])
    .filter(
      (v) =>
        (v as { metricName?: string }).metricName === undefined ||
        (v as { metricName?: string }).metricName === `${name}${suffix}`,
    )
    .reduce((n, v) => n + v.value, 0);

describe('worker metrics', () => {
  it('follow the naming conventions and include the process defaults', async () => {
    const m = new WorkerMetrics('w-conv');
    expect(metricConventionViolations(await m.registry.getMetricsAsJSON())).toEqual([]);
    const text = await m.registry.metrics();
    for (const name of [
      'nodejs_eventloop_lag_seconds',
      'nodejs_heap_size_used_bytes',
      'process_cpu_seconds_total',
    ])
      expect(text).toMatch(new RegExp(`^${name}\\{worker="w-conv"\\} `, 'm'));
    expect(m.registry.contentType).toMatch(/^application\/openmetrics-text/);
    expect(text.endsWith('# EOF\n')).toBe(true);
  });

  it('capture and store durations are separate; the last checkpoint is a timestamp that moves', async () => {
    const w = world(400, 3);
    const cfg = config();
    const m = new WorkerMetrics(cfg.workerId);
    const wk = newWorker(w, cfg, m);
    await wk.start();
    const first = await sum(m, 'ripple_last_checkpoint_timestamp_seconds');
    await runToEnd(wk);
    expect(await wk.waitForCheckpoints(5000)).toBe(true);
    const captures = await sum(m, 'ripple_worker_checkpoint_capture_seconds', '_count');
    const stores = await sum(m, 'ripple_worker_checkpoint_store_seconds', '_count');
    expect(captures).toBeGreaterThan(0);
    // One store write per partition snapshot, one capture per (one-partition) round step.
    expect(stores).toBe(await sum(m, 'ripple_worker_checkpoints_total'));
    expect(await sum(m, 'ripple_last_checkpoint_timestamp_seconds')).toBeGreaterThan(first);
    expect(await sum(m, 'ripple_graph_stabilization_seconds', '_count')).toBeGreaterThan(0);
    // Seconds, not nanoseconds: one pipeline step of a tiny batch takes well under a second.
    const secs = await sum(m, 'ripple_graph_stabilization_seconds', '_sum');
    expect(secs / (await sum(m, 'ripple_graph_stabilization_seconds', '_count'))).toBeLessThan(1);
    await wk.drain();
  });

  it('the backpressure level is the share of time the loop waits for a slow sink', async () => {
    const w = world(200, 5);
    w.wrapSink = (sink) => ({
      close: () => sink.close(),
      send: async (records) => {
        await new Promise((r) => setTimeout(r, 15));
        await sink.send(records);
      },
    });
    const m = new WorkerMetrics('w-bp');
    const wk = newWorker(w, config(), m);
    await wk.start();
    const t0 = performance.now();
    await runToEnd(wk);
    const ran = performance.now() - t0;
    // Over a 10 s window: most of the run (measured 0.9 of it) is spent waiting for the 15 ms
    // acknowledgements; margin for a loaded machine.
    const level = await sum(m, 'ripple_transport_backpressure_level');
    expect(level).toBeGreaterThan((0.4 * ran) / 10_000);
    expect(level).toBeLessThanOrEqual(Math.min(1, ran / 10_000));
    await wk.drain();
  });

  it('the sink latency histogram carries the trace id of a sampled span as exemplar', async () => {
    const m = new WorkerMetrics('w-ex');
    const span = trace.wrapSpanContext({
      traceId: 'ab'.repeat(16),
      spanId: 'cd'.repeat(8),
      traceFlags: TraceFlags.SAMPLED,
    });
    m.sinkLatency.observe({ value: 0.003, exemplarLabels: traceExemplar(span) });
    const text = await m.registry.metrics();
    expect(text).toMatch(
      /^ripple_transport_rpc_latency_seconds_bucket\{le="0\.005",worker="w-ex"\} 1 # \{trace_id="(ab){16}",span_id="(cd){8}"\} 0\.003 /m,
    );
  });

  it('are each listed in docs/metrics.md', async () => {
    const documented = documentedMetricNames(
      readFileSync(new URL('../../../docs/metrics.md', import.meta.url), 'utf8'),
    );
    const m = new WorkerMetrics('w-doc');
    const ours = (await m.registry.getMetricsAsJSON())
      .map((j) => j.name)
      .filter((n) => n.startsWith('ripple_'));
    expect(ours.filter((n) => !documented.has(n))).toEqual([]);
  });
});
