/**
 * Loading: environment (+ the optional RIPPLE_CONFIG_FILE, a JSON object of
 * snake_case keys; the environment wins) -> typed values, each with where it
 * came from. Before any value is read, every `RIPPLE_*` variable and every
 * file key must be known (a key of some app, or a tooling variable):
 * a misspelling fails start-up naming the closest valid key and variable.
 * Every bad value fails with an InvalidConfigError naming key and variable.
 */
import { readFileSync } from 'node:fs';
import { KNOWN_NAMES } from './catalog.ts';
import { closest } from './closest.ts';
import type { AnyKey, ConfigKey, ConfigSchema, ConfigValues, Env, Keys } from './config-key.ts';
import { InvalidConfigError, UnknownConfigError } from './errors.ts';
import { TOOLING_VARIABLES } from './tooling-variables.ts';

export type ConfigSource = 'default' | 'env' | 'file';

export interface LoadedConfig<K extends Keys> {
  readonly schema: ConfigSchema<K>;
  readonly values: ConfigValues<K>;
  /** Where each value came from (by property name). */
  readonly sources: { readonly [P in keyof K]: ConfigSource };
}

export interface LoadOptions {
  /** Reads RIPPLE_CONFIG_FILE (tests inject one). */
  readonly readFile?: (path: string) => string;
}

/** Throws InvalidConfigError for `key` (cross-key rules of an app: required-when, must-exceed). */
export function invalid(key: ConfigKey<unknown>, detail: string): InvalidConfigError {
  return new InvalidConfigError(key.key, key.variable, detail);
}

function unknownError(given: string, where: 'env' | 'file'): UnknownConfigError {
  const names = KNOWN_NAMES.map((n) => (where === 'env' ? n.variable : n.key));
  const best = closest(given, names) as string;
  const n = KNOWN_NAMES.find((k) => (where === 'env' ? k.variable : k.key) === best);
  if (n === undefined) throw new Error('unreachable: no known config names');
  return new UnknownConfigError(given, where, n.key, n.variable, n.apps.join(', '));
}

/** Refuses any RIPPLE_* variable that is neither a key of some app nor a tooling variable. */
export function checkVariables(env: Env): void {
  const variables = new Set(KNOWN_NAMES.map((n) => n.variable));
  for (const name of Object.keys(env).sort()) {
    if (!name.startsWith('RIPPLE_') || env[name] === undefined) continue;
    if (variables.has(name) || Object.hasOwn(TOOLING_VARIABLES, name)) continue;
    throw unknownError(name, 'env');
  }
}

function readConfigFile(path: string, read: (p: string) => string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(read(path));
  } catch (e) {
    throw new InvalidConfigError(
      'config_file',
      'RIPPLE_CONFIG_FILE',
      `cannot read ${path}: ${(e as Error).message}`,
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new InvalidConfigError(
      'config_file',
      'RIPPLE_CONFIG_FILE',
      `cannot read ${path}: not a JSON object`,
    );
  const keys = new Set(KNOWN_NAMES.map((n) => n.key));
  for (const k of Object.keys(parsed)) if (!keys.has(k)) throw unknownError(k, 'file');
  return parsed as Record<string, unknown>;
}

export function loadConfig<K extends Keys>(
  schema: ConfigSchema<K>,
  env: Env,
  options: LoadOptions = {},
): LoadedConfig<K> {
  checkVariables(env);
  const path = env.RIPPLE_CONFIG_FILE;
  const file =
    path === undefined || path === ''
      ? {}
      : readConfigFile(path, options.readFile ?? ((p) => readFileSync(p, 'utf8')));
  const values: Record<string, unknown> = {};
  const sources: Record<string, ConfigSource> = {};
  for (const [name, k] of Object.entries(schema.keys) as [string, AnyKey][]) {
    let raw: string | undefined;
    let source: ConfigSource = 'default';
    const e = env[k.variable];
    const f = file[k.key];
    if (e !== undefined && e !== '') {
      raw = e;
      source = 'env';
    } else if (f !== undefined && f !== null) {
      if (k.envOnly)
        throw new InvalidConfigError(
          k.key,
          k.variable,
          'is read from the environment only, not from RIPPLE_CONFIG_FILE',
        );
      raw = typeof f === 'string' ? f : JSON.stringify(f);
      source = 'file';
    } else if (k.fallback.kind === 'value') raw = k.fallback.raw;
    else if (k.fallback.kind === 'derived') raw = k.fallback.derive({ values, env });
    else if (k.fallback.kind === 'required') throw new InvalidConfigError(k.key, k.variable, 'required');
    sources[name] = source;
    if (raw === undefined) {
      if (k.fallback.kind !== 'none') throw new InvalidConfigError(k.key, k.variable, 'required');
      values[name] = null;
      continue;
    }
    try {
      values[name] = k.type.parse(raw);
    } catch (err) {
      throw new InvalidConfigError(k.key, k.variable, (err as Error).message);
    }
  }
  return { schema, values: values as ConfigValues<K>, sources: sources as LoadedConfig<K>['sources'] };
}
