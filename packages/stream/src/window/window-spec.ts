/**
 * Window kinds and operator options, and their validation. All times are
 * event-time nanoseconds (bigint); windows are aligned on 0.
 */
import { InvalidOptionError } from './errors.ts';

export type WindowSpec =
  | { readonly kind: 'tumbling'; readonly sizeNs: bigint }
  | { readonly kind: 'sliding'; readonly sizeNs: bigint; readonly slideNs: bigint }
  | { readonly kind: 'session'; readonly gapNs: bigint };

export interface WindowOptions {
  readonly window: WindowSpec;
  /** Watermark = max event time - outOfOrderness. Default 0. */
  readonly outOfOrdernessNs?: bigint;
  /** How long after its end a window still accepts (and re-emits for) late events. Default 0. */
  readonly allowedLatenessNs?: bigint;
  /** Event time a partition may lag the operator-wide max before it counts as idle. Default 60 s. */
  readonly idleTimeoutNs?: bigint;
  /** Event time a key with no state is kept before it is dropped. Default: the window size (or gap). */
  readonly keyRetentionNs?: bigint;
  /** Number of partitions (independent watermarks and sequence numbers). Default 1. */
  readonly partitions?: number;
}

/** Options after defaults and validation, as the operator uses them. */
export interface ResolvedWindow {
  readonly session: boolean;
  readonly size: bigint;
  readonly slide: bigint;
  readonly gap: bigint;
  readonly ooo: bigint;
  readonly lateness: bigint;
  readonly idle: bigint;
  readonly retention: bigint;
  readonly partitions: number;
}

const ZERO = 0n;

/** Apply defaults and check every option; a bad one is an `InvalidOptionError` naming it. */
export function resolveWindow(options: WindowOptions): ResolvedWindow {
  const w = options.window;
  const pos = (name: string, v: bigint) => {
    if (v <= ZERO) throw new InvalidOptionError(name, `must be > 0 (got ${v})`);
  };
  const nonNeg = (name: string, v: bigint) => {
    if (v < ZERO) throw new InvalidOptionError(name, `must be >= 0 (got ${v})`);
  };
  let session: boolean;
  let size: bigint;
  let slide: bigint;
  let gap: bigint;
  if (w.kind === 'session') {
    pos('window.gapNs', w.gapNs);
    session = true;
    size = w.gapNs;
    slide = w.gapNs;
    gap = w.gapNs;
  } else {
    pos('window.sizeNs', w.sizeNs);
    slide = w.kind === 'sliding' ? w.slideNs : w.sizeNs;
    pos('window.slideNs', slide);
    if (w.sizeNs % slide !== ZERO) {
      throw new InvalidOptionError(
        'window.slideNs',
        `window size ${w.sizeNs} must be a multiple of the slide ${slide}`,
      );
    }
    session = false;
    size = w.sizeNs;
    gap = ZERO;
  }
  const ooo = options.outOfOrdernessNs ?? ZERO;
  const lateness = options.allowedLatenessNs ?? ZERO;
  const idle = options.idleTimeoutNs ?? 60_000_000_000n;
  const retention = options.keyRetentionNs ?? size;
  nonNeg('outOfOrdernessNs', ooo);
  nonNeg('allowedLatenessNs', lateness);
  pos('idleTimeoutNs', idle);
  nonNeg('keyRetentionNs', retention);
  const partitions = options.partitions ?? 1;
  if (!Number.isInteger(partitions) || partitions < 1 || partitions > 65536)
    throw new InvalidOptionError('partitions', `must be 1..65536 (got ${partitions})`);
  return { session, size, slide, gap, ooo, lateness, idle, retention, partitions };
}

/** The window as text, e.g. `tumbling(60000000000)`: stored in snapshots and checked on restore. */
export function specString(w: WindowSpec): string {
  return w.kind === 'session'
    ? `session(${w.gapNs})`
    : w.kind === 'sliding'
      ? `sliding(${w.sizeNs},${w.slideNs})`
      : `tumbling(${w.sizeNs})`;
}

/** Floor division for bigint (rounds towards -infinity). */
export function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return (a % b !== ZERO && a < ZERO) !== b < ZERO ? q - 1n : q;
}
