/**
 * W3C trace context between the cluster runners and OpenTelemetry's API
 * (no SDK here: without one registered, spans are no-ops and cost nothing).
 */
import { type Context, context, type Span, TraceFlags, trace } from '@opentelemetry/api';
import { formatTraceparent, parseTraceparent, TRACEPARENT } from '@ripple/protocol';
import type { BusHeaders } from './control-bus.ts';

export const TRACER_NAME = '@ripple/cluster';

/** The context a remote traceparent header describes (the active one if none or invalid). */
export function contextFromHeaders(headers: BusHeaders): Context {
  const tc = parseTraceparent(headers[TRACEPARENT]);
  if (tc === undefined) return context.active();
  return trace.setSpanContext(context.active(), {
    traceId: tc.traceId,
    spanId: tc.spanId,
    traceFlags: tc.traceFlags,
    isRemote: true,
  });
}

/** Headers carrying a span's context; empty for a non-recording no-op span. */
export function headersOf(span: Span): Record<string, string> {
  const sc = span.spanContext();
  if (!trace.isSpanContextValid(sc)) return {};
  const tp = formatTraceparent({
    traceId: sc.traceId,
    spanId: sc.spanId,
    traceFlags: sc.traceFlags ?? TraceFlags.NONE,
  });
  return tp === undefined ? {} : { [TRACEPARENT]: tp };
}
