// `pnpm bench rebalance [--json]` (needs `pnpm infra:up` and `source infra/.run/env`):
// the rebalance protocol with the real worker runtime on the real services. A
// coordinator pair (CoordinatorRunner) over NATS + JetStream KV, and workers that
// are the worker runtime itself (apps/worker's Worker, as `RIPPLE_CLUSTER` mode
// runs it: KafkaSource, transactional KafkaTransactionalSink, S3SnapshotStore,
// WorkerPartitionHost under a WorkerAgent), in one process on the shared cores.
// 8 input partitions of about 2,000 keys each (symbols), trades keep flowing
// during the whole run.
//
// handoff = time a partition is unowned in a planned move: from the moment the
// old owner starts its revoke (stops fetching, flushes output, checkpoints to S3,
// waits until stored) to the new owner live (restored from S3, output producer
// claimed, Kafka replayed to the end seen at assignment). Planned moves: a 4th
// worker joins, then leaves gracefully, repeated until at least 100 moves.
// failover = a worker goes silent (agent closed, loop stopped) with a 2 s
// failure timeout, to all its partitions live again elsewhere.
//
// Last line with --json:
// {"suite":"rebalance","handoff_ms_p50":n,"handoff_ms_p99":n,"failover_s":n,"moves":n,...}
import { randomBytes } from 'node:crypto';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import {
  CoordinatorRunner,
  HashRing,
  type HostContext,
  type PartitionHost,
  WorkerAgent,
} from '@ripple/cluster';
import { NatsBus, NatsKv } from '@ripple/cluster-nats';
import { clusterSubjects, type HandedOffPartition } from '@ripple/protocol';
import {
  KafkaSource,
  KafkaTransactionalSink,
  loadConfig,
  S3SnapshotStore,
  vwapJob,
  Worker,
  WorkerMetrics,
  WorkerPartitionHost,
} from '@ripple/worker';
import { requireEnv } from '../tests/integration/helpers.ts';
import {
  createTopics,
  deleteTopics,
  makeStream,
  PARTITIONS,
  produce,
  type Topics,
} from '../tests/integration/worker-harness.ts';
import { machine, percentile, printResult } from './_util.ts';

const json = process.argv.includes('--json');
const env = requireEnv(
  'KAFKA_BROKERS',
  'NATS_URL',
  'S3_ENDPOINT',
  'S3_REGION',
  'S3_BUCKET',
  'S3_ACCESS_KEY_ID',
  'S3_SECRET_ACCESS_KEY',
);
const brokers = env.KAFKA_BROKERS.split(',');
const P = PARTITIONS;
const KEYS = 2000;
const HEARTBEAT_MS = 200;
const FAILURE_MS = 2000;
const LEASE_MS = 2000;
const MIN_MOVES = 100;
const cluster = `bench-rb-${randomBytes(4).toString('hex')}`;
const say = (m: string) =>
  json ||
  process.stderr.write(`${(performance.now() / 1000).toFixed(1)}s ${m} (handoffs ${handoffs.length})\n`);

const revokeStarted = new Map<number, number>();
const revokeDone = new Map<number, number>();
const handoffs: number[] = [];
/** The handoff's parts: old owner's revoke, control plane (ack -> coordinator -> assign), new owner's assign. */
const phases = { revoke: [] as number[], control: [] as number[], assign: [] as number[] };

/** The worker's own host, timed: revoke start (planned) to assign done, per partition. */
class TimedHost implements PartitionHost {
  private readonly inner: WorkerPartitionHost;
  constructor(inner: WorkerPartitionHost) {
    this.inner = inner;
  }
  async assign(starts: readonly HandedOffPartition[], epoch: number, c?: HostContext): Promise<void> {
    const begin = performance.now();
    await this.inner.assign(starts, epoch, c);
    const now = performance.now();
    for (const s of starts) {
      const t = revokeStarted.get(s.partition);
      const d = revokeDone.get(s.partition);
      if (t !== undefined && d !== undefined && s.snapshotKey !== null) {
        handoffs.push(now - t);
        phases.revoke.push(d - t);
        phases.control.push(begin - d);
        phases.assign.push(now - begin);
        revokeStarted.delete(s.partition);
        revokeDone.delete(s.partition);
      }
    }
  }
  async revoke(partitions: readonly number[], epoch: number, c?: HostContext): Promise<HandedOffPartition[]> {
    if (c?.discard !== true) for (const p of partitions) revokeStarted.set(p, performance.now());
    const out = await this.inner.revoke(partitions, epoch, c);
    for (const p of partitions) revokeDone.set(p, performance.now());
    return out;
  }
  status() {
    return this.inner.status();
  }
}

