export { documentedMetricNames } from './documented-metrics.ts';
export { type ExemplarLabels, traceExemplar, traceIdExemplar } from './exemplar.ts';
export {
  createLogger,
  type LogFields,
  type LoggerOptions,
  LogLevelError,
  logLevel,
  type RippleLogger,
} from './logger.ts';
export { type DeclaredMetric, metricConventionViolations } from './metric-conventions.ts';
export { startTracing, type Tracing, type TracingOptions, tracesEndpoint } from './tracing.ts';
