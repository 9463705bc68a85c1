import { DiagLogLevel, diag, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

/**
 * OpenTelemetry SDK with OTLP/HTTP export (Jaeger accepts it on :4318). Without
 * an endpoint nothing is registered and the API stays a no-op. Export failures
 * never throw into the data path; the SDK's warnings and errors (failed
 * exports, dropped spans) go to `warn`, i.e. the process's log. Used by the
 * worker and the checkpointer (one trace per checkpoint spans both).
 */
export function startTracing(
  serviceName: string,
  instanceId: string,
  endpoint: string | null,
  warn: (msg: string) => void = () => {},
): { shutdown(): Promise<void> } {
  if (endpoint === null) return { shutdown: async () => {} };
  const say = (...args: unknown[]) => warn(args.map(String).join(' '));
  diag.setLogger(
    { error: say, warn: say, info: () => {}, debug: () => {}, verbose: () => {} },
    DiagLogLevel.WARN,
  );
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName, 'service.instance.id': instanceId }),
    spanProcessors: [
      new BatchSpanProcessor(new OTLPTraceExporter({ url: `${endpoint.replace(/\/+$/, '')}/v1/traces` }), {
        scheduledDelayMillis: 500,
      }),
    ],
  });
  provider.register();
  return {
    shutdown: async () => {
      await provider.forceFlush().catch((e: unknown) => warn(`trace flush failed: ${String(e)}`));
      await provider.shutdown().catch((e: unknown) => warn(`trace shutdown failed: ${String(e)}`));
      trace.disable();
    },
  };
}
