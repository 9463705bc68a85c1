/**
 * Kafka client spans. @platformatic/kafka has no OpenTelemetry
 * instrumentation package; it publishes its operations on node's
 * diagnostics_channel tracing channels (`plt:kafka:<name>`: `start` when the
 * call is made, `error`, `asyncStart` when its callback runs). Each traced
 * call becomes a span — `kafka send` (PRODUCER), `kafka <transaction step>`
 * (CLIENT), `kafka fetch` (CONSUMER) — child of the span active when the call
 * was made. Calls made outside any span are not traced: an idle consumer
 * fetches every half second, and a root trace each would drown the others.
 */
import { tracingChannel } from 'node:diagnostics_channel';
import { context, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';

interface KafkaOperation {
  readonly operation?: unknown;
  readonly options?: unknown;
  error?: unknown;
}

const CHANNELS: ReadonlyArray<readonly [string, string | null, SpanKind]> = [
  ['plt:kafka:producer:sends', 'send', SpanKind.PRODUCER],
  ['plt:kafka:producer:transactions', null, SpanKind.CLIENT],
  ['plt:kafka:consumer:fetches', 'fetch', SpanKind.CONSUMER],
];

/** Topics a send names (its messages' topics). */
function topicsOf(options: unknown): string[] {
  const messages = (options as { messages?: unknown } | undefined)?.messages;
  if (!Array.isArray(messages)) return [];
  return [
    ...new Set(messages.map((m) => (m as { topic?: unknown }).topic).filter((t) => typeof t === 'string')),
  ] as string[];
}

/** Subscribes to the client's channels; returns the unsubscribe. */
export function traceKafkaClient(): () => void {
  const tracer = trace.getTracer('@ripple/telemetry/kafka');
  const spans = new WeakMap<object, Span>();
  const finish = (op: KafkaOperation) => {
    const span = spans.get(op);
    if (span === undefined) return;
    spans.delete(op);
    if (op.error !== undefined) {
      span.recordException(op.error instanceof Error ? op.error : String(op.error));
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
    span.end();
  };
  const unsubscribes = CHANNELS.map(([name, fixed, kind]) => {
    const channel = tracingChannel<string, KafkaOperation>(name);
    const handlers = {
      start: (op: KafkaOperation) => {
        const active = context.active();
        if (trace.getSpan(active) === undefined) return;
        const operation = fixed ?? (typeof op.operation === 'string' ? op.operation : 'call');
        const topics = topicsOf(op.options);
        const messages = (op.options as { messages?: unknown } | undefined)?.messages;
        spans.set(
          op,
          tracer.startSpan(
            `kafka ${operation}`,
            {
              kind,
              attributes: {
                'messaging.system': 'kafka',
                'messaging.operation.name': operation,
                ...(topics.length > 0 ? { 'messaging.destination.name': topics.join(',') } : {}),
                ...(Array.isArray(messages) ? { 'messaging.batch.message_count': messages.length } : {}),
              },
            },
            active,
          ),
        );
      },
      // a call that threw before its callback: `error` then `end`, no `asyncStart`
      end: (op: KafkaOperation) => {
        if (op.error !== undefined) finish(op);
      },
      asyncStart: finish,
      asyncEnd: () => {},
      error: () => {},
    };
    channel.subscribe(handlers);
    return () => channel.unsubscribe(handlers);
  });
  return () => {
    for (const u of unsubscribes) u();
  };
}
