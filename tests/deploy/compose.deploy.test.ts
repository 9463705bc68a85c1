// compose.yaml's Ripple apps run from their images by docker-compose (Debian's
// 1.29) against the services of infra/up.sh, through the CI override
// infra/compose/ci.yaml (host network: this engine has no bridge; the
// third-party images of compose.yaml are not pulled here). Two coordinators
// (one acting by the lease), the checkpointer and two workers in cluster
// mode; while trades flow in, worker-2 joins (a rebalance: only partitions
// moving to it move), then worker-0 is stopped (SIGTERM: it hands its
// partitions over) and started again (it rejoins). The output, read as
// docs/consumer-contract.md says, must equal the oracle exactly, with one
// writer per (output partition, epoch).
//   source infra/.run/env infra/.run/docker.env && pnpm images && pnpm test:deploy
import { execFileSync } from 'node:child_process';
import type { StatusResponse } from '@ripple/protocol';
import { afterAll, describe, expect, test } from 'vitest';
import { eventually, requireEnv, uniqueId } from '../integration/helpers.ts';
import {
  contractOutputs,
  createTopics,
  deleteTopics,
  readAll,
  SEC,
  streamOracle,
  type Topics,
} from '../integration/worker-harness.ts';
import {
  deployStream,
  dropClusterBuckets,
  expectExact,
  oneActing,
  produceFirstQuarter,
  settledOn,
  stableOn,
  writersPerEpoch,
} from './deploy-helpers.ts';

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
const WORKER_HEALTH = [19630, 19640, 19650];
const COORDINATOR_HEALTH = [19601, 19611];
const COORDINATOR_API = [19600, 19610];
const settled = (ids: string[], minEpoch = 0) => settledOn(COORDINATOR_API, ids, minEpoch);
const CHECKPOINTER_HEALTH = 19621;

interface Ready {
  details: Array<{ partition: number; nextOffset: string | null }> | null;
}
/** Highest next offset per partition over the workers that answer. */
async function offsets(): Promise<Map<number, bigint>> {
  const out = new Map<number, bigint>();
  for (const port of WORKER_HEALTH) {
    try {
      const r = (await (await fetch(`http://127.0.0.1:${port}/ready`)).json()) as Ready;
      for (const d of r.details ?? []) {
        const next = BigInt(d.nextOffset ?? '-1');
        if (next > (out.get(d.partition) ?? -1n)) out.set(d.partition, next);
      }
    } catch {
      // not up
    }
  }
  return out;
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

  test('coordinators (one acting), checkpointer, 2 workers then a 3rd joins and one restarts, while trades flow: output exact', {
    timeout: 10 * 60_000,
  }, async () => {
    topics = await createTopics(brokers, `compose-${id}`);
    const stream = deployStream(17);
    // A quarter of the stream before the apps start; the rest flows in during the scenario.
    const produceRest = await produceFirstQuarter(brokers, topics.input, stream);
    runEnv = {
      RIPPLE_CI_CLUSTER: cluster,
      RIPPLE_INPUT_TOPIC: topics.input,
      RIPPLE_OUTPUT_TOPIC: topics.output,
      RIPPLE_DLQ_TOPIC: topics.dlq,
      RIPPLE_S3_PREFIX: `compose-${id}`,
    };
    const t0 = Date.now();
    compose(
      'up',
      '-d',
      '--no-deps',
      'coordinator-0',
      'coordinator-1',
      'checkpointer',
      'worker-0',
      'worker-1',
    );
    await eventually('one acting coordinator', 120_000, () => oneActing(COORDINATOR_HEALTH));
    const two = await eventually('2 workers own every partition', 120_000, () =>
      stableOn(COORDINATOR_API, ['worker-0', 'worker-1']),
    );
    await eventually('checkpointer answers', 60_000, async () => {
      const r = await fetch(`http://127.0.0.1:${CHECKPOINTER_HEALTH}/health`).catch(() => undefined);
      return r?.ok ? true : undefined;
    });
    const readyMs = Date.now() - t0;
    // every container runs its image's node as PID 1 (no shell in between)
    for (const svc of ['coordinator-0', 'checkpointer', 'worker-0'])
      expect(compose('exec', '-T', svc, 'cat', '/proc/1/cmdline').split('\0')[0], svc).toBe('node');

    // The rest of the trades flow in, in slices, while the cluster changes.
    const producer = produceRest(20);

    // A rebalance: worker-2 joins; only partitions that move to it move.
    const tJoin = Date.now();
    compose('up', '-d', '--no-deps', 'worker-2');
    const three = await eventually('3 workers own every partition', 120_000, () =>
      settled(['worker-0', 'worker-1', 'worker-2'], two.epoch + 1),
    );
    const joinMs = Date.now() - tJoin;
    const moved = three.partitions!.filter((p) => p.workerId !== two.partitions![p.partition]!.workerId);
    expect(moved.length).toBeGreaterThan(0);
    expect(moved.every((p) => p.workerId === 'worker-2')).toBe(true);

    // worker-0 leaves (SIGTERM: hands its partitions over) and comes back.
    compose('stop', '--timeout', '40', 'worker-0');
    const left = await eventually('2 workers own every partition', 120_000, () =>
      settled(['worker-1', 'worker-2'], three.epoch),
    );
    compose('start', 'worker-0');
    // it rejoins: the ring gives it back what it had
    const owners = (st: StatusResponse) => st.partitions!.map((p) => p.workerId).join(',');
    await eventually('3 workers own every partition again, as before', 120_000, async () => {
      const st = await settled(['worker-0', 'worker-1', 'worker-2'], left.epoch + 1);
      return st !== undefined && owners(st) === owners(three) ? st : undefined;
    });

    await producer;
    const ends = stream.records.map((r) => BigInt(r.length));
    await eventually('every partition consumed', 6 * 60_000, async () => {
      const o = await offsets();
      return ends.every((end, p) => (o.get(p) ?? -1n) >= end) ? true : undefined;
    });
    compose('stop', '--timeout', '40', 'worker-0', 'worker-1', 'worker-2');

    const records = await readAll(brokers, topics.output);
    const got = contractOutputs(records);
    expectExact(got, streamOracle(stream, 10n * SEC, 5n * SEC, 1n * SEC).windows);
    const writers = writersPerEpoch(records);
    expect([...writers].filter(([, set]) => set.size > 1).map(([k, set]) => `${k}: ${[...set]}`)).toEqual([]);
    console.log(
      JSON.stringify({
        suite: 'compose',
        workers: '2->3, worker-0 stop/start',
        moved_on_join: moved.length,
        join_settled_s: joinMs / 1000,
        partition_epochs_written: writers.size,
        trades: stream.tradeCount,
        windows: got.windows.size,
        dropped_by_contract: got.dropped,
        ready_s: readyMs / 1000,
        seconds: (Date.now() - t0) / 1000,
      }),
    );
  });
});
