/**
 * Arguments of `ripple vwap`: parsed into typed options with documented
 * defaults; anything unusable is a `UsageError` naming the option.
 */
import type { WindowSpec } from '@ripple/stream';
import { UsageError } from './errors.ts';
import type { OutputFormat } from './output-format.ts';
import { duration, flag, type OptionSpec, oneOf, parse, positiveInt, str } from './parse.ts';

export type TimestampUnit = 'ns' | 'us' | 'ms' | 's';

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
  /** `--json`: ndjson records and the summary as one JSON line on stderr. */
  readonly json: boolean;
  readonly out: string | null;
  readonly lateOut: string | null;
  /** Every malformed line (stderr shows the first 100). */
  readonly badOut: string | null;
  /** Unit of CSV timestamps; null = nanoseconds, refusing input that looks like ms/us/s epoch times. */
  readonly timestampUnit: TimestampUnit | null;
  readonly batchSize: number;
  readonly progress: 'auto' | 'always' | 'never';
}

export const HELP = `ripple vwap: volume-weighted average price per symbol and event-time window.

Usage:
  pnpm ripple vwap (--synthetic N | --file PATH | --stdin) [options]

Input (exactly one):
  --synthetic N         N deterministic trades: symbols SYM0000..SYM0099 (see --symbols),
                        one event per 1 ms of event time, prices 100.0..110.0 in 0.1 steps
  --symbols N           distinct symbols of --synthetic (default 100)
  --file PATH           trades from a CSV file
  --stdin               trades from standard input
  Trade CSV: symbol,price,size,timestamp_ns,venue
    e.g. SYM0001,100.5,200,1700000000000000000,XNAS
    An optional first header line (symbol,price,...) is skipped, as are lines starting with '#'
    and blank lines. Fields may be quoted ("A,B" and "" for a quote, as the output writes them).
  --timestamp-unit ns|us|ms|s
                        unit of the CSV timestamps (default ns). Without it, a first timestamp that
                        looks like milliseconds or microseconds since the epoch is refused (exit 2)

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
  Durations need a unit: 60s, 500ms, 1m, 2h, 250us, 100ns (a bare number is refused).

Output (one record per emitted delta; the last record of a (symbol, window) is its final value):
  --format csv|ndjson   csv (default; a header line first) or one JSON object per line with
                        symbol, window_start_ns, window_end_ns, vwap, volume, count,
                        delta (set | patch = correction | remove = merged session), partition, seq
  --json                ndjson records, and the summary as one JSON line on stderr
  --out PATH            write to PATH (default stdout)
  --late-out PATH       write late events there, in the input CSV format
  --bad-out PATH        write every malformed line there (stderr shows the first 100)
  Options take --opt VALUE or --opt=VALUE.
  --batch N             events per graph stabilization (default 4096)
  --progress auto|always|never
                        progress line on stderr (events/s, watermark lag); auto = when stderr is a terminal

Bad input: a malformed line (wrong field count, bad or non-positive price, non-integer or non-positive
size, NaN, timestamp not an integer in [0, 2^63-1] ns) is reported on stderr with its line number and
reason (the first 100; all of them with --bad-out), counted in the summary, and skipped; processing
continues.

Exit status: 0 on success (even with bad lines or late events), 2 for unusable arguments or
timestamps in an unexpected unit, 1 for unreadable input or unwritable output.
`;

const VWAP_OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  synthetic: { type: 'string' },
  symbols: { type: 'string' },
  file: { type: 'string' },
  stdin: { type: 'boolean' },
  window: { type: 'string' },
  slide: { type: 'string' },
  'session-gap': { type: 'string' },
  lateness: { type: 'string' },
  'out-of-order': { type: 'string' },
  'idle-timeout': { type: 'string' },
  partitions: { type: 'string' },
  format: { type: 'string' },
  json: { type: 'boolean' },
  out: { type: 'string' },
  'late-out': { type: 'string' },
  'bad-out': { type: 'string' },
  'timestamp-unit': { type: 'string' },
  batch: { type: 'string' },
  progress: { type: 'string' },
} as const satisfies OptionSpec;

/** Parse the arguments after `vwap`. Returns null for `--help`. */
export function parseVwapArgs(argv: readonly string[]): VwapOptions | null {
  const p = parse(argv, VWAP_OPTIONS);
  if (flag(p, 'help')) return null;
  const inputs: InputSpec[] = [];
  const synthetic = str(p, 'synthetic');
  if (synthetic !== undefined)
    inputs.push({ kind: 'synthetic', events: positiveInt(synthetic, '--synthetic'), symbols: 100 });
  const file = str(p, 'file');
  if (file !== undefined) inputs.push({ kind: 'file', path: file });
  if (flag(p, 'stdin')) inputs.push({ kind: 'stdin' });
  if (inputs.length > 1) throw new UsageError('give exactly one of --synthetic, --file, --stdin', 'input');
  const inp = inputs[0];
  if (inp === undefined)
    throw new UsageError('give an input: --synthetic N, --file PATH or --stdin', 'input');
  const symbolsText = str(p, 'symbols');
  if (symbolsText !== undefined && inp.kind !== 'synthetic')
    throw new UsageError('--symbols applies to --synthetic input only', '--symbols');
  const symbols = symbolsText === undefined ? 100 : positiveInt(symbolsText, '--symbols', 1_000_000);
  const d = (name: string, dflt: bigint | null): bigint | null => {
    const t = str(p, name);
    return t === undefined ? dflt : duration(t, `--${name}`);
  };
  const windowNs = d('window', 60_000_000_000n) as bigint;
  const slideNs = d('slide', null);
  const gapNs = d('session-gap', null);
  const latenessNs = d('lateness', 0n) as bigint;
  const outOfOrderNs = d('out-of-order', 0n) as bigint;
  const idleTimeoutNs = d('idle-timeout', 60_000_000_000n) as bigint;
  const partsText = str(p, 'partitions');
  const partitions = partsText === undefined ? 8 : positiveInt(partsText, '--partitions', 65536);
  const formatText = str(p, 'format');
  if (formatText !== undefined && flag(p, 'json') && formatText !== 'ndjson')
    throw new UsageError('--json writes ndjson: it excludes --format csv', '--json');
  const format: OutputFormat =
    formatText === undefined
      ? flag(p, 'json')
        ? 'ndjson'
        : 'csv'
      : oneOf(formatText, '--format', ['csv', 'ndjson']);
  const batchText = str(p, 'batch');
  const batchSize = batchText === undefined ? 4096 : positiveInt(batchText, '--batch', 1_000_000);
  const progressText = str(p, 'progress');
  const progress =
    progressText === undefined ? 'auto' : oneOf(progressText, '--progress', ['auto', 'always', 'never']);
  const unitText = str(p, 'timestamp-unit');
  if (unitText !== undefined && inp.kind === 'synthetic')
    throw new UsageError('--timestamp-unit applies to CSV input (--file, --stdin) only', '--timestamp-unit');
  const timestampUnit =
    unitText === undefined ? null : oneOf(unitText, '--timestamp-unit', ['ns', 'us', 'ms', 's'] as const);
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
  return {
    input: inp.kind === 'synthetic' ? { ...inp, symbols } : inp,
    window,
    latenessNs,
    outOfOrderNs,
    idleTimeoutNs,
    partitions,
    format,
    json: flag(p, 'json'),
    out: str(p, 'out') ?? null,
    lateOut: str(p, 'late-out') ?? null,
    badOut: str(p, 'bad-out') ?? null,
    timestampUnit,
    batchSize,
    progress,
  };
}
