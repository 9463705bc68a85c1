/**
 * Durations as written by users: `60s`, `500ms`, `1m`, `2h`, `250us`, `10ns`,
 * or a bare integer of nanoseconds. Exact (bigint nanoseconds), no floats.
 */
import { InvalidOptionError } from '../window/errors.ts';

const UNITS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

/** Parse a duration to nanoseconds; `option` names the setting in the error. */
export function parseDuration(text: string, option = 'duration'): bigint {
  const m = /^(\d+)(?:\.(\d+))?(ns|us|ms|s|m|h)?$/.exec(text.trim());
  if (m === null)
    throw new InvalidOptionError(option, `${JSON.stringify(text)} is not a duration (e.g. 60s, 500ms, 1m)`);
  const unit = UNITS[m[3] ?? 'ns'] as bigint;
  const whole = BigInt(m[1] as string) * unit;
  const frac = m[2];
  if (frac === undefined) return whole;
  const scale = 10n ** BigInt(frac.length);
  const f = BigInt(frac) * unit;
  if (f % scale !== 0n) throw new InvalidOptionError(option, `${JSON.stringify(text)} is finer than 1 ns`);
  return whole + f / scale;
}

/** `60000000000n` -> `60s` (largest exact unit). */
export function formatDuration(ns: bigint): string {
  for (const u of ['h', 'm', 's', 'ms', 'us'] as const) {
    const d = UNITS[u] as bigint;
    if (ns !== 0n && ns % d === 0n) return `${ns / d}${u}`;
  }
  return `${ns}ns`;
}
