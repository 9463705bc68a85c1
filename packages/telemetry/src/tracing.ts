/**
 * OpenTelemetry for a Ripple process: the NodeSDK, configured by the standard
 * `OTEL_*` variables (OTEL_EXPORTER_OTLP_ENDPOINT / _TRACES_ENDPOINT,
 * OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_SAMPLER and _ARG,
 * OTEL_BSP_*, OTEL_SDK_DISABLED), OTLP/HTTP to Jaeger (:4318). The app gives
 * defaults (`service.name`, `service.instance.id`) that the variables
 * override. Without an endpoint nothing is registered and the API stays a
 * no-op. Export failures go to `warn`, never into the data or control path.
 *
 * `shutdown()` flushes: every span ended before it is exported (or the export
 * failed and was reported), including a batch whose export was already under
 * way (see docs/observability.md for why spans were lost at SIGTERM before).
 */
import { context, DiagLogLevel, diag, propagation, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import {
  detectResources,
  envDetector,
  hostDetector,
  processDetector,
  type Resource,
  resourceFromAttributes,
} from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { traceKafkaClient } from './kafka-tracing.ts';

export interface TracingOptions {
  /** Default `service.name` (OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES win). */
  readonly serviceName: string;
  /** `service.instance.id`: the worker, coordinator or checkpointer id. */
  readonly instanceId: string;
  /** The app's configured OTLP endpoint (its config reads OTEL_EXPORTER_OTLP_ENDPOINT); null: from the environment. */
  readonly endpoint?: string | null;
  /** SDK warnings and export failures. */
  readonly warn: (msg: string) => void;
  /** Where the endpoint and OTEL_BSP_SCHEDULE_DELAY are read (process.env); the SDK reads the rest from process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /** Tests: export here instead of OTLP. */
  readonly exporter?: SpanExporter;
}

export interface Tracing {
  /** True when spans are recorded and exported. */
  readonly enabled: boolean;
  readonly resource: Resource | null;
  /** Export every ended span, then stop; idempotent. */
  shutdown(): Promise<void>;
}

/** The OTLP traces endpoint the options and environment name, or null (tracing off). */
export function tracesEndpoint(o: Pick<TracingOptions, 'endpoint' | 'env'>): string | null {
  const env = o.env ?? process.env;
  if ((env.OTEL_SDK_DISABLED ?? '').toLowerCase() === 'true') return null;
  if (env.OTEL_TRACES_EXPORTER?.split(',').includes('none')) return null;
  const traces = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (traces !== undefined && traces !== '') return traces;
  const base = o.endpoint ?? env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (base === undefined || base === null || base === '') return null;
  return `${base.replace(/\/+$/, '')}/v1/traces`;
}

export function startTracing(o: TracingOptions): Tracing {
  const env = o.env ?? process.env;
  const url = o.exporter === undefined ? tracesEndpoint(o) : 'test';
  if (url === null) return { enabled: false, resource: null, shutdown: async () => {} };
  const say = (...args: unknown[]) => o.warn(args.map(String).join(' '));
  diag.setLogger(
    { error: say, warn: say, info: () => {}, debug: () => {}, verbose: () => {} },
    DiagLogLevel.WARN,
  );
  // The app's defaults, then what the environment says (OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES).
  const resource = resourceFromAttributes({
    'service.name': o.serviceName,
    'service.instance.id': o.instanceId,
  })
    .merge(detectResources({ detectors: [hostDetector, processDetector] }))
    .merge(detectResources({ detectors: [envDetector] }));
  const exporter = o.exporter ?? new OTLPTraceExporter({ url });
  const delay = Number(env.OTEL_BSP_SCHEDULE_DELAY ?? 500);
  const processor = new BatchSpanProcessor(exporter, {
    scheduledDelayMillis: Number.isFinite(delay) && delay >= 0 ? delay : 500,
  });
  const sdk = new NodeSDK({
    resource,
    autoDetectResources: false,
    spanProcessors: [processor],
    // Metrics go through prom-client (/metrics), logs through pino: no OTLP metrics or logs.
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [],
  });
  sdk.start();
  // Kafka client spans from @platformatic/kafka's diagnostics channels (no instrumentation package exists)
  const untraceKafka = traceKafkaClient();
  let stopping: Promise<void> | null = null;
  return {
    enabled: true,
    resource,
    shutdown: () => {
      stopping ??= (async () => {
        untraceKafka();
        // A batch the timer already handed to the exporter is not awaited by the processor's
        // flush; the exporter's own flush waits for it (its sends in flight).
        await processor.forceFlush().catch((e: unknown) => o.warn(`trace flush failed: ${String(e)}`));
        await exporter.forceFlush?.().catch((e: unknown) => o.warn(`trace flush failed: ${String(e)}`));
        await sdk.shutdown().catch((e: unknown) => o.warn(`trace shutdown failed: ${String(e)}`));
        // Unregister the globals: the API is a no-op again (and a later start can register anew).
        trace.disable();
        context.disable();
        propagation.disable();
        diag.disable();
      })();
      return stopping;
    },
  };
}
