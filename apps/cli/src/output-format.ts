/**
 * Output records of `ripple vwap`, one line per emitted delta.
 *
 * ndjson: `{"symbol","window_start_ns","window_end_ns","vwap","volume","count","delta","partition","seq"}`.
 * Nanosecond times are written as exact JSON integers (they exceed 2^53: parse
 * them as big integers if you need every digit). `delta` is `set` (first value
 * of a window), `patch` (a correction: the record shows the corrected values)
 * or `remove` (a session merged into another; only key fields). An empty
 * window is never emitted, so `vwap` is always a number.
 *
 * csv: the same fields in that order, after a plain header line; a symbol
 * with a comma, quote or newline is quoted (RFC 4180), which `splitCsvLine`
 * of @ripple/trades reads back.
 */
import type { OutputDelta, Value } from '@ripple/stream';
import { csvField } from '@ripple/trades';

export type OutputFormat = 'csv' | 'ndjson';

export const CSV_HEADER = 'symbol,window_start_ns,window_end_ns,vwap,volume,count,delta,partition,seq';

type Rec = Record<string, Value>;

function num(v: Value | undefined): string {
  return typeof v === 'number' && Number.isFinite(v) ? String(v) : typeof v === 'bigint' ? String(v) : 'null';
}

export function formatDelta(d: OutputDelta<Value>, format: OutputFormat): string {
  const symbol = d.windowKey;
  const v = d.value as Rec | null;
  if (format === 'ndjson') {
    if (v === null) {
      return `{"symbol":${JSON.stringify(symbol)},"window_start_ns":${d.windowStartNs},"delta":"remove","partition":${d.partition},"seq":${d.seq}}`;
    }
    return `{"symbol":${JSON.stringify(symbol)},"window_start_ns":${num(v.window_start_ns)},"window_end_ns":${num(v.window_end_ns)},"vwap":${num(v.vwap)},"volume":${num(v.volume)},"count":${num(v.count)},"delta":"${d.delta.kind}","partition":${d.partition},"seq":${d.seq}}`;
  }
  const sym = csvField(symbol);
  if (v === null) return `${sym},${d.windowStartNs},,,,,remove,${d.partition},${d.seq}`;
  return `${sym},${num(v.window_start_ns)},${num(v.window_end_ns)},${num(v.vwap)},${num(v.volume)},${num(v.count)},${d.delta.kind},${d.partition},${d.seq}`;
}
