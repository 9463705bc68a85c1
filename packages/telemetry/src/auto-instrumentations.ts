/**
 * The instrumentations `register.ts` enables: HTTP (node:http servers and
 * clients) and the AWS SDK v3 (S3 calls, each with its HTTP request as a
 * child). Health, readiness and metrics probes are not traced (a scrape every
 * few seconds would fill Jaeger with one-span traces), nor outgoing requests
 * made outside any span.
 */
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { AwsInstrumentation } from '@opentelemetry/instrumentation-aws-sdk';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';

const PROBES = /^\/(metrics|health|healthz|ready|readyz)(\?|$)/;

export function autoInstrumentations(): Instrumentation[] {
  return [
    new HttpInstrumentation({
      ignoreIncomingRequestHook: (req) => PROBES.test(req.url ?? ''),
      requireParentforOutgoingSpans: true,
    }),
    new AwsInstrumentation(),
  ];
}
