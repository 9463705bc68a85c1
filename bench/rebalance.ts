// `pnpm bench rebalance [--json]` (needs `pnpm infra:up` and `source infra/.run/env`):
// the rebalance protocol over the real NATS + JetStream KV with snapshots in
// the real S3: a coordinator pair (CoordinatorRunner) and workers
// (WorkerAgent) whose partition host writes a 2,000-key partition checkpoint
// (the worker's own PARTITION_STATE_SCHEMA, encodeSnapshot) to S3 on revoke
// and reads + decodes it on assign. Not included: the real worker's Kafka
// replay and output flush (the worker does not embed the agent yet).
//
// handoff = time a partition is unowned in a planned move: from the moment
// the old owner starts its revoke (stops processing) to the new owner live.
// Planned moves: a 4th worker joins, then leaves gracefully, repeated until
// at least 100 moves. failover = SIGKILL-like crash of a worker (2 s failure
// timeout) to all its partitions live again.
//
// Last line with --json:
// {"suite":"rebalance","handoff_ms_p50":n,"handoff_ms_p99":n,"failover_s":n,"moves":n,...}
import { randomBytes } from 'node:crypto';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import {
  CoordinatorRunner,
  HashRing,
  type HostContext,
  type HostPartitionStatus,
  type PartitionHost,
  WorkerAgent,
} from '@ripple/cluster';
import { NatsBus, NatsKv } from '@ripple/cluster-nats';
import {
  clusterSubjects,
  decodeSnapshot,
  encodeSnapshot,
  type HandedOffPartition,
  type SnapshotLeaf,
  type WorkerLoad,
} from '@ripple/protocol';
import { PARTITION_STATE_SCHEMA } from '@ripple/worker';
import { machine, percentile, printResult } from './_util.ts';

const json = process.argv.includes('--json');
const need = [
  'NATS_URL',
  'S3_ENDPOINT',
  'S3_REGION',
  'S3_BUCKET',
  'S3_ACCESS_KEY_ID',
  'S3_SECRET_ACCESS_KEY',
];
const missing = need.filter((k) => !process.env[k]);
if (missing.length > 0) {
  console.error(
    `bench rebalance needs ${missing.join(', ')}: run \`pnpm infra:up\` and \`source infra/.run/env\``,
  );
  process.exit(2);
}
const env = Object.fromEntries(need.map((k) => [k, process.env[k] as string])) as Record<string, string>;
const P = 32;
const KEYS = 2000;
const HEARTBEAT_MS = 200;
const FAILURE_MS = 2000;
const LEASE_MS = 2000;
const MIN_MOVES = 100;
const cluster = `bench-rb-${randomBytes(4).toString('hex')}`;
const prefix = `bench-rebalance/${cluster}/`;
const s3 = new S3Client({
  endpoint: env.S3_ENDPOINT!,
  region: env.S3_REGION!,
  credentials: { accessKeyId: env.S3_ACCESS_KEY_ID!, secretAccessKey: env.S3_SECRET_ACCESS_KEY! },
  forcePathStyle: true,
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
});
const written: string[] = [];

function leaves(partition: number): SnapshotLeaf[] {
  const t0 = 1_700_000_000_000_000_000n;
  const out: SnapshotLeaf[] = [
    {
      name: '\u0000partition',
      value: {
        spec: 'vwap tumbling 60s',
        counters: [0, 0, 0, 0],
        max_ts_ns: t0,
        watermark_ns: t0,
        last_sequence: 1n,
      },
    },
  ];
  for (let i = 0; i < KEYS; i++) {
    const lo = t0 + BigInt(i) * 1_000_000n;
    out.push({
      name: `P${partition}SYM${String(i).padStart(4, '0')}`,
      value: {
        lo_ns: lo,
        hi_ns: lo + 60_000_000_000n,
        gc_at_ns: lo + 120_000_000_000n,
        panes: [{ start_ns: lo, acc: [7, 104.25 * (i + 1), 300 + i] }],
      },
    });
  }
  return out;
}

const revokeStarted = new Map<number, number>();
const handoffs: number[] = [];

/** Snapshots to the real S3 on revoke, restored from it on assign. */
class S3SnapshotHost implements PartitionHost {
  readonly held = new Map<number, { epoch: number; offset: bigint; leaves: SnapshotLeaf[] }>();
  readonly workerId: string;
  constructor(workerId: string) {
    this.workerId = workerId;
  }

  async assign(starts: readonly HandedOffPartition[], epoch: number, _c?: HostContext): Promise<void> {
    await Promise.all(
      starts.map(async (s) => {
        let state = { offset: 0n, leaves: leaves(s.partition) };
        if (s.snapshotKey !== null) {
          const r = await s3.send(new GetObjectCommand({ Bucket: env.S3_BUCKET, Key: s.snapshotKey }));
          const snap = decodeSnapshot(await r.Body!.transformToByteArray(), {
            reader: PARTITION_STATE_SCHEMA,
          });
          state = { offset: snap.offsets[0]?.offset ?? 0n, leaves: [...snap.leaves] };
        }
        this.held.set(s.partition, { epoch, ...state });
        const t = revokeStarted.get(s.partition);
        if (t !== undefined && s.snapshotKey !== null) {
          handoffs.push(performance.now() - t);
          revokeStarted.delete(s.partition);
        }
      }),
    );
  }

