export { documentedMetricNames } from './documented-metrics.ts';
export { type ExemplarLabels, traceExemplar, traceIdExemplar } from './exemplar.ts';
export { type DeclaredMetric, metricConventionViolations } from './metric-conventions.ts';
export { startTracing } from './tracing.ts';
