/**
 * `ripple config APP`: the config an app (worker, coordinator, checkpointer)
 * would start with from this environment — each key with its value, source
 * and variable, secrets masked (the app's `--print-config`, without starting
 * it) — or the error it would stop with (a bad value, a misspelled RIPPLE_*
 * variable), exit 2.
 */
import { type AppName, ConfigError, formatConfig, loadConfig, SCHEMAS } from '@ripple/config';
import type { CommandIo } from './commands.ts';
import { UsageError } from './errors.ts';
import { flag, parse } from './parse.ts';

export const CONFIG_HELP = `ripple config: the config an app would start with from this environment.

Usage:
  pnpm ripple config (worker | coordinator | checkpointer) [--json]

  --json                one JSON object {app, config: {key: {value, source, variable}}}

Reads the environment (and RIPPLE_CONFIG_FILE) as the app does; secrets are masked. Every key,
its variable and default: docs/config.md. Per-app cross-key rules (e.g. kafka_brokers required
when source is kafka) are checked when the app starts (its --print-config).
Exit status: 0 valid, 2 misuse or an invalid or misspelled variable (named, with the closest key).
`;

const APPS = ['worker', 'coordinator', 'checkpointer'] as const satisfies readonly AppName[];

export interface ConfigOptions {
  readonly app: AppName;
  readonly json: boolean;
}

export function parseConfigArgs(args: readonly string[]): ConfigOptions | null {
  const p = parse(args, { help: { type: 'boolean', short: 'h' }, json: { type: 'boolean' } }, true);
  if (flag(p, 'help')) return null;
  const [app, extra] = p.positionals;
  if (app === undefined) throw new UsageError(`name the app: ${APPS.join(' | ')}`, 'APP');
  if (!(APPS as readonly string[]).includes(app))
    throw new UsageError(`APP ${JSON.stringify(app)} is not one of ${APPS.join(', ')}`, 'APP');
  if (extra !== undefined) throw new UsageError(`unexpected argument ${JSON.stringify(extra)}`, null);
  return { app: app as AppName, json: flag(p, 'json') };
}

export function runConfig(o: ConfigOptions, io: Pick<CommandIo, 'stdout' | 'stderr' | 'env'>): number {
  const schema = SCHEMAS.find((s) => s.app === o.app);
  if (schema === undefined) throw new UsageError(`no app ${o.app}`, 'APP');
  try {
    io.stdout.write(formatConfig(loadConfig(schema, io.env), o.json));
    return 0;
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    io.stderr.write(`ripple config ${o.app}: ${e.message}\n`);
    return 2;
  }
}