  async revoke(partitions: readonly number[], epoch: number, c?: HostContext): Promise<HandedOffPartition[]> {
    const now = performance.now();
    for (const p of partitions) if (this.held.has(p)) revokeStarted.set(p, now);
    return await Promise.all(
      partitions
        .filter((p) => this.held.has(p))
        .map(async (p) => {
          const h = this.held.get(p)!;
          this.held.delete(p);
          if (c?.discard === true) return { partition: p, snapshotKey: null, offsets: [] };
          const key = `${prefix}p${p}/e${epoch}-${this.workerId}`;
          const bytes = encodeSnapshot({
            checkpointId: `rb-${epoch}`,
            workerId: this.workerId,
            partition: p,
            epoch: h.epoch,
            createdAtNs: BigInt(Date.now()) * 1_000_000n,
            nodeCount: h.leaves.length * 2,
            offsets: [{ topic: 'trades', partition: p, offset: h.offset }],
            schema: PARTITION_STATE_SCHEMA,
            leaves: h.leaves,
          });
          await s3.send(new PutObjectCommand({ Bucket: env.S3_BUCKET, Key: key, Body: bytes }));
          written.push(key);
          return {
            partition: p,
            snapshotKey: key,
            offsets: [{ topic: 'trades', partition: p, offset: h.offset }],
          };
        }),
    );
  }

  status(): { partitions: HostPartitionStatus[]; load: WorkerLoad } {
    return {
      partitions: [...this.held].map(([partition, h]) => ({ partition, offset: h.offset, lag: 0 })),
      load: { cpu: 0, eventsPerSec: 0, keys: this.held.size * KEYS, heapBytes: 0 },
    };
  }
}

const subjects = clusterSubjects(cluster);
const conns: NatsConnection[] = [];
const conn = async (name: string) => {
  const nc = await connect({ servers: env.NATS_URL!.split(','), name: `${cluster}-${name}` });
  conns.push(nc);
  return nc;
};
const coords: CoordinatorRunner[] = [];
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
const workers = new Map<string, { agent: WorkerAgent; host: S3SnapshotHost }>();
const startWorker = async (id: string) => {
  const host = new S3SnapshotHost(id);
  const agent = new WorkerAgent({
    bus: new NatsBus(await conn(id)),
    cluster,
    host,
    workerId: id,
    incarnation: randomBytes(4).toString('hex'),
    heartbeatIntervalMs: HEARTBEAT_MS,
  });
  agent.start();
  workers.set(id, { agent, host });
};
const settled = () => {
  const leader = coords.find((c) => c.isLeader);
  if (leader === undefined || leader.machine.movesInFlight !== 0) return false;
  const target = new HashRing([...workers.keys()]).assign(P);
  for (let p = 0; p < P; p++) {
    if (leader.machine.ownerOf(p).workerId !== target[p]) return false;
    const holders = [...workers.values()].filter((w) => w.host.held.has(p));
    if (holders.length !== 1 || leader.machine.ownerOf(p).workerId !== holders[0]!.host.workerId)
      return false;
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

const say = (m: string) =>
  json ||
  process.stderr.write(`${(performance.now() / 1000).toFixed(1)}s ${m} (handoffs ${handoffs.length})\n`);
let moves = 0;
let failoverS = Number.NaN;
const t0 = performance.now();
try {
  for (const w of ['w0', 'w1', 'w2']) await startWorker(w);
  await until('initial assignment', 30_000);
  say('initial');
  let round = 0;
  while (handoffs.length < MIN_MOVES) {
    const id = `extra${round++}`;
    await startWorker(id);
    await until(`${id} joined`, 30_000);
    say(`${id} joined`);
    const w = workers.get(id)!;
    await w.agent.shutdown();
    workers.delete(id);
    await until(`${id} left`, 30_000);
  }
  moves = handoffs.length;
  // failover: crash w1, time until its partitions are live elsewhere
  const crashAt = performance.now();
  workers.get('w1')!.agent.close();
  workers.delete('w1');
  await until('failover', 10 * FAILURE_MS);
  failoverS = (performance.now() - crashAt) / 1000;
} finally {
  for (const w of workers.values()) w.agent.close();
  for (const c of coords) await c.stop();
  await (await NatsKv.open(conns[0]!, subjects.leaseBucket)).destroy();
  await (await NatsKv.open(conns[0]!, subjects.stateBucket)).destroy();
  for (const nc of conns) await nc.drain();
  for (const key of written) await s3.send(new DeleteObjectCommand({ Bucket: env.S3_BUCKET, Key: key }));
  s3.destroy();
}

const result = {
  suite: 'rebalance',
  handoff_ms_p50: Number(percentile(handoffs, 0.5).toFixed(1)),
  handoff_ms_p99: Number(percentile(handoffs, 0.99).toFixed(1)),
  failover_s: Number(failoverS.toFixed(2)),
  moves,
  keys_per_partition: KEYS,
  partitions: P,
  failure_timeout_s: FAILURE_MS / 1000,
  heartbeat_ms: HEARTBEAT_MS,
  host: 'S3 snapshot write/read + decode; no Kafka replay (worker not wired)',
  wall_s: Number(((performance.now() - t0) / 1000).toFixed(1)),
  machine: machine(),
};
if (!json) console.log(result);
printResult(result, json);
