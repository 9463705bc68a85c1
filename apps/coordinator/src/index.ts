/**
 * @ripple/coordinator — the coordinator process. Its entry exports the
 * composition (for tests and embedding); the process is `src/main.ts`.
 */
export { type CoordinatorApp, startCoordinatorApp } from './app.ts';
export { type CoordinatorConfig, loadConfig } from './config.ts';
export { ConfigError } from './errors.ts';
