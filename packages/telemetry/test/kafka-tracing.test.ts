import { tracingChannel } from 'node:diagnostics_channel';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { startTracing } from '../src/index.ts';
import { KeepingExporter } from './keeping-exporter.ts';

// What @platformatic/kafka does around a send / a transaction step / a fetch (its diagnostic.js).
const sends = tracingChannel<string, object>('plt:kafka:producer:sends');
const transactions = tracingChannel<string, object>('plt:kafka:producer:transactions');
const call = (channel: typeof sends, ctx: object, outcome: Error | null): Promise<void> =>
  new Promise((done) => {
    channel.traceCallback(
      (cb: (e: Error | null) => void) => setImmediate(() => cb(outcome)),
      0,
      ctx,
      undefined,
      () => done(),
    );
  });

describe('Kafka client spans (diagnostics_channel)', () => {
  it('a send, a transaction step and a failed send inside a span become its children; outside any span nothing', async () => {
    const exporter = new KeepingExporter();
    const t = startTracing({ serviceName: 'k', instanceId: 'i', warn: () => {}, exporter, env: {} });
    const tracer = trace.getTracer('test');
    await call(sends, { operation: 'send', options: { messages: [{ topic: 'untraced' }] } }, null);
    const parent = tracer.startSpan('ripple.worker.batch');
    await context.with(trace.setSpan(context.active(), parent), async () => {
      await call(
        sends,
        { operation: 'send', options: { messages: [{ topic: 'out' }, { topic: 'out' }, { topic: 'dlq' }] } },
        null,
      );
      await call(transactions, { operation: 'commit' }, null);
      await call(
        sends,
        { operation: 'send', options: { messages: [{ topic: 'out' }] } },
        new Error('broker down'),
      );
    });
    parent.end();
    await t.shutdown();
    const byName = exporter.spans.filter((s) => s.name.startsWith('kafka '));
    expect(byName.map((s) => s.name)).toEqual(['kafka send', 'kafka commit', 'kafka send']);
    for (const s of byName) expect(s.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
    expect(byName[0]?.kind).toBe(SpanKind.PRODUCER);
    expect(byName[0]?.attributes).toMatchObject({
      'messaging.system': 'kafka',
      'messaging.destination.name': 'out,dlq',
      'messaging.batch.message_count': 3,
    });
    expect(byName[2]?.status.code).toBe(SpanStatusCode.ERROR);
    expect(exporter.spans.some((s) => s.attributes['messaging.destination.name'] === 'untraced')).toBe(false);
  });
});