const conns: NatsConnection[] = [];
const conn = async (name: string) => {
  const nc = await connect({ servers: env.NATS_URL.split(','), name: `${cluster}-${name}` });
  conns.push(nc);
  return nc;
};

interface Member {
  worker: Worker;
  agent: WorkerAgent;
  loop: Promise<boolean>;
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const topics: Topics = await createTopics(brokers, cluster);
  const subjects = clusterSubjects(cluster);
  const coords: CoordinatorRunner[] = [];
  const members = new Map<string, Member>();
  let feeding = true;
  let feeder: Promise<void> = Promise.resolve();
  let moves = 0;
  let failoverS = Number.NaN;
  let keys = 0;
  try {
    // ~2,000 symbols per partition, then a steady trickle while partitions move.
    const stream = makeStream({
      trades: 80_000,
      symbols: P * KEYS,
      tradesPerRecord: 100,
      seed: 7,
      malformedEvery: 1e9,
    });
    await produce(brokers, topics.input, stream.records);
    const more = makeStream({
      trades: 400_000,
      symbols: P * KEYS,
      tradesPerRecord: 20,
      seed: 8,
      malformedEvery: 1e9,
    });
    feeder = (async () => {
      for (let i = 0; feeding && i < (more.records[0]?.length ?? 0); i += 2) {
        await produce(
          brokers,
          topics.input,
          more.records.map((r) => r.slice(i, i + 2)),
        );
        await new Promise((r) => setTimeout(r, 100));
      }
    })();

    for (const c of ['c0', 'c1']) {
      const nc = await conn(c);
      const r = new CoordinatorRunner({
        bus: new NatsBus(nc),
        cluster,
        leaseKv: await NatsKv.open(nc, subjects.leaseBucket),
        stateKv: await NatsKv.open(nc, subjects.stateBucket),
        replicaId: `${c}-${randomBytes(2).toString('hex')}`,
        numPartitions: P,
        heartbeatIntervalMs: HEARTBEAT_MS,
        failureTimeoutMs: FAILURE_MS,
        leaseTtlMs: LEASE_MS,
      });
      r.start();
      coords.push(r);
    }

    const startWorker = async (id: string) => {
      const cfg = loadConfig({
        ...process.env,
        RIPPLE_WORKER_ID: id,
        RIPPLE_CLUSTER: cluster,
        RIPPLE_SOURCE: 'kafka',
        RIPPLE_SNAPSHOT_STORE: 's3',
        RIPPLE_NUM_PARTITIONS: String(P),
        RIPPLE_INPUT_TOPIC: topics.input,
        RIPPLE_OUTPUT_TOPIC: topics.output,
        RIPPLE_DLQ_TOPIC: topics.dlq,
        RIPPLE_S3_PREFIX: `bench-rebalance/${cluster}`,
        RIPPLE_CHECKPOINT_INTERVAL_SEC: '5',
        RIPPLE_HEARTBEAT_INTERVAL_SEC: String(HEARTBEAT_MS / 1000),
        RIPPLE_FAILURE_DETECTION_TIMEOUT_SEC: String(FAILURE_MS / 1000),
        OTEL_EXPORTER_OTLP_ENDPOINT: '',
      });
      const worker = new Worker({
        config: cfg,
        job: vwapJob,
        source: new KafkaSource({ brokers, topic: topics.input, clientId: `${cluster}-${id}` }),
        sink: new KafkaTransactionalSink({
          brokers,
          clientId: `${cluster}-${id}`,
          transactionalIdPrefix: `ripple-${cluster}-${topics.output}`,
        }),
        store: new S3SnapshotStore(cfg.s3),
        metrics: new WorkerMetrics(id),
        lateTopic: topics.late,
      });
      await worker.start([]);
      const loop = worker.run();
      const agent = new WorkerAgent({
        bus: new NatsBus(await conn(id)),
        cluster,
        host: new TimedHost(new WorkerPartitionHost({ worker, inputTopic: topics.input })),
        workerId: id,
        incarnation: randomBytes(4).toString('hex'),
        heartbeatIntervalMs: HEARTBEAT_MS,
        shutdownGraceMs: 30_000,
      });
      agent.start();
      members.set(id, { worker, agent, loop });
    };
    const stopWorker = async (id: string, graceful: boolean) => {
      const m = members.get(id)!;
      members.delete(id);
      if (graceful) await m.agent.shutdown();
      else m.agent.close();
      m.worker.requestStop();
      await m.loop.catch(() => false);
    };
    const settled = () => {
      const leader = coords.find((c) => c.isLeader);
      if (leader === undefined || leader.machine.movesInFlight !== 0) return false;
      const target = new HashRing([...members.keys()]).assign(P);
      for (let p = 0; p < P; p++) {
        if (leader.machine.ownerOf(p).workerId !== target[p]) return false;
        const holders = [...members].filter(([, m]) => m.worker.owned().includes(p));
        if (holders.length !== 1 || holders[0]![0] !== target[p]) return false;
      }
      return true;
    };
    const until = async (what: string, ms: number) => {
      const deadline = performance.now() + ms;
      while (!settled()) {
        if (performance.now() > deadline) throw new Error(`${what}: not settled within ${ms} ms`);
        await new Promise((r) => setTimeout(r, 10));
      }
    };

    for (const w of ['w0', 'w1', 'w2']) await startWorker(w);
    await until('initial assignment', 60_000);
    // let the initial backlog be consumed: every partition at about 2,000 keys
    const ends = stream.records.map((r) => BigInt(r.length));
    const deadline = performance.now() + 120_000;
    for (;;) {
      const held = [...members.values()].flatMap((m) => m.worker.held());
      if (held.length === P && held.every((h) => h.offset >= (ends[h.partition] ?? 0n))) {
        keys = Math.round(held.reduce((n, h) => n + h.keys, 0) / P);
        break;
      }
      if (performance.now() > deadline) throw new Error('initial backlog not consumed within 120 s');
      await new Promise((r) => setTimeout(r, 50));
    }
    say(`initial: ${keys} keys per partition`);
    let round = 0;
    while (handoffs.length < MIN_MOVES) {
      const id = `extra${round++}`;
      await startWorker(id);
      await until(`${id} joined`, 60_000);
      await stopWorker(id, true);
      await until(`${id} left`, 60_000);
      say(`round ${round}`);
    }
    moves = handoffs.length;
    const crashAt = performance.now();
    await stopWorker('w1', false);
    await until('failover', 10 * FAILURE_MS);
    failoverS = (performance.now() - crashAt) / 1000;
  } finally {
    feeding = false;
    await feeder.catch(() => {});
    for (const id of [...members.keys()]) {
      const m = members.get(id)!;
      m.agent.close();
      m.worker.requestStop();
      await m.loop.catch(() => false);
    }
    for (const c of coords) await c.stop();
    if (conns[0] !== undefined) {
      await (await NatsKv.open(conns[0], subjects.leaseBucket)).destroy().catch(() => {});
      await (await NatsKv.open(conns[0], subjects.stateBucket)).destroy().catch(() => {});
    }
    for (const nc of conns) await nc.drain().catch(() => {});
    await deleteTopics(brokers, topics);
  }
  const result = {
    suite: 'rebalance',
    handoff_ms_p50: Number(percentile(handoffs, 0.5).toFixed(1)),
    handoff_ms_p99: Number(percentile(handoffs, 0.99).toFixed(1)),
    failover_s: Number(failoverS.toFixed(2)),
    moves,
    revoke_ms_p50: Number(percentile(phases.revoke, 0.5).toFixed(1)),
    control_ms_p50: Number(percentile(phases.control, 0.5).toFixed(1)),
    assign_ms_p50: Number(percentile(phases.assign, 0.5).toFixed(1)),
    assign_ms_p99: Number(percentile(phases.assign, 0.99).toFixed(1)),
    keys_per_partition: keys,
    partitions: P,
    failure_timeout_s: FAILURE_MS / 1000,
    heartbeat_ms: HEARTBEAT_MS,
    host: 'worker runtime: Kafka replay, transactional output, S3 snapshots',
    wall_s: Number(((performance.now() - t0) / 1000).toFixed(1)),
    machine: machine(),
  };
  if (!json) console.log(result);
  printResult(result, json);
}

await main();
