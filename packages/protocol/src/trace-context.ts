/**
 * W3C Trace Context (traceparent / tracestate) carried in NATS message
 * headers and Kafka record headers. Parsing follows the W3C rules: an
 * invalid traceparent is ignored (undefined), never an error, so a bad
 * header cannot break the data path; a tracestate is passed through only
 * with a valid traceparent and when it is at most 512 chars of at most 32
 * list members.
 */

export const TRACEPARENT = 'traceparent';
export const TRACESTATE = 'tracestate';

export interface TraceContext {
  /** 32 lowercase hex digits, not all zero */
  readonly traceId: string;
  /** 16 lowercase hex digits, not all zero (the parent span) */
  readonly spanId: string;
  /** bit 0: sampled */
  readonly traceFlags: number;
  readonly traceState?: string;
}

const HEX32 = /^[0-9a-f]{32}$/;
const HEX16 = /^[0-9a-f]{16}$/;
const HEX2 = /^[0-9a-f]{2}$/;
const ZERO32 = '0'.repeat(32);
const ZERO16 = '0'.repeat(16);

/** Parses a traceparent header; undefined when invalid. */
export function parseTraceparent(value: string | undefined | null): TraceContext | undefined {
  if (typeof value !== 'string') return undefined;
  const v = value.trim();
  if (v.length < 55) return undefined;
  const version = v.slice(0, 2);
  if (!HEX2.test(version) || version === 'ff') return undefined;
  // version 00 is exactly 55 chars; a later version may append "-..." fields
  if (version === '00' ? v.length !== 55 : v.length > 55 && v[55] !== '-') return undefined;
  if (v[2] !== '-' || v[35] !== '-' || v[52] !== '-') return undefined;
  const traceId = v.slice(3, 35);
  const spanId = v.slice(36, 52);
  const flags = v.slice(53, 55);
  if (!HEX32.test(traceId) || traceId === ZERO32) return undefined;
  if (!HEX16.test(spanId) || spanId === ZERO16) return undefined;
  if (!HEX2.test(flags)) return undefined;
  return { traceId, spanId, traceFlags: Number.parseInt(flags, 16) };
}

/** The version-00 traceparent of a context; undefined when the context is invalid. */
export function formatTraceparent(ctx: TraceContext): string | undefined {
  if (
    !HEX32.test(ctx.traceId) ||
    ctx.traceId === ZERO32 ||
    !HEX16.test(ctx.spanId) ||
    ctx.spanId === ZERO16
  ) {
    return undefined;
  }
  if (!Number.isInteger(ctx.traceFlags) || ctx.traceFlags < 0 || ctx.traceFlags > 255) return undefined;
  return `00-${ctx.traceId}-${ctx.spanId}-${ctx.traceFlags.toString(16).padStart(2, '0')}`;
}

function validTraceState(s: string): boolean {
  if (s.length === 0 || s.length > 512) return false;
  const members = s.split(',').filter((m) => m.trim() !== '');
  return (
    members.length <= 32 &&
    members.every((m) =>
      /^\s*[a-z0-9][a-z0-9_\-*/@]{0,255}=[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]\s*$/.test(
        m,
      ),
    )
  );
}

/** Writes traceparent (and tracestate) through `set`; does nothing for an invalid context. */
export function injectTraceContext(ctx: TraceContext, set: (key: string, value: string) => void): void {
  const tp = formatTraceparent(ctx);
  if (tp === undefined) return;
  set(TRACEPARENT, tp);
  if (ctx.traceState !== undefined && validTraceState(ctx.traceState)) set(TRACESTATE, ctx.traceState);
}

/** Reads a context through `get` (undefined or '' for a missing header). */
export function extractTraceContext(get: (key: string) => string | undefined): TraceContext | undefined {
  const ctx = parseTraceparent(get(TRACEPARENT));
  if (ctx === undefined) return undefined;
  const ts = get(TRACESTATE);
  return ts !== undefined && validTraceState(ts) ? { ...ctx, traceState: ts } : ctx;
}

/** The subset of NATS' `MsgHdrs` these helpers use (nats.js v2 and @nats-io/* v3). */
export interface NatsHeadersLike {
  get(key: string): string;
  set(key: string, value: string): void;
}

export function injectNatsHeaders(headers: NatsHeadersLike, ctx: TraceContext): void {
  injectTraceContext(ctx, (k, v) => headers.set(k, v));
}

export function extractNatsHeaders(headers: NatsHeadersLike | undefined): TraceContext | undefined {
  if (headers === undefined) return undefined;
  return extractTraceContext((k) => {
    const v = headers.get(k);
    return v === '' ? undefined : v;
  });
}

/** Kafka record headers as the common clients expose them (kafkajs object, Map, or list of pairs). */
export type KafkaHeaderValue = string | Uint8Array | readonly (string | Uint8Array)[] | undefined;
export type KafkaHeaders =
  | { [key: string]: KafkaHeaderValue }
  | Map<string, string | Uint8Array>
  | { key: string; value: string | Uint8Array }[];

const utf8 = new TextDecoder();

function headerText(v: KafkaHeaderValue): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return utf8.decode(v);
  // repeated header: the first value wins (W3C: a single traceparent)
  return v.length === 0 ? undefined : headerText(v[0]);
}

/** Sets traceparent/tracestate on Kafka record headers (as strings), replacing earlier values. */
export function injectKafkaHeaders(headers: KafkaHeaders, ctx: TraceContext): void {
  injectTraceContext(ctx, (k, v) => {
    if (headers instanceof Map) headers.set(k, v);
    else if (Array.isArray(headers)) {
      for (let i = headers.length - 1; i >= 0; i--) if (headers[i]!.key === k) headers.splice(i, 1);
      headers.push({ key: k, value: v });
    } else (headers as { [key: string]: KafkaHeaderValue })[k] = v;
  });
}

export function extractKafkaHeaders(headers: KafkaHeaders | undefined): TraceContext | undefined {
  if (headers === undefined) return undefined;
  return extractTraceContext((k) => {
    if (headers instanceof Map) return headerText(headers.get(k));
    if (Array.isArray(headers)) return headerText(headers.find((h) => h.key === k)?.value);
    return Object.hasOwn(headers, k)
      ? headerText((headers as { [key: string]: KafkaHeaderValue })[k])
      : undefined;
  });
}
