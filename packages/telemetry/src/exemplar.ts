/**
 * Exemplar labels linking a histogram observation to its trace (OpenMetrics
 * `# {trace_id="…",span_id="…"}`), or none when there is no sampled span.
 */
import { type Span, trace } from '@opentelemetry/api';

export type ExemplarLabels = Record<string, string>;

/** Labels of `span` (the active span when omitted); `{}` (no exemplar) without a sampled span. */
export function traceExemplar(span: Span | undefined = trace.getActiveSpan()): ExemplarLabels {
  const sc = span?.spanContext();
  if (sc === undefined || !trace.isSpanContextValid(sc) || (sc.traceFlags & 1) === 0) return {};
  return { trace_id: sc.traceId, span_id: sc.spanId };
}

/** Labels for a trace id known without its span (e.g. a rebalance record). */
export function traceIdExemplar(traceId: string | null | undefined): ExemplarLabels {
  return traceId !== null && traceId !== undefined && /^[0-9a-f]{32}$/.test(traceId) && !/^0+$/.test(traceId)
    ? { trace_id: traceId }
    : {};
}
