/**
 * The config errors of every Ripple app: one class per failure mode, each
 * naming the key (snake_case, as in the config file and docs/config.md) and
 * its environment variable. Never retryable: a process with invalid config
 * stops at start-up (exit code 2) and says what to change.
 */
import { RippleError } from '@ripple/core';

export type ConfigErrorCode = 'CONFIG_INVALID' | 'CONFIG_UNKNOWN';

export abstract class ConfigError extends RippleError {
  abstract override readonly code: ConfigErrorCode;
  readonly retryable = false;
  /** The key (snake_case) the error is about; for an unknown name, the closest valid key. */
  readonly key: string;
  /** The key's environment variable. */
  readonly variable: string;
  constructor(key: string, variable: string, message: string) {
    super(message);
    this.key = key;
    this.variable = variable;
  }
}

/** A value that does not parse, is out of bounds, missing while required, or contradicts another key. */
export class InvalidConfigError extends ConfigError {
  readonly code = 'CONFIG_INVALID';
  readonly detail: string;
  constructor(key: string, variable: string, detail: string) {
    super(key, variable, `invalid config ${key} (${variable}): ${detail}`);
    this.name = 'InvalidConfigError';
    this.detail = detail;
  }
}

/**
 * A `RIPPLE_*` environment variable or a config-file key that no app knows
 * (a misspelling, or a key that was renamed): `key`/`variable` name the
 * closest valid one.
 */
export class UnknownConfigError extends ConfigError {
  readonly code = 'CONFIG_UNKNOWN';
  /** The unknown name as given. */
  readonly given: string;
  /** Where it was given: an environment variable or a key of RIPPLE_CONFIG_FILE. */
  readonly where: 'env' | 'file';
  constructor(given: string, where: 'env' | 'file', key: string, variable: string, usedBy: string) {
    super(
      key,
      variable,
      where === 'env'
        ? `unknown variable ${given}: did you mean ${variable} (key ${key}, ${usedBy})?`
        : `unknown key ${JSON.stringify(given)} in RIPPLE_CONFIG_FILE: did you mean ${key} (${variable}, ${usedBy})?`,
    );
    this.name = 'UnknownConfigError';
    this.given = given;
    this.where = where;
  }
}
