/**
 * @ripple/config — the one config schema of the Ripple apps.
 *
 * Each app's keys (snake_case key, environment variable, value type,
 * default, description, secret flag) are declared here, in schemas/, so that
 * the unknown-variable check and docs/config.md see all of them; each app's
 * config.ts loads its schema (`loadConfig`), applies its cross-key rules
 * (`invalid(...)`) and builds its typed options. Errors: InvalidConfigError
 * (a bad value) and UnknownConfigError (a misspelled variable or file key),
 * both naming the key and its variable.
 */
export { KNOWN_NAMES, type KnownName, SCHEMAS } from './catalog.ts';
export { closest, editDistance } from './closest.ts';
export { renderConfigDocs } from './config-docs.ts';
export type { AppName, ConfigKey, ConfigSchema, ConfigValues, Env, Keys } from './config-key.ts';
export { ConfigError, type ConfigErrorCode, InvalidConfigError, UnknownConfigError } from './errors.ts';
export {
  type ConfigSource,
  checkVariables,
  invalid,
  type LoadedConfig,
  type LoadOptions,
  loadConfig,
} from './load.ts';
export { configRecord, formatConfig, MASK, type PrintedKey, printableConfig } from './print-config.ts';
export { checkpointerSchema } from './schemas/checkpointer.ts';
export { coordinatorSchema } from './schemas/coordinator.ts';
export { workerSchema } from './schemas/worker.ts';
export { TOOLING_VARIABLES } from './tooling-variables.ts';
