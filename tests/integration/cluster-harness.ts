// What the cluster suites (cluster-rebalance, cluster-coordinator-failover,
// checkpoint-cluster-rebalance) share on top of worker-harness.ts: a
// coordinator process, the coordinator's status over NATS, "settled" (every
// partition owned by the given workers, nothing moving, heartbeats agreeing),
// trades fed in slices in the background, "all input processed", and the
// output read back through the consumer contract against the oracle.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  type clusterSubjects,
  decodeControlMessage,
  encodeControlMessage,
  type Heartbeat,
  type StatusResponse,
} from '@ripple/protocol';
import { eventually } from './helpers.ts';
import {
  contractOutputs,
  PARTITIONS,
  produce,
  progress,
  readAll,
  SEC,
  type Stream,
  sleep,
  streamOracle,
  type TopicRecord,
  type Topics,
  type WorkerProcess,
} from './worker-harness.ts';

const ROOT = join(import.meta.dirname, '..', '..');

export interface CoordinatorProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly apiPort: number;
  log(): string;
}

/** A coordinator process (apps/coordinator from source), resolved once it listens (its API port known). */
export async function startCoordinator(opts: {
  name: string;
  cluster: string;
  natsUrl: string;
  heartbeatSec: number;
  failureSec: number;
  leaseTtlSec: number;
  env?: Record<string, string>;
}): Promise<CoordinatorProcess> {
  const child = spawn(
    process.execPath,
    ['--conditions=@ripple/source', join(ROOT, 'apps/coordinator/src/main.ts')],
    {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        NATS_URL: opts.natsUrl,
        RIPPLE_CLUSTER: opts.cluster,
        RIPPLE_COORDINATOR_ID: opts.name,
        RIPPLE_NUM_PARTITIONS: String(PARTITIONS),
        RIPPLE_HEARTBEAT_INTERVAL_SEC: String(opts.heartbeatSec),
        RIPPLE_FAILURE_DETECTION_TIMEOUT_SEC: String(opts.failureSec),
        RIPPLE_LEASE_TTL_SEC: String(opts.leaseTtlSec),
        RIPPLE_API_PORT: '0',
        RIPPLE_HEALTH_PORT: '0',
        RIPPLE_METRICS_PORT: '0',
        ...opts.env,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let log = '';
  const apiPort = await new Promise<number>((resolve, reject) => {
    child.stderr?.on('data', (d: Buffer) => {
      log = (log + d.toString()).slice(-200_000);
      const m =
        /"api":(\d+)[^\n]*"msg":"coordinator listening"|"msg":"coordinator listening"[^\n]*"api":(\d+)/.exec(
          log,
        );
      if (m !== null) resolve(Number(m[1] ?? m[2]));
    });
    child.once('exit', (code) => reject(new Error(`coordinator ${opts.name} exited (${code}):\n${log}`)));
  });
  return { name: opts.name, child, apiPort, log: () => log };
}

/** The acting coordinator's status over NATS request/reply. */
export async function requestStatus(
  nc: NatsConnection,
  s: ReturnType<typeof clusterSubjects>,
): Promise<StatusResponse> {
  const reply = await nc.request(
    s.status,
    encodeControlMessage({ type: 'status_request', v: 1, requestId: 'it' }),
    {
      timeout: 1000,
    },
  );
  return decodeControlMessage(reply.data) as StatusResponse;
}

/** Every worker's latest heartbeat, kept up to date from the cluster's heartbeat subject. */
export function watchHeartbeats(
  nc: NatsConnection,
  s: ReturnType<typeof clusterSubjects>,
): Map<string, Heartbeat> {
  const beats = new Map<string, Heartbeat>();
  nc.subscribe(s.allHeartbeats, {
    callback: (_e, m) => {
      const hb = decodeControlMessage(m.data);
      if (hb.type === 'heartbeat') beats.set(hb.workerId, hb);
    },
  });
  return beats;
}

/**
 * `st` if every partition is owned by one of `ids` (each of them owning some) and nothing is
 * moving; with `beats`, also each of them heartbeating exactly its partitions at their epochs.
 */
export function settledView(
  st: StatusResponse,
  ids: string[],
  beats?: Map<string, Heartbeat>,
): StatusResponse | undefined {
  const rows = st.partitions ?? [];
  if (st.unassigned.length > 0 || !rows.every((p) => p.movingTo === null)) return undefined;
  const owners = new Set(rows.map((p) => p.workerId));
  if (owners.size !== ids.length || !ids.every((w) => owners.has(w))) return undefined;
  if (beats === undefined) return st;
  for (const w of ids) {
    const hb = beats.get(w);
    const mine = rows.filter((p) => p.workerId === w);
    if (hb === undefined || hb.partitions.length !== mine.length) return undefined;
    for (const h of hb.partitions) {
      const row = rows[h.partition];
      if (row === undefined || row.workerId !== w || row.epoch !== h.epoch) return undefined;
    }
  }
  return st;
}

/** Feeds `stream` into `topic` in `slices` slices (every partition's records cut alike), `pauseMs` apart. */
export async function producePaced(
  brokers: string[],
  topic: string,
  stream: Stream,
  slices: number,
  pauseMs = 500,
): Promise<void> {
  const longest = Math.max(...stream.records.map((r) => r.length));
  const per = Math.ceil(longest / slices);
  for (let i = 0; i < longest; i += per) {
    await produce(
      brokers,
      topic,
      stream.records.map((r) => r.slice(i, i + per)),
    );
    await sleep(pauseMs);
  }
}

/** Waits until the given workers' progress together reaches the end of every input partition. */
export async function waitAllProcessed(
  workers: Iterable<WorkerProcess>,
  stream: Stream,
  timeoutMs: number,
): Promise<void> {
  const endOffsets = stream.records.map((r) => BigInt(r.length));
  const ws = [...workers];
  await eventually('all input processed', timeoutMs, async () => {
    const at = new Map<number, bigint>();
    for (const w of ws) {
      const pr = await progress(w);
      for (const d of pr?.details ?? []) at.set(d.partition, BigInt(d.nextOffset ?? '-1'));
    }
    return endOffsets.every((end, p) => (at.get(p) ?? -1n) >= end) ? true : undefined;
  });
}

/**
 * The output topic through the consumer contract, once it holds as many windows as the oracle of
 * `stream` (the suites' 250 ms windows, 250 ms lateness, 1 s out-of-orderness), and the windows
 * that differ from the oracle (missing, count, volume, or VWAP beyond 1e-9 relative).
 */
export async function outputAgainstOracle(
  brokers: string[],
  topic: string,
  stream: Stream,
): Promise<{
  records: TopicRecord[];
  contract: ReturnType<typeof contractOutputs>;
  oracleWindows: number;
  wrong: string[];
}> {
  const o = streamOracle(stream, SEC / 4n, SEC / 4n, SEC);
  const out = await eventually('every window in the output', 30_000, async () => {
    const records = await readAll(brokers, topic);
    const contract = contractOutputs(records);
    return contract.windows.size >= o.windows.size ? { records, contract } : undefined;
  });
  const wrong: string[] = [];
  for (const [k, want] of o.windows) {
    const got = out.contract.windows.get(k);
    if (
      got === undefined ||
      got.count !== want.count ||
      got.volume !== want.volume ||
      Math.abs(got.vwap - want.vwap) > 1e-9 * Math.abs(want.vwap)
    )
      wrong.push(String(k));
  }
  return { ...out, oracleWindows: o.windows.size, wrong };
}

/**
 * A cluster-mode worker of these suites on real Kafka and S3: the given topics, short windows
 * (250 ms windows and lateness, 1 s out-of-orderness: the stream spans a few seconds of event
 * time, so windows close and output flows throughout a scenario; the oracle of
 * `outputAgainstOracle` uses the same), small batches, the suite's heartbeat and failure timeout.
 */
export function clusterWorkerEnv(o: {
  workerId: string;
  cluster: string;
  topics: Topics;
  s3Prefix: string;
  heartbeatSec: number;
  failureSec: number;
}): Record<string, string> {
  return {
    RIPPLE_WORKER_ID: o.workerId,
    RIPPLE_CLUSTER: o.cluster,
    RIPPLE_SOURCE: 'kafka',
    RIPPLE_SNAPSHOT_STORE: 's3',
    RIPPLE_S3_PREFIX: o.s3Prefix,
    RIPPLE_NUM_PARTITIONS: String(PARTITIONS),
    RIPPLE_INPUT_TOPIC: o.topics.input,
    RIPPLE_OUTPUT_TOPIC: o.topics.output,
    RIPPLE_DLQ_TOPIC: o.topics.dlq,
    RIPPLE_WINDOW: '250ms',
    RIPPLE_LATENESS: '250ms',
    RIPPLE_OUT_OF_ORDERNESS: '1s',
    RIPPLE_MAX_BATCH_RECORDS: '200',
    RIPPLE_HEARTBEAT_INTERVAL_SEC: String(o.heartbeatSec),
    RIPPLE_FAILURE_DETECTION_TIMEOUT_SEC: String(o.failureSec),
    RIPPLE_SHUTDOWN_GRACE_SEC: '10',
  };
}

/** After a suite: the cluster's lease and state buckets in JetStream KV destroyed, the connection drained. */
export async function dropClusterState(
  nc: NatsConnection,
  s: ReturnType<typeof clusterSubjects>,
): Promise<void> {
  for (const b of [s.leaseBucket, s.stateBucket]) await (await new Kvm(nc).open(b)).destroy().catch(() => {});
  await nc.drain();
}
