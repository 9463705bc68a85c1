/**
 * The Prometheus naming conventions Ripple's metrics follow (docs/metrics.md):
 * `ripple_` prefix (or a process default: `process_`, `nodejs_`), snake case,
 * base units (seconds, bytes: no `_ns`, `_ms`, `_us`), `_total` on counters and
 * only there, no `_count`/`_sum`/`_bucket` suffix of our own (those belong to
 * histograms). prom-client's process defaults are taken as they are (some of
 * its gauges end in `_total`). Apps test their registries with it; a fresh
 * registry, since an OpenMetrics registry strips `_total` from counter names
 * once scraped.
 */
export interface DeclaredMetric {
  readonly name: string;
  /** prom-client's MetricType (an enum of strings: counter, gauge, histogram, summary). */
  readonly type: unknown;
}

const UNIT_SUFFIXES =
  /_(ns|nanoseconds|us|microseconds|ms|milliseconds|minutes|hours|kb|mb|kilobytes|megabytes)(_|$)/;

/** One line per violation (empty when every metric follows the conventions). */
export function metricConventionViolations(metrics: Iterable<DeclaredMetric>): string[] {
  const out: string[] = [];
  for (const { name, type: t } of metrics) {
    const type = String(t);
    if (/^(process|nodejs)_/.test(name)) continue; // prom-client's defaults, taken as they are
    if (!/^ripple_[a-z0-9_]+$/.test(name)) {
      out.push(`${name}: not ripple_ snake case`);
      continue;
    }
    if (UNIT_SUFFIXES.test(name)) out.push(`${name}: not in base units (seconds, bytes)`);
    const total = name.endsWith('_total');
    if (type === 'counter' && !total) out.push(`${name}: a counter must end in _total`);
    if (type !== 'counter' && total) out.push(`${name}: only counters end in _total (this is a ${type})`);
    if (/_(count|sum|bucket)$/.test(name))
      out.push(`${name}: _count/_sum/_bucket are the series of a histogram`);
  }
  return out;
}
