/**
 * Typed errors of the coordinator app. Loops branch on `code` and `retryable`.
 */
export type CoordinatorErrorCode = 'COORDINATOR_CONFIG_INVALID';

export abstract class CoordinatorError extends Error {
  abstract readonly code: CoordinatorErrorCode;
  abstract readonly retryable: boolean;
  override name = 'CoordinatorError';
}

/** A configuration value is missing or invalid; raised at start-up, naming the key and its variable. */
export class ConfigError extends CoordinatorError {
  readonly code = 'COORDINATOR_CONFIG_INVALID';
  readonly retryable = false;
  readonly key: string;
  readonly variable: string;
  constructor(key: string, variable: string, reason: string) {
    super(`invalid config ${key} (${variable}): ${reason}`);
    this.name = 'ConfigError';
    this.key = key;
    this.variable = variable;
  }
}
