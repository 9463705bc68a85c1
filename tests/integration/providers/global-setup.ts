// vitest globalSetup of the integration suites (vitest.integration.config.ts):
// picks the service provider (select-provider.ts) and, for `containers`,
// starts the services before any suite and puts their endpoints into
// process.env, which the suites (and the processes they spawn) read exactly as
// they read infra/.run/env; stops them after the last suite. A provider that
// cannot start fails the run, it never skips.
import { getContainerRuntimeClient } from 'testcontainers';
import { imagesFromEnv, startContainerServices } from './container-services.ts';
import { selectProvider } from './select-provider.ts';

const log = (line: string): void => {
  process.stderr.write(`[services] ${line}\n`);
};

/** True when testcontainers finds a Docker engine that answers (within 15 s). */
async function dockerAnswers(): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      getContainerRuntimeClient().then(() => true),
      new Promise<boolean>((r) => {
        timer = setTimeout(() => r(false), 15_000);
      }),
    ]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

export default async function setup(): Promise<(() => Promise<void>) | undefined> {
  // The containers run on the host network: their endpoints are this machine's
  // loopback. Without this, testcontainers running inside a container (a
  // /.dockerenv, as on our machines) asks the engine for the `bridge` network's
  // gateway, which an engine started with --bridge=none does not have.
  process.env.TESTCONTAINERS_HOST_OVERRIDE ??= '127.0.0.1';
  const choice = await selectProvider(process.env, dockerAnswers);
  log(`provider ${choice.kind} (${choice.reason})`);
  if (choice.kind === 'env') return undefined;
  const images = imagesFromEnv(process.env);
  const t0 = performance.now();
  const services = await startContainerServices({ images, log });
  for (const t of services.timings) {
    log(
      JSON.stringify({
        bench: 'testcontainers-service',
        service: t.service,
        image: t.image,
        start_ms: t.startMs,
        ready_ms: t.readyMs,
      }),
    );
  }
  log(`all services ready in ${Math.round(performance.now() - t0)} ms`);
  Object.assign(process.env, services.env);
  for (const [k, v] of Object.entries(services.env)) log(`  ${k}=${v}`);
  return async () => {
    const t1 = performance.now();
    await services.stop();
    log(`containers stopped in ${Math.round(performance.now() - t1)} ms`);
  };
}
