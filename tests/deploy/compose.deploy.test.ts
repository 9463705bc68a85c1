// compose.yaml's Ripple apps run from their images by docker-compose (Debian's
// 1.29) against the services of infra/up.sh, through the CI override
// infra/compose/ci.yaml (host network: this engine has no bridge; the
// third-party images of compose.yaml are not pulled here). Two coordinators
// (one acting by the lease), the checkpointer and a worker owning all 8
// partitions; the worker is stopped (SIGTERM: drain + final checkpoint) and
// started again mid-stream (it resumes from its S3 checkpoint); the output
// must be exactly what the oracle computes.
//   source infra/.run/env infra/.run/docker.env && pnpm images && pnpm test:deploy
import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, test } from 'vitest';
import { eventually, requireEnv, uniqueId } from '../integration/helpers.ts';
import {
  createTopics,
  deleteTopics,
  finalOutputs,
  makeStream,
  PARTITIONS,
  produce,
  readAll,
  SEC,
  streamOracle,
  type Topics,
} from '../integration/worker-harness.ts';
import { coordinatorsActing, dropClusterBuckets, expectExact } from './deploy-helpers.ts';

const env = requireEnv(
  'DOCKER_HOST',
  'KAFKA_BROKERS',
  'NATS_URL',
  'S3_ENDPOINT',
  'S3_ACCESS_KEY_ID',
  'S3_SECRET_ACCESS_KEY',
);
const brokers = env.KAFKA_BROKERS.split(',');
// infra/compose/ci.yaml
const WORKER_HEALTH = 19630;
const COORDINATOR_HEALTH = [19601, 19611];
const CHECKPOINTER_HEALTH = 19621;

interface Ready {
  details: Array<{ partition: number; nextOffset: string | null }> | null;
}
async function workerReady(): Promise<Ready | undefined> {
  try {
    const r = await fetch(`http://127.0.0.1:${WORKER_HEALTH}/ready`);
    return r.ok ? ((await r.json()) as Ready) : undefined;
  } catch {
    return undefined;
  }
}

describe('compose.yaml: the Ripple apps from their images (CI override, host network)', () => {
  const id = uniqueId();
  const project = `ripple-ci-${id}`.toLowerCase().replace(/[^a-z0-9-]/g, '');
  const cluster = `compose-${id}`;
  let topics: Topics | undefined;
  let runEnv: Record<string, string> = {};
  const compose = (...args: string[]): string =>
    execFileSync(
      'docker-compose',
      ['-p', project, '-f', 'compose.yaml', '-f', 'infra/compose/ci.yaml', ...args],
      {
        encoding: 'utf8',
        env: { ...process.env, ...runEnv },
        timeout: 180_000,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );

  afterAll(async () => {
    try {
      if (Object.keys(runEnv).length > 0) compose('down', '--timeout', '5');
    } finally {
      if (topics) await deleteTopics(brokers, topics);
      await dropClusterBuckets(env.NATS_URL, cluster);
    }
  }, 120_000);

  test('coordinators (one acting), checkpointer, worker from images; a restart mid-stream; output exact', {
    timeout: 10 * 60_000,
  }, async () => {
    topics = await createTopics(brokers, `compose-${id}`);
    const stream = makeStream({
      trades: 200_000,
      symbols: 400,
      tradesPerRecord: 100,
      seed: 17,
      malformedEvery: 250,
    });
    await produce(brokers, topics.input, stream.records);
    runEnv = {
      RIPPLE_CI_CLUSTER: cluster,
      RIPPLE_INPUT_TOPIC: topics.input,
      RIPPLE_OUTPUT_TOPIC: topics.output,
      RIPPLE_DLQ_TOPIC: topics.dlq,
      RIPPLE_S3_PREFIX: `compose-${id}`,
    };
    const t0 = Date.now();
    compose('up', '-d', '--no-deps', 'coordinator-0', 'coordinator-1', 'checkpointer', 'worker-0');
    await eventually('worker ready', 120_000, async () =>
      (await workerReady())?.details ? true : undefined,
    );
    await eventually('one acting coordinator', 120_000, async () => {
      const a = await coordinatorsActing(COORDINATOR_HEALTH);
      return a.filter((x) => x === true).length === 1 && a.every((x) => x !== undefined) ? true : undefined;
    });
    await eventually('checkpointer answers', 60_000, async () => {
      const r = await fetch(`http://127.0.0.1:${CHECKPOINTER_HEALTH}/health`).catch(() => undefined);
      return r?.ok ? true : undefined;
    });
    const readyMs = Date.now() - t0;
    // every container runs its image's node as PID 1 (no shell in between)
    for (const svc of ['coordinator-0', 'checkpointer', 'worker-0'])
      expect(compose('exec', '-T', svc, 'cat', '/proc/1/cmdline').split('\0')[0], svc).toBe('node');

    // restart mid-stream: SIGTERM (drain + final checkpoint), then start from the checkpoint
    await eventually('worker progress', 120_000, async () => {
      const r = await workerReady();
      return r?.details?.some((d) => BigInt(d.nextOffset ?? '-1') > 0n) ? true : undefined;
    });
    compose('stop', '--timeout', '40', 'worker-0');
    expect(compose('ps', '-q', 'worker-0').trim()).not.toBe('');
    compose('start', 'worker-0');

    const ends = stream.records.map((r) => BigInt(r.length));
    await eventually('every partition consumed', 6 * 60_000, async () => {
      const r = await workerReady();
      if (r?.details?.length !== PARTITIONS) return undefined;
      return r.details.every((d) => BigInt(d.nextOffset ?? '-1') >= (ends[d.partition] ?? 0n))
        ? true
        : undefined;
    });
    compose('stop', '--timeout', '40', 'worker-0');

    const got = finalOutputs(await readAll(brokers, topics.output));
    expectExact(got, streamOracle(stream, 10n * SEC, 5n * SEC, 1n * SEC).windows);
    console.log(
      JSON.stringify({
        suite: 'compose',
        workers: 1,
        restarts: 1,
        trades: stream.tradeCount,
        windows: got.windows.size,
        duplicate_reemits: got.duplicates,
        ready_s: readyMs / 1000,
        seconds: (Date.now() - t0) / 1000,
      }),
    );
  });
});
