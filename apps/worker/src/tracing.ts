import { trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

/**
 * OpenTelemetry SDK with OTLP/HTTP export (Jaeger accepts it on :4318). Without
 * an endpoint nothing is registered and the API stays a no-op. Export failures
 * are the SDK's to log; they never throw into the data path.
 */
export function startTracing(
  serviceName: string,
  workerId: string,
  endpoint: string | null,
): { shutdown(): Promise<void> } {
  if (endpoint === null) return { shutdown: async () => {} };
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName, 'service.instance.id': workerId }),
    spanProcessors: [
      new BatchSpanProcessor(new OTLPTraceExporter({ url: `${endpoint.replace(/\/+$/, '')}/v1/traces` }), {
        scheduledDelayMillis: 500,
      }),
    ],
  });
  provider.register();
  return {
    shutdown: async () => {
      await provider.forceFlush().catch(() => {});
      await provider.shutdown().catch(() => {});
      trace.disable();
    },
  };
}
