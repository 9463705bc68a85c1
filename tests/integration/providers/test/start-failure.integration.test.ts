// The testcontainers provider's own failure path, run with that provider only
// (vitest.integration.config.ts includes tests/integration/providers/ when
// RIPPLE_SERVICES=containers; .ci/run's containers phase runs it): a service
// container that exits before it is ready fails the start with a typed error
// carrying its log, and the containers that did start are stopped.
import { getContainerRuntimeClient } from 'testcontainers';
import { expect, test } from 'vitest';
import { imagesFromEnv, ServiceStartError, startContainerServices } from '../container-services.ts';

async function runningProviderContainers(): Promise<number> {
  const client = await getContainerRuntimeClient();
  const all = await client.container.list();
  return all.filter((c) => c.State === 'running' && c.Labels['org.ripple.testcontainers-run'] !== undefined)
    .length;
}

test('a service that exits before it is ready: ServiceStartError with its log tail, the others stopped', {
  timeout: 240_000,
}, async () => {
  const before = await runningProviderContainers();
  const images = imagesFromEnv(process.env);
  // the Kafka image given NATS's arguments: it exits at once
  const lines: string[] = [];
  const err = await startContainerServices({
    images: { ...images, nats: images.kafka },
    log: (l) => lines.push(l),
  }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ServiceStartError);
  const e = err as ServiceStartError;
  expect(e.code).toBe('SERVICE_CONTAINER_START_FAILED');
  expect(e.retryable).toBe(false);
  expect(e.service).toBe('nats');
  expect(e.message).toContain('exited before it was ready');
  expect(e.logTail.length).toBeGreaterThan(0);
  expect(await runningProviderContainers()).toBe(before);
});
