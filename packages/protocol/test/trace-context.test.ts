import { describe, expect, it } from 'vitest';
import {
  extractKafkaHeaders,
  extractNatsHeaders,
  formatTraceparent,
  injectKafkaHeaders,
  injectNatsHeaders,
  type KafkaHeaders,
  type NatsHeadersLike,
  parseTraceparent,
  type TraceContext,
} from '../src/index.ts';

const tp = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const ctx: TraceContext = {
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  spanId: '00f067aa0ba902b7',
  traceFlags: 1,
};

class FakeNatsHeaders implements NatsHeadersLike {
  readonly m = new Map<string, string>();
  get(k: string): string {
    return this.m.get(k) ?? '';
  }
  set(k: string, v: string): void {
    this.m.set(k, v);
  }
}

describe('W3C trace context', () => {
  it('parses and formats traceparent', () => {
    expect(parseTraceparent(tp)).toEqual(ctx);
    expect(formatTraceparent(ctx)).toBe(tp);
    // a future version may append fields
    expect(parseTraceparent(`cc${tp.slice(2)}-what-the-future-holds`)).toEqual(ctx);
  });

  it('ignores invalid traceparents', () => {
    const bad = [
      undefined,
      '',
      tp.toUpperCase(),
      `ff${tp.slice(2)}`,
      `${tp}-extra`, // version 00 has exactly 55 chars
      tp.replace('4bf92f3577b34da6a3ce929d0e0e4736', '0'.repeat(32)),
      tp.replace('00f067aa0ba902b7', '0'.repeat(16)),
      tp.replace('-01', '-0g'),
      tp.replace(/-/g, '_'),
    ];
    for (const b of bad) expect(parseTraceparent(b), String(b)).toBeUndefined();
    expect(formatTraceparent({ ...ctx, traceId: 'xyz' })).toBeUndefined();
  });

  it('travels in NATS headers', () => {
    const h = new FakeNatsHeaders();
    injectNatsHeaders(h, { ...ctx, traceState: 'ripple=abc,vendor=1' });
    expect(h.get('traceparent')).toBe(tp);
    expect(extractNatsHeaders(h)).toEqual({ ...ctx, traceState: 'ripple=abc,vendor=1' });
    expect(extractNatsHeaders(new FakeNatsHeaders())).toBeUndefined();
    expect(extractNatsHeaders(undefined)).toBeUndefined();
  });

  it('travels in Kafka record headers (object, Map, list of pairs; string or bytes)', () => {
    const forms: KafkaHeaders[] = [{}, new Map(), []];
    for (const headers of forms) {
      injectKafkaHeaders(headers, ctx);
      injectKafkaHeaders(headers, ctx); // idempotent, no duplicate header
      expect(extractKafkaHeaders(headers)).toEqual(ctx);
    }
    expect((forms[2] as unknown[]).length).toBe(1);
    expect(extractKafkaHeaders({ traceparent: new TextEncoder().encode(tp) })).toEqual(ctx);
    expect(extractKafkaHeaders({ traceparent: [tp, 'garbage'] })).toEqual(ctx);
    expect(extractKafkaHeaders({ traceparent: 'garbage' })).toBeUndefined();
    // an invalid tracestate is dropped, the traceparent kept
    expect(extractKafkaHeaders({ traceparent: tp, tracestate: 'Bad Key=1' })).toEqual(ctx);
  });
});
