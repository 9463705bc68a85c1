/**
 * A config key: its snake_case name (the config-file key and the name in
 * errors and docs), its environment variable, value type, fallback when
 * unset, description and secret flag. An app's schema is an ordered record of
 * keys (property name = the typed option's name); a derived default may read
 * keys declared before it.
 */
import type { ValueType } from './value-types.ts';

export type Env = Readonly<Record<string, string | undefined>>;

/** What a derived default can see: the keys resolved so far (by property name) and the environment. */
export interface DeriveContext {
  readonly values: Readonly<Record<string, unknown>>;
  readonly env: Env;
}

export type Fallback =
  | { readonly kind: 'value'; readonly raw: string }
  | {
      readonly kind: 'derived';
      /** docs/config.md text, e.g. `$HOSTNAME` */
      readonly text: string;
      /** the raw default (parsed and checked like a given value), or undefined: required */
      readonly derive: (ctx: DeriveContext) => string | undefined;
    }
  | { readonly kind: 'none'; readonly text: string }
  | { readonly kind: 'required'; readonly text: string };

export interface ConfigKey<Out> {
  readonly key: string;
  readonly variable: string;
  readonly type: ValueType<NonNullable<Out>>;
  readonly fallback: Fallback;
  readonly description: string;
  /** Masked by --print-config (never printed nor logged). */
  readonly secret: boolean;
  /** Read from the environment only (credentials and the config file's own path). */
  readonly envOnly: boolean;
  /** Phantom: the loaded value's type. */
  readonly __out?: Out;
}

interface KeySpec<T> {
  readonly key: string;
  readonly variable: string;
  readonly type: ValueType<T>;
  readonly description: string;
  readonly secret?: boolean;
  readonly envOnly?: boolean;
}

const base = <T>(s: KeySpec<T>) => ({
  key: s.key,
  variable: s.variable,
  type: s.type,
  description: s.description,
  secret: s.secret === true,
  envOnly: s.envOnly === true,
});

/** A key with a default: the raw default text (checked by the type at load), or `derived(...)`. */
export function withDefault<T>(
  s: KeySpec<T> & { readonly default: string | Extract<Fallback, { kind: 'derived' }> },
): ConfigKey<T> {
  const fallback: Fallback = typeof s.default === 'string' ? { kind: 'value', raw: s.default } : s.default;
  return { ...base(s), fallback } as ConfigKey<T>;
}

/** A key that is null when unset (`none` says what that means, for the docs). */
export function optional<T>(s: KeySpec<T> & { readonly none?: string }): ConfigKey<T | null> {
  return { ...base(s), fallback: { kind: 'none', text: s.none ?? 'unset' } } as ConfigKey<T | null>;
}

/** A key that must be set. */
export function required<T>(s: KeySpec<T>): ConfigKey<T> {
  return { ...base(s), fallback: { kind: 'required', text: 'required' } } as ConfigKey<T>;
}

export function derived(
  text: string,
  derive: (ctx: DeriveContext) => string | undefined,
): Extract<Fallback, { kind: 'derived' }> {
  return { kind: 'derived', text, derive };
}

// biome-ignore lint/suspicious/noExplicitAny: the schema's keys have heterogeneous value types
export type AnyKey = ConfigKey<any>;
export type Keys = Readonly<Record<string, AnyKey>>;

export type AppName = 'worker' | 'coordinator' | 'checkpointer';

export interface ConfigSchema<K extends Keys> {
  readonly app: AppName;
  readonly keys: K;
}

/** The typed values of a schema. */
export type ConfigValues<K extends Keys> = {
  readonly [P in keyof K]: K[P] extends ConfigKey<infer O> ? O : never;
};

export function schema<K extends Keys>(app: AppName, keys: K): ConfigSchema<K> {
  return { app, keys };
}
