// The worker image run by the local Docker engine (infra/docker.sh): it runs
// the compiled JS as a non-root user with node as PID 1, answers its
// HEALTHCHECK, and `docker stop` (SIGTERM) drains it to a clean exit 0.
// Needs DOCKER_HOST (infra/.run/docker.env), the image (pnpm images) and Kafka.
import { execFileSync, spawnSync } from 'node:child_process';
import { afterAll, describe, expect, test } from 'vitest';
import { eventually, requireEnv, uniqueId } from '../integration/helpers.ts';
import { createTopics, deleteTopics, type Topics } from '../integration/worker-harness.ts';

const env = requireEnv('DOCKER_HOST', 'KAFKA_BROKERS');
const IMAGE = process.env.RIPPLE_WORKER_IMAGE ?? 'ripple/worker:0.1.0';
const docker = (...args: string[]): string =>
  execFileSync('/usr/bin/docker', args, { encoding: 'utf8', timeout: 120_000 }).trim();

describe('worker image', () => {
  let topics: Topics | undefined;
  const name = `ripple-it-worker-${uniqueId()}`;
  afterAll(async () => {
    try {
      docker('rm', '-f', name);
    } catch {
      // already gone
    }
    if (topics) await deleteTopics(env.KAFKA_BROKERS.split(','), topics);
  });

  test('labels, non-root, compiled JS as PID 1; docker stop drains and exits 0', {
    timeout: 180_000,
  }, async () => {
    const inspect = JSON.parse(docker('image', 'inspect', IMAGE))[0];
    const labels = inspect.Config.Labels as Record<string, string>;
    for (const l of ['version', 'revision', 'source', 'title'])
      expect(labels[`org.opencontainers.image.${l}`], l).toBeTruthy();
    expect(inspect.Config.User).toBe('node');
    expect(inspect.Config.Entrypoint).toEqual([
      'node',
      '--import',
      '@ripple/telemetry/register',
      'dist/src/main.js',
    ]);
    expect(Object.keys(inspect.Config.ExposedPorts ?? {}).sort()).toEqual(['9100/tcp', '9102/tcp']);
    expect(inspect.Config.Healthcheck?.Test?.[0]).toBe('CMD');

    topics = await createTopics(env.KAFKA_BROKERS.split(','), `img-${uniqueId()}`);
    // host network (no bridge here): a port no other test uses, bound to loopback
    const port = 19000 + Math.floor(Math.random() * 400) * 2;
    docker(
      'run',
      '-d',
      '--name',
      name,
      '--network',
      'host',
      '-e',
      'RIPPLE_WORKER_ID=img-test',
      '-e',
      'RIPPLE_HOST=127.0.0.1',
      '-e',
      `RIPPLE_HEALTH_PORT=${port}`,
      '-e',
      `RIPPLE_METRICS_PORT=${port + 1}`,
      '-e',
      `KAFKA_BROKERS=${env.KAFKA_BROKERS}`,
      '-e',
      'RIPPLE_SNAPSHOT_STORE=memory',
      '-e',
      'RIPPLE_NUM_PARTITIONS=8',
      '-e',
      'RIPPLE_PARTITIONS=0-7',
      '-e',
      `RIPPLE_INPUT_TOPIC=${topics.input}`,
      '-e',
      `RIPPLE_OUTPUT_TOPIC=${topics.output}`,
      '-e',
      `RIPPLE_DLQ_TOPIC=${topics.dlq}`,
      IMAGE,
    );
    await eventually('worker ready', 60_000, async () => {
      const r = await fetch(`http://127.0.0.1:${port}/ready`).catch(() => undefined);
      return r?.ok ? true : undefined;
    });
    // node is PID 1 in the container, running as uid 1000 (no shell in between)
    expect(docker('exec', name, 'cat', '/proc/1/cmdline').split('\0')[0]).toBe('node');
    expect(docker('exec', name, 'id', '-u')).toBe('1000');
    await eventually('HEALTHCHECK healthy', 90_000, async () =>
      docker('inspect', '-f', '{{.State.Health.Status}}', name) === 'healthy' ? true : undefined,
    );
    docker('stop', '-t', '40', name);
    expect(docker('inspect', '-f', '{{.State.ExitCode}}', name)).toBe('0');
    const logs = spawnSync('/usr/bin/docker', ['logs', name], { encoding: 'utf8' });
    const all = `${logs.stdout}${logs.stderr}`;
    expect(all).toMatch(/"signal":"SIGTERM"[^\n]*"msg":"draining"/);
    expect(all).toContain('"msg":"stopped"');
  });
});
