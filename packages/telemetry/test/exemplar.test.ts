import { type Span, TraceFlags, trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { traceExemplar, traceIdExemplar } from '../src/index.ts';

const span = (traceFlags: number): Span =>
  trace.wrapSpanContext({ traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags });

describe('exemplars', () => {
  it('carry the trace and span id of a sampled span only', () => {
    expect(traceExemplar(span(TraceFlags.SAMPLED))).toEqual({
      trace_id: 'a'.repeat(32),
      span_id: 'b'.repeat(16),
    });
    expect(traceExemplar(span(TraceFlags.NONE))).toEqual({});
    expect(traceExemplar(undefined)).toEqual({});
    expect(
      traceExemplar(
        trace.wrapSpanContext({ traceId: '0'.repeat(32), spanId: '0'.repeat(16), traceFlags: 1 }),
      ),
    ).toEqual({});
  });
  it('accept only a valid trace id', () => {
    expect(traceIdExemplar('c'.repeat(32))).toEqual({ trace_id: 'c'.repeat(32) });
    expect(traceIdExemplar(null)).toEqual({});
    expect(traceIdExemplar('0'.repeat(32))).toEqual({});
    expect(traceIdExemplar('xyz')).toEqual({});
  });
});
