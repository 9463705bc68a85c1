/**
 * The coordinator process: config -> tracing -> app. SIGTERM/SIGINT stop
 * renewing the lease (the standby takes over within its ttl) and exit.
 * Exit codes: 0 stopped, 1 failed, 2 invalid configuration.
 * `--print-config [--json]`: print the effective config (secrets masked) and exit 0.
 */

import { NatsAuthConfigError } from '@ripple/cluster-nats';
import { ConfigError, configRecord, formatConfig } from '@ripple/config';
import { LogLevelError, logLevel, startTracing } from '@ripple/telemetry';
import { startCoordinatorApp } from './app.ts';
import { type CoordinatorConfig, readConfig } from './config.ts';
import { jsonLogger } from './logger.ts';

async function main(): Promise<number> {
  let loaded: ReturnType<typeof readConfig>['loaded'];
  let config: CoordinatorConfig;
  try {
    const read = readConfig();
    config = read.config;
    loaded = read.loaded;
    logLevel(); // LOG_LEVEL
    if (process.argv.includes('--print-config')) {
      process.stdout.write(formatConfig(read.loaded, process.argv.includes('--json')));
      return 0;
    }
  } catch (e) {
    if (e instanceof ConfigError || e instanceof LogLevelError) {
      process.stderr.write(`ripple coordinator: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  const log = jsonLogger('coordinator', { coordinator: config.coordinatorId });
  // the effective config, secrets masked
  log.info('starting', { config: configRecord(loaded) });
  const tracing = startTracing({
    serviceName: 'ripple-coordinator',
    instanceId: config.coordinatorId,
    endpoint: config.otlpEndpoint,
    warn: (m) => log.warn('tracing', { detail: m }),
  });
  let app: Awaited<ReturnType<typeof startCoordinatorApp>>;
  try {
    app = await startCoordinatorApp(config, log);
  } catch (e) {
    if (e instanceof NatsAuthConfigError) {
      process.stderr.write(`${e.message}\n`);
      return 2;
    }
    throw e;
  }
  await new Promise<void>((resolve) => {
    let signals = 0;
    const stop = (signal: string) => {
      if (++signals > 1) {
        // A second signal exits at once, yet the spans ended so far still go out (bounded).
        log.warn('second signal: exiting', { signal });
        void Promise.race([tracing.shutdown(), new Promise((r) => setTimeout(r, 1000))]).then(() =>
          process.exit(1),
        );
        return;
      }
      log.info('stopping', { signal });
      resolve();
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });
  await app.close();
  await tracing.shutdown();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`coordinator failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
