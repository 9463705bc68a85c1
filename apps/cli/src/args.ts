/**
 * Arguments of `ripple vwap`: parsed into typed options with documented
 * defaults; anything unusable is a `UsageError` naming the option.
 */
import { parseDuration, type WindowSpec } from '@ripple/stream';
import { UsageError } from './errors.ts';
import type { OutputFormat } from './output-format.ts';

export type InputSpec =
  | { readonly kind: 'synthetic'; readonly events: number; readonly symbols: number }
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'stdin' };

export interface VwapOptions {
  readonly input: InputSpec;
  readonly window: WindowSpec;
  readonly latenessNs: bigint;
  readonly outOfOrderNs: bigint;
  readonly idleTimeoutNs: bigint;
  readonly partitions: number;
  readonly format: OutputFormat;
  readonly out: string | null;
  readonly lateOut: string | null;
  readonly batchSize: number;
  readonly progress: 'auto' | 'always' | 'never';
}

export const HELP = `ripple vwap: volume-weighted average price per symbol and event-time window.

Usage:
  pnpm ripple vwap (--synthetic N | --file PATH | --stdin) [options]

Input (exactly one):
  --synthetic N         N deterministic trades: symbols SYM0000..SYM0099 (see --symbols),
                        one event per 1 ms of event time, prices 100.0..110.0 in 0.1 steps
  --file PATH           trades from a CSV file
  --stdin               trades from standard input
  Trade CSV (no header): symbol,price,size,timestamp_ns,venue
    e.g. SYM0001,100.5,200,1700000000000000000,XNAS
    Lines starting with '#' and blank lines are skipped.

Windows (event time; a window is emitted when the watermark passes its end):
  --window D            window size, tumbling by default (default 60s)
  --slide D             sliding (hopping) windows of --window every D (window must be a multiple of D)
  --session-gap D       session windows instead: a key's run of events with gaps < D
  --out-of-order D      watermark = max event time seen - D (per partition; default 0)
  --lateness D          allowed lateness: events up to D after a window's end correct it and the window
                        is emitted again (default 0); later events are "late": counted, reported on
                        stderr (first 100) and written to --late-out if given, never silently dropped
  --idle-timeout D      a partition whose latest event is D behind the newest event of the stream is
                        idle: its watermark follows the stream's, so its windows close (default 60s)
  --partitions N        key partitions (own watermark and sequence numbers each; default 8)
  Durations: 60s, 500ms, 1m, 2h, 250us or integer nanoseconds.

Output (one record per emitted delta; the last record of a (symbol, window) is its final value):
  --format csv|ndjson   csv (default; '#' header line) or one JSON object per line with
                        symbol, window_start_ns, window_end_ns, vwap, volume, count,
                        delta (set | patch = correction | remove = merged session), partition, seq
  --out PATH            write to PATH (default stdout)
  --late-out PATH       write late events there, in the input CSV format
  --batch N             events per graph stabilization (default 4096)
  --progress auto|always|never
                        progress line on stderr (events/s, watermark lag); auto = when stderr is a terminal

Bad input: a malformed line (wrong field count, bad or non-positive price, non-integer or non-positive
size, NaN, timestamp not an integer in [0, 2^63-1] ns) is reported on stderr with its line number and
reason, counted in the summary, and skipped; processing continues.

Exit status: 0 on success (even with bad lines or late events), 2 for unusable arguments,
1 for unreadable input or unwritable output.
`;

function value(argv: readonly string[], i: number, name: string): string {
  const v = argv[i + 1];
  if (v === undefined || v.startsWith('--')) throw new UsageError(`${name} needs a value`, name);
  return v;
}

function duration(text: string, name: string): bigint {
  try {
    return parseDuration(text, name);
  } catch (cause) {
    throw new UsageError(
      `${name}: ${JSON.stringify(text)} is not a duration (e.g. 60s, 500ms, 1m)`,
      name,
      cause,
    );
  }
}

function positiveInt(text: string, name: string, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^\d+$/.test(text))
    throw new UsageError(`${name}: ${JSON.stringify(text)} is not a positive integer`, name);
  const n = Number(text);
  if (n < 1 || n > max) throw new UsageError(`${name}: must be 1..${max} (got ${text})`, name);
  return n;
}

