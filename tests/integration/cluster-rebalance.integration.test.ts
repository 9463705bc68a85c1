// The cluster on the real services: a coordinator process and worker
// processes (apps/worker in cluster mode) on real Kafka, NATS and S3 while
// trades flow in. Three workers start; a 4th joins (about a quarter of the
// partitions move to it, nothing else); one is SIGKILLed (its partitions
// come back elsewhere within the failure timeout plus a bound); one is
// SIGSTOPped past the failure timeout and SIGCONTed (a zombie: the
// coordinator fences its stale copies; the new owners' transactional
// producers refuse its late output, see output-fencing.integration.test.ts). Afterwards the output, read as
// docs/consumer-contract.md says, equals the independent oracle; no output
// partition has two writers under one epoch; the join's rebalance is one
// trace in the real Jaeger with the workers' revoke / checkpoint / assign /
// restore / replay spans in it.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { clusterSubjects } from '@ripple/protocol';
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
  watchHeartbeats,
} from './cluster-harness.ts';
import { eventually, requireEnv, uniqueId } from './helpers.ts';
import {
  createTopics,
  deleteTopics,
  makeStream,
  metric,
  PARTITIONS,
  sleep,
  startWorker,
  type Topics,
  type WorkerProcess,
} from './worker-harness.ts';

const env = requireEnv(
  'KAFKA_BROKERS',
  'NATS_URL',
  'S3_ENDPOINT',
  'S3_BUCKET',
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'JAEGER_QUERY_URL',
);
const brokers = env.KAFKA_BROKERS.split(',');
const HEARTBEAT_SEC = 0.2;
const FAILURE_SEC = 1.5;

interface JaegerSpan {
  spanID: string;
  operationName: string;
  processID: string;
  references: { refType: string; spanID: string }[];
}
interface JaegerTrace {
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string }>;
}

