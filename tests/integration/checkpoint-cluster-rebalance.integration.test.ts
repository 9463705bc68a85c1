// Cluster checkpoints across rebalances, end to end on real Kafka, NATS and
// S3: a coordinator process, the checkpointer process (following the
// coordinator's assignment, no static table) and worker processes in cluster
// mode with RIPPLE_CHECKPOINT_MODE=cluster, while trades flow in. Three
// workers start; a 4th joins; one is SIGKILLed. Checkpoints keep committing
// at every new assignment epoch (a checkpoint in flight when the epoch
// changes is aborted, the next one commits); every partition that moves
// after the first commit is restored through a committed manifest (the
// checkpointer's lookup), none from a worker's own store; the output, read
// as docs/consumer-contract.md says, equals the independent oracle.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { S3ObjectStore } from '@ripple/object-store';
import { type CheckpointManifest, checkpointLayout, clusterSubjects, decodeManifest } from '@ripple/protocol';
import { afterAll, describe, expect, test } from 'vitest';
import {
  type CoordinatorProcess,
  clusterWorkerEnv,
  dropClusterState,
  outputAgainstOracle,
  producePaced,
  requestStatus,
  settledView,
  startCoordinator,
  waitAllProcessed,
} from './cluster-harness.ts';
import { eventually, requireEnv, uniqueId } from './helpers.ts';
import {
  type CheckpointerProcess,
  createTopics,
  deleteTopics,
  makeStream,
  PARTITIONS,
  startCheckpointer,
  startWorker,
  type Topics,
  type WorkerProcess,
} from './worker-harness.ts';

const env = requireEnv(
  'KAFKA_BROKERS',
  'NATS_URL',
  'S3_ENDPOINT',
  'S3_REGION',
  'S3_ACCESS_KEY_ID',
  'S3_SECRET_ACCESS_KEY',
  'S3_BUCKET',
);
const brokers = env.KAFKA_BROKERS.split(',');
const HEARTBEAT_SEC = 0.2;
const FAILURE_SEC = 1.5;

/** How a worker's partitions were restored, from its log. */
function restores(w: WorkerProcess): { viaManifest: number[]; empty: number[]; ownStore: number } {
  const viaManifest: number[] = [];
  const empty: number[] = [];
  let ownStore = 0;
  for (const l of w.log().split('\n')) {
    const p = Number(/"partition":(\d+)/.exec(l)?.[1] ?? -1);
    if (l.includes('"msg":"partition restored from a committed checkpoint"')) viaManifest.push(p);
    else if (l.includes('"msg":"no committed checkpoint holds the partition; starting empty"')) empty.push(p);
    else if (/"msg":"partition restored( from an older snapshot)?"/.test(l)) ownStore++;
  }
  return { viaManifest, empty, ownStore };
}