/** Parse the arguments after `vwap`. Returns null for `--help`. */
export function parseVwapArgs(argv: readonly string[]): VwapOptions | null {
  let input: InputSpec | null = null;
  let symbols = 100;
  let windowNs = 60_000_000_000n;
  let slideNs: bigint | null = null;
  let gapNs: bigint | null = null;
  let latenessNs = 0n;
  let outOfOrderNs = 0n;
  let idleTimeoutNs = 60_000_000_000n;
  let partitions = 8;
  let format: OutputFormat = 'csv';
  let out: string | null = null;
  let lateOut: string | null = null;
  let batchSize = 4096;
  let progress: VwapOptions['progress'] = 'auto';
  const setInput = (i: InputSpec, name: string) => {
    if (input !== null)
      throw new UsageError(`${name}: give exactly one of --synthetic, --file, --stdin`, name);
    input = i;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    switch (a) {
      case '--help':
      case '-h':
        return null;
      case '--synthetic':
        setInput({ kind: 'synthetic', events: positiveInt(value(argv, i, a), a), symbols: 0 }, a);
        i++;
        break;
      case '--symbols':
        symbols = positiveInt(value(argv, i++, a), a, 1_000_000);
        break;
      case '--file':
        setInput({ kind: 'file', path: value(argv, i, a) }, a);
        i++;
        break;
      case '--stdin':
        setInput({ kind: 'stdin' }, a);
        break;
      case '--window':
        windowNs = duration(value(argv, i++, a), a);
        break;
      case '--slide':
        slideNs = duration(value(argv, i++, a), a);
        break;
      case '--session-gap':
        gapNs = duration(value(argv, i++, a), a);
        break;
      case '--lateness':
        latenessNs = duration(value(argv, i++, a), a);
        break;
      case '--out-of-order':
        outOfOrderNs = duration(value(argv, i++, a), a);
        break;
      case '--idle-timeout':
        idleTimeoutNs = duration(value(argv, i++, a), a);
        break;
      case '--partitions':
        partitions = positiveInt(value(argv, i++, a), a, 65536);
        break;
      case '--format': {
        const f = value(argv, i++, a);
        if (f !== 'csv' && f !== 'ndjson')
          throw new UsageError(`--format: ${JSON.stringify(f)} is not csv or ndjson`, a);
        format = f;
        break;
      }
      case '--out':
        out = value(argv, i++, a);
        break;
      case '--late-out':
        lateOut = value(argv, i++, a);
        break;
      case '--batch':
        batchSize = positiveInt(value(argv, i++, a), a, 1_000_000);
        break;
      case '--progress': {
        const p = value(argv, i++, a);
        if (p !== 'auto' && p !== 'always' && p !== 'never') {
          throw new UsageError(`--progress: ${JSON.stringify(p)} is not auto, always or never`, a);
        }
        progress = p;
        break;
      }
      default:
        throw new UsageError(`unknown argument ${JSON.stringify(a)} (see --help)`, a);
    }
  }
  const inp = input as InputSpec | null;
  if (inp === null) throw new UsageError('give an input: --synthetic N, --file PATH or --stdin', 'input');
  if (windowNs <= 0n) throw new UsageError('--window must be > 0', '--window');
  if (slideNs !== null && gapNs !== null)
    throw new UsageError('--slide and --session-gap exclude each other', '--slide');
  let window: WindowSpec;
  if (gapNs !== null) {
    if (gapNs <= 0n) throw new UsageError('--session-gap must be > 0', '--session-gap');
    window = { kind: 'session', gapNs };
  } else if (slideNs !== null) {
    if (slideNs <= 0n || windowNs % slideNs !== 0n) {
      throw new UsageError('--slide must be > 0 and divide --window', '--slide');
    }
    window = { kind: 'sliding', sizeNs: windowNs, slideNs };
  } else {
    window = { kind: 'tumbling', sizeNs: windowNs };
  }
  if (idleTimeoutNs <= 0n) throw new UsageError('--idle-timeout must be > 0', '--idle-timeout');
  const resolved: InputSpec = inp.kind === 'synthetic' ? { ...inp, symbols } : inp;
  return {
    input: resolved,
    window,
    latenessNs,
    outOfOrderNs,
    idleTimeoutNs,
    partitions,
    format,
    out,
    lateOut,
    batchSize,
    progress,
  };
}