describe('cluster on real Kafka + NATS + S3: join, SIGKILL, SIGSTOP zombie', () => {
  const id = uniqueId();
  const cluster = `it-cluster-${id}`;
  const s = clusterSubjects(cluster);
  const workerService = `ripple-worker-it-${id}`;
  let topics: Topics | undefined;
  let nc: NatsConnection | undefined;
  const workers = new Map<string, WorkerProcess>();
  let coordinator: CoordinatorProcess | undefined;

  afterAll(async () => {
    // The processes' logs, for a failure's post-mortem.
    const dir = mkdtempSync(join(tmpdir(), 'ripple-it-cluster-'));
    for (const [w, p] of workers) writeFileSync(join(dir, `${w}.log`), p.log());
    writeFileSync(join(dir, 'coordinator.log'), coordinator?.log() ?? '');
    process.stdout.write(`cluster-rebalance logs: ${dir}\n`);
    if (coordinator !== undefined && coordinator.child.exitCode === null) coordinator.child.kill('SIGKILL');
    for (const w of workers.values()) {
      if (w.child.exitCode === null) {
        w.child.kill('SIGCONT');
        w.child.kill('SIGKILL');
      }
    }
    if (topics !== undefined) await deleteTopics(brokers, topics);
    if (nc !== undefined) await dropClusterState(nc, s);
  });

  test('exact output vs the oracle, one writer per (partition, epoch), the rebalance traced', async () => {
    topics = await createTopics(brokers, `it-cluster-${id}`);
    const t = topics;
    nc = await connect({ servers: env.NATS_URL });
    const conn = nc;
    const beats = watchHeartbeats(conn, s);
    /** Every partition owned by one of `ids` (each of them owning some), nothing moving, heartbeats agreeing. */
    const settled = async (ids: string[]) => settledView(await requestStatus(conn, s), ids, beats);

    // Coordinator process.
    const coord = await startCoordinator({
      name: 'it-coord',
      cluster,
      natsUrl: env.NATS_URL,
      heartbeatSec: HEARTBEAT_SEC,
      failureSec: FAILURE_SEC,
      leaseTtlSec: 1,
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: env.OTEL_EXPORTER_OTLP_ENDPOINT },
    });
    coordinator = coord;

    const start = async (w: string) => {
      const p = await startWorker({
        ...clusterWorkerEnv({
          workerId: w,
          cluster,
          topics: t,
          s3Prefix: `it-cluster-${id}`,
          heartbeatSec: HEARTBEAT_SEC,
          failureSec: FAILURE_SEC,
        }),
        RIPPLE_CHECKPOINT_INTERVAL_SEC: '1',
        OTEL_EXPORTER_OTLP_ENDPOINT: env.OTEL_EXPORTER_OTLP_ENDPOINT,
        OTEL_SERVICE_NAME: workerService,
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
      seed: 1010,
      malformedEvery: 97,
    });
    let producing = true;
    const producer = producePaced(brokers, t.input, stream, 40).then(() => {
      producing = false;
    });

    // A 4th joins: only partitions that move to it move.
    await sleep(2000);
    await start('w4');
    const four = await eventually('4 workers own everything', 60_000, () =>
      settled(['w1', 'w2', 'w3', 'w4']),
    );
    const moved = four.partitions!.filter((p) => p.workerId !== three.partitions![p.partition]!.workerId);
    expect(moved.length).toBeGreaterThan(0);
    expect(moved.every((p) => p.workerId === 'w4')).toBe(true);
    const joinRebalance = four.rebalances?.find(
      (r) => r.moves > 0 && r.epoch > three.epoch && r.traceId !== null,
    );
    expect(joinRebalance).toBeDefined();

    // SIGKILL one: its partitions are live elsewhere within the failure timeout plus a bound.
    await sleep(2000);
    const killedAt = Date.now();
    workers.get('w2')!.child.kill('SIGKILL');
    const afterKill = await eventually('w2 partitions back', 60_000, () => settled(['w1', 'w3', 'w4']));
    const failoverMs = Date.now() - killedAt;
    expect(afterKill.epoch).toBeGreaterThan(four.epoch);

    // SIGSTOP one past the failure timeout, then SIGCONT: a zombie whose copies are fenced.
    const zombie = workers.get('w3')!;
    const w3Had = afterKill.partitions!.filter((p) => p.workerId === 'w3');
    zombie.child.kill('SIGSTOP');
    const whileStopped = await eventually('w3 declared dead', 60_000, () => settled(['w1', 'w4']));
    for (const p of w3Had) expect(whileStopped.partitions![p.partition]!.epoch).toBeGreaterThan(p.epoch);
    zombie.child.kill('SIGCONT');
    await eventually('w3 back and consistent', 60_000, () => settled(['w1', 'w3', 'w4']));

    // All input in, every partition caught up with its owner, then the output against the oracle.
    await producer;
    expect(producing).toBe(false);
    await waitAllProcessed(
      ['w1', 'w3', 'w4'].map((w) => workers.get(w) as WorkerProcess),
      stream,
      90_000,
    );
    const out = await outputAgainstOracle(brokers, t.output, stream);
    expect(out.contract.windows.size).toBe(out.oracleWindows);
    expect(out.wrong.slice(0, 3), `${out.wrong.length} window(s) differ from the oracle`).toEqual([]);

    // One writer per (output partition, epoch).
    const writers = new Map<string, Set<string>>();
    for (const r of out.records) {
      const key = `${r.partition}@${r.headers.get('ripple-epoch')}`;
      const set = writers.get(key) ?? new Set<string>();
      set.add(r.headers.get('ripple-worker') ?? '?');
      writers.set(key, set);
    }
    const shared = [...writers].filter(([, set]) => set.size > 1).map(([k, set]) => `${k}: ${[...set]}`);
    expect(shared).toEqual([]);

    // The join's rebalance: one trace in Jaeger, the coordinator's decision as the root, the workers' steps in it.
    const jt = await eventually('rebalance trace in Jaeger', 30_000, async () => {
      const r = await fetch(`${env.JAEGER_QUERY_URL}/api/traces/${joinRebalance!.traceId}`);
      if (r.status !== 200) return undefined;
      const tr = ((await r.json()) as { data?: JaegerTrace[] }).data?.[0];
      const ops = new Set(tr?.spans.map((x) => x.operationName));
      return [
        'ripple.rebalance',
        'ripple.worker.revoke',
        'ripple.worker.assign',
        'ripple.worker.replay',
      ].every((op) => ops.has(op))
        ? tr
        : undefined;
    });
    const root = jt.spans.find((x) => x.operationName === 'ripple.rebalance')!;
    expect(jt.processes[root.processID]?.serviceName).toBe('ripple-coordinator');
    const ops = jt.spans.map((x) => x.operationName);
    for (const op of ['ripple.worker.handoff_checkpoint', 'ripple.worker.recovery'])
      expect(ops).toContain(op);
    for (const st of jt.spans.filter((x) => x.operationName.startsWith('ripple.worker.')))
      expect(jt.processes[st.processID]?.serviceName).toBe(workerService);

    // What the zombie tried to write after its partitions had moved, refused by the transactional producers.
    const zombieFenced = await metric(zombie, 'ripple_worker_output_fenced_records_total');
    process.stdout.write(
      `${JSON.stringify({
        suite: 'cluster-rebalance',
        zombie_records_fenced: zombieFenced,
        moved_on_join: moved.length,
        partitions: PARTITIONS,
        failover_ms: failoverMs,
        failure_timeout_ms: FAILURE_SEC * 1000,
        zombie_partitions: w3Had.length,
        windows: out.oracleWindows,
        output_records: out.records.length,
        partition_epochs_written: writers.size,
        dropped_by_sequence: out.contract.dropped,
        trace_spans: jt.spans.length,
      })}\n`,
    );
    expect(coord.log()).not.toMatch(/"level":"error"/);
  }, 240_000);
});
