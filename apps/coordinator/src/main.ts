/**
 * The coordinator process: config -> tracing -> app. SIGTERM/SIGINT stop
 * renewing the lease (the standby takes over within its ttl) and exit.
 * Exit codes: 0 stopped, 1 failed, 2 invalid configuration.
 */
import { NatsAuthConfigError } from '@ripple/cluster-nats';
import { startCoordinatorApp } from './app.ts';
import { loadConfig } from './config.ts';
import { ConfigError } from './errors.ts';
import { jsonLogger } from './logger.ts';
import { startTracing } from './tracing.ts';

async function main(): Promise<number> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      return 2;
    }
    throw e;
  }
  const log = jsonLogger('coordinator', { coordinator: config.coordinatorId });
  const tracing = startTracing(config.coordinatorId, config.otlpEndpoint, (m) => log.warn(m));
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
    const stop = (signal: string) => {
      log.info('stopping', { signal });
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
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