describe('cluster checkpoints across rebalances: coordinator + checkpointer + workers on Kafka, NATS, S3', () => {
  const id = uniqueId();
  const cluster = `itckr-${id}`.replace(/[^A-Za-z0-9_-]/g, '');
  const prefix = `it-ckr-${id}`;
  const s = clusterSubjects(cluster);
  let topics: Topics | undefined;
  let nc: NatsConnection | undefined;
  let coordinator: CoordinatorProcess | undefined;
  const workers = new Map<string, WorkerProcess>();
  let ck: CheckpointerProcess | undefined;
  const store = new S3ObjectStore({
    endpoint: env.S3_ENDPOINT,
    region: env.S3_REGION,
    bucket: env.S3_BUCKET,
    accessKeyId: env.S3_ACCESS_KEY_ID,
    secretAccessKey: env.S3_SECRET_ACCESS_KEY,
  });

  afterAll(async () => {
    // The processes' logs, for a failure's post-mortem.
    const dir = mkdtempSync(join(tmpdir(), 'ripple-it-ckr-'));
    for (const [w, p] of workers) writeFileSync(join(dir, `${w}.log`), p.log());
    if (ck !== undefined) writeFileSync(join(dir, 'checkpointer.log'), ck.logs.join('\n'));
    process.stdout.write(`checkpoint-cluster-rebalance logs: ${dir}\n`);
    for (const c of [coordinator?.child, ck?.child])
      if (c !== undefined && c.exitCode === null) c.kill('SIGKILL');
    for (const w of workers.values()) if (w.child.exitCode === null) w.child.kill('SIGKILL');
    if (topics !== undefined) await deleteTopics(brokers, topics);
    if (nc !== undefined) await dropClusterState(nc, s);
    for (const p of [`${prefix}/`, `${prefix}-own/`]) {
      const keys = (await store.list(p)).map((o) => o.key);
      if (keys.length > 0) await store.delete(keys);
    }
    store.close();
  });

  test('checkpoints commit at every epoch, moved partitions restore through manifests, output exact', async () => {
    topics = await createTopics(brokers, prefix);
    const t = topics;
    nc = await connect({ servers: env.NATS_URL });
    const conn = nc;
    const layout = checkpointLayout(prefix);
    /** Every partition owned by one of `ids` (each owning some), nothing moving. */
    const settled = async (ids: string[]) => settledView(await requestStatus(conn, s), ids);
    const manifests = async (): Promise<CheckpointManifest[]> => {
      const out: CheckpointManifest[] = [];
      for (const o of await store.list(layout.manifestsPrefix)) {
        const bytes = await store.get(o.key);
        if (bytes !== null) out.push(decodeManifest(bytes));
      }
      return out.sort((a, b) => a.seq - b.seq);
    };
    // A commit at `epoch` or later holding every partition (a partition on the move has no owner in
    // the assignment; its previous reference is carried, so only the first commits can hold fewer).
    const committedAt = async (epoch: number, what: string) =>
      await eventually(what, 60_000, async () =>
        (await manifests()).find((m) => m.epoch >= epoch && m.partitions.length === PARTITIONS),
      );

    coordinator = await startCoordinator({
      name: 'it-coord',
      cluster,
      natsUrl: env.NATS_URL,
      heartbeatSec: HEARTBEAT_SEC,
      failureSec: FAILURE_SEC,
      leaseTtlSec: 1,
    });
    const checkpointer = startCheckpointer({
      RIPPLE_CLUSTER: cluster,
      RIPPLE_S3_PREFIX: prefix,
      RIPPLE_CHECKPOINT_INTERVAL_SEC: '1',
      RIPPLE_CHECKPOINT_TIMEOUT_SEC: '4',
      RIPPLE_CHECKPOINTS_RETAINED: '100',
    });
    ck = checkpointer;
    const start = async (w: string) => {
      const p = await startWorker({
        ...clusterWorkerEnv({
          workerId: w,
          cluster,
          topics: t,
          // the worker's own store only holds hand-over snapshots in cluster mode, never restored from
          s3Prefix: `${prefix}-own`,
          heartbeatSec: HEARTBEAT_SEC,
          failureSec: FAILURE_SEC,
        }),
        RIPPLE_CHECKPOINT_MODE: 'cluster',
        RIPPLE_CHECKPOINT_PREFIX: prefix,
      });
      workers.set(w, p);
      return p;
    };

    await Promise.all(['w1', 'w2', 'w3'].map(start));
    const three = await eventually('3 workers own everything', 60_000, () => settled(['w1', 'w2', 'w3']));

    // Trades flow in the background from here to the end of the scenario.
    const stream = makeStream({
      trades: 24_000,
      symbols: 64,
      tradesPerRecord: 12,
      seed: 2024,
      malformedEvery: 97,
    });
    const producer = producePaced(brokers, t.input, stream, 40);
    const first = await committedAt(three.epoch, 'a checkpoint committed with 3 workers');
    expect(first.partitions.map((p) => p.partition)).toEqual([...Array(PARTITIONS).keys()]);

    // A 4th joins: the partitions moving to it are restored from the committed checkpoint.
    await start('w4');
    const four = await eventually('4 workers own everything', 60_000, () =>
      settled(['w1', 'w2', 'w3', 'w4']),
    );
    expect(four.epoch).toBeGreaterThan(three.epoch);
    const toW4 = four.partitions!.filter((p) => p.workerId === 'w4').map((p) => p.partition);
    expect(toW4.length).toBeGreaterThan(0);
    await committedAt(four.epoch, 'a checkpoint committed with 4 workers');

    // SIGKILL one: its partitions come back elsewhere, restored from the committed checkpoint.
    const w2Had = four.partitions!.filter((p) => p.workerId === 'w2').map((p) => p.partition);
    const w2 = workers.get('w2') as WorkerProcess;
    w2.child.kill('SIGKILL');
    await w2.exited;
    const afterKill = await eventually('w2 partitions back', 60_000, () => settled(['w1', 'w3', 'w4']));
    expect(afterKill.epoch).toBeGreaterThan(four.epoch);
    await committedAt(afterKill.epoch, 'a checkpoint committed after the kill');

    // All input in and processed, then the output against the oracle.
    await producer;
    await waitAllProcessed(
      ['w1', 'w3', 'w4'].map((w) => workers.get(w) as WorkerProcess),
      stream,
      120_000,
    );
    const out = await outputAgainstOracle(brokers, t.output, stream);
    expect(out.contract.windows.size).toBe(out.oracleWindows);
    expect(out.wrong.slice(0, 3), `${out.wrong.length} window(s) differ from the oracle`).toEqual([]);

    // Restores: every partition moved after the first commit came through a committed manifest.
    const r = Object.fromEntries([...workers].map(([w, p]) => [w, restores(p)]));
    for (const x of Object.values(r)) expect(x.ownStore).toBe(0);
    for (const p of toW4) expect(r.w4?.viaManifest, `partition ${p} moved to w4`).toContain(p);
    expect(r.w4?.empty).toEqual([]);
    const tookW2 = new Set([
      ...(r.w1?.viaManifest ?? []),
      ...(r.w3?.viaManifest ?? []),
      ...(r.w4?.viaManifest ?? []),
    ]);
    for (const p of w2Had) expect(tookW2.has(p), `partition ${p} of w2 restored via a manifest`).toBe(true);

    // Commits: from the first complete one on, every manifest holds all partitions (a moving one is
    // carried forward); epochs never go back; commits happened at each of the three assignments.
    const all = await manifests();
    for (const m of all.filter((x) => x.seq >= first.seq))
      expect(m.partitions.map((p) => p.partition)).toEqual([...Array(PARTITIONS).keys()]);
    for (let i = 1; i < all.length; i++)
      expect((all[i] as CheckpointManifest).epoch).toBeGreaterThanOrEqual(
        (all[i - 1] as CheckpointManifest).epoch,
      );
    const epochs = [...new Set(all.map((m) => m.epoch))];
    expect(epochs.some((e) => e >= three.epoch && e < four.epoch)).toBe(true);
    expect(epochs.some((e) => e >= four.epoch && e < afterKill.epoch)).toBe(true);
    expect(epochs.some((e) => e >= afterKill.epoch)).toBe(true);
    const aborted = checkpointer.logs.filter((l) => l.includes('"msg":"checkpoint aborted'));
    const staleAcks = checkpointer.logs.filter((l) => l.includes('stale')).length;
    process.stdout.write(
      `${JSON.stringify({
        suite: 'checkpoint-cluster-rebalance',
        committed: all.length,
        epochs_committed: epochs.length,
        aborted: aborted.length,
        aborted_epoch_changed: aborted.filter((l) => l.includes('"reason":"epoch_changed"')).length,
        stale_ack_log_lines: staleAcks,
        restored_via_manifest: Object.fromEntries(
          Object.entries(r).map(([w, x]) => [w, x.viaManifest.length]),
        ),
        moved_on_join: toW4.length,
        w2_partitions: w2Had.length,
        windows: out.oracleWindows,
      })}\n`,
    );
    for (const w of ['w1', 'w3', 'w4']) (workers.get(w) as WorkerProcess).child.kill('SIGTERM');
    checkpointer.child.kill('SIGTERM');
    expect(await checkpointer.exited).toBe(0);
  }, 360_000);
});
