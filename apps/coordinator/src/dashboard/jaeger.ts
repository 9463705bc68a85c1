/**
 * A trace from the Jaeger query API (`GET /api/traces/<id>`), flattened for
 * the dashboard's waterfall: spans in start order with their depth, service,
 * offset from the trace's start and duration (microseconds).
 */
export interface WaterfallSpan {
  readonly spanId: string;
  readonly name: string;
  readonly service: string;
  readonly depth: number;
  readonly startUs: number;
  readonly durationUs: number;
  readonly error: boolean;
}

interface JaegerTrace {
  spans: Array<{
    spanID: string;
    operationName: string;
    startTime: number;
    duration: number;
    processID: string;
    references?: Array<{ refType: string; spanID: string }>;
    tags?: Array<{ key: string; value: unknown }>;
  }>;
  processes: Record<string, { serviceName: string }>;
}

export class TraceNotFoundError extends Error {
  readonly code = 'trace_not_found';
  readonly retryable = true;
  constructor(traceId: string) {
    super(`trace ${traceId} is not (yet) in Jaeger`);
  }
}

export async function fetchWaterfall(jaegerUrl: string, traceId: string): Promise<WaterfallSpan[]> {
  if (!/^[0-9a-f]{32}$/.test(traceId)) throw new TraceNotFoundError(traceId);
  const r = await fetch(`${jaegerUrl.replace(/\/+$/, '')}/api/traces/${traceId}`, {
    signal: AbortSignal.timeout(5000),
  });
  if (r.status === 404) throw new TraceNotFoundError(traceId);
  if (!r.ok) throw new Error(`Jaeger answered ${r.status}`);
  const t = ((await r.json()) as { data?: JaegerTrace[] }).data?.[0];
  if (t === undefined || t.spans.length === 0) throw new TraceNotFoundError(traceId);
  return waterfall(t);
}

export function waterfall(t: JaegerTrace): WaterfallSpan[] {
  const byId = new Map(t.spans.map((s) => [s.spanID, s]));
  const parent = (s: JaegerTrace['spans'][number]) =>
    s.references?.find((r) => r.refType === 'CHILD_OF' && byId.has(r.spanID))?.spanID;
  const depth = (s: JaegerTrace['spans'][number]): number => {
    let d = 0;
    for (let p = parent(s); p !== undefined && d < 64; p = parent(byId.get(p)!)) d++;
    return d;
  };
  const t0 = Math.min(...t.spans.map((s) => s.startTime));
  // start order; a parent before its children when they start in the same microsecond
  return t.spans
    .map((s) => ({ s, d: depth(s) }))
    .sort((a, b) => a.s.startTime - b.s.startTime || a.d - b.d)
    .map(({ s, d }) => ({
      spanId: s.spanID,
      name: s.operationName,
      service: t.processes[s.processID]?.serviceName ?? '?',
      depth: d,
      startUs: s.startTime - t0,
      durationUs: s.duration,
      error: (s.tags ?? []).some((g) => g.key === 'error' && g.value === true),
    }));
}
