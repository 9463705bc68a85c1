/**
 * Argument parsing shared by every subcommand: `node:util.parseArgs` in strict
 * mode (`--flag value` and `--flag=value` both accepted), its errors turned
 * into a `UsageError` naming the option, and the small value checks (positive
 * integers, durations with a unit) each command needs.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { editDistance } from '@ripple/config';
import { parseDuration } from '@ripple/stream';
import { UsageError } from './errors.ts';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export interface Parsed {
  readonly values: Record<string, string | boolean | undefined>;
  readonly positionals: readonly string[];
}

/** Strict parse; `--help`/`-h` must be declared by the caller. */
export function parse(args: readonly string[], options: OptionSpec, allowPositionals = false): Parsed {
  try {
    const r = parseArgs({ args: [...args], options, strict: true, allowPositionals });
    return { values: r.values as Parsed['values'], positionals: r.positionals };
  } catch (e) {
    const err = e as Error & { code?: string };
    const m = /'(-{1,2}[^' ]+)/.exec(err.message);
    const option = m?.[1] ?? null;
    let message = err.message.split('\n')[0] ?? String(e);
    if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option !== null) {
      const near = closest(option.replace(/^-+/, ''), Object.keys(options));
      message = `unknown option ${option}${near === null ? '' : ` (did you mean --${near}?)`}`;
    } else if (err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && option !== null) {
      message = /argument missing/.test(err.message)
        ? `${option} needs a value`
        : `${option} needs a value (one starting with '-' is written ${option}=VALUE)`;
    } else if (err.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
      message = `unexpected argument ${JSON.stringify(/'([^']*)'/.exec(err.message)?.[1] ?? '')}`;
    }
    throw new UsageError(message, option, e);
  }
}

/** The closest name by edit distance (at most 2 edits, or a prefix), else null. */
export function closest(name: string, names: readonly string[]): string | null {
  let best: string | null = null;
  let bestD = Number.POSITIVE_INFINITY;
  for (const n of names) {
    const d = n.startsWith(name) && name.length >= 3 ? 1 : editDistance(name.toLowerCase(), n.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = n;
    }
  }
  return bestD <= Math.max(2, Math.floor(name.length / 4)) ? best : null;
}

export function str(p: Parsed, name: string): string | undefined {
  const v = p.values[name];
  return typeof v === 'string' ? v : undefined;
}

export function flag(p: Parsed, name: string): boolean {
  return p.values[name] === true;
}

export function positiveInt(text: string, name: string, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^\d+$/.test(text))
    throw new UsageError(`${name}: ${JSON.stringify(text)} is not a positive integer`, name);
  const n = Number(text);
  if (n < 1 || n > max) throw new UsageError(`${name}: must be 1..${max} (got ${text})`, name);
  return n;
}

export function nonNegativeNumber(text: string, name: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < 0)
    throw new UsageError(`${name}: ${JSON.stringify(text)} is not a number >= 0`, name);
  return n;
}

/**
 * A duration with a unit (`60s`, `500ms`, `1m`, `250us`, `10ns`). A bare
 * number is refused: `--window 60` meaning 60 ns was a trap.
 */
export function duration(text: string, name: string): bigint {
  if (/^\s*\d+(\.\d+)?\s*$/.test(text))
    throw new UsageError(
      `${name}: ${JSON.stringify(text)} has no unit (write e.g. ${text.trim()}s, ${text.trim()}ms or ${text.trim()}ns)`,
      name,
    );
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

export function oneOf<T extends string>(text: string, name: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(text))
    throw new UsageError(`${name}: ${JSON.stringify(text)} is not one of ${allowed.join(', ')}`, name);
  return text as T;
}
