// `pnpm start`: the whole cluster on one machine with no external service.
// A coordinator, a checkpointer and three workers run as separate processes
// from the same entry points as production (apps/*/src/main.ts), wired through
// embedded adapters behind the same ports (@ripple/cluster-local): the control
// bus and the coordinator's KV over a hub on a unix socket served by this
// process, a partitioned log on local files instead of Kafka, a local
// directory instead of the S3 bucket. The workers run in cluster checkpoint
// mode: the checkpointer triggers checkpoints every 2 s and commits a manifest
// once every partition acked; a partition that moves is restored only through
// a committed manifest (then replayed from its offsets). The view shows the
// last checkpoint (id, age, partitions, bytes written full / incremental). This process feeds synthetic trades at
// a steady rate and shows the cluster live (a terminal view on a TTY, one NDJSON
// line a second when piped); after a few seconds it adds a fourth worker (a
// rebalance), later SIGKILLs one (its partitions move and come back exact),
// then closes the stream, waits for the output to settle and checks it against
// the oracle (@ripple/test-support): every window exact, re-emits absorbed.
// Exit 0 when exact, 1 when not.
//
//   pnpm start [--seconds 30] [--rate 2000] [--forever] [--json] [--keep]
//   RIPPLE_START_DEBUG=1 adds each worker's /ready progress to the view; LOG_LEVEL=info shows the apps' logs
//   after a failed check.
//
// Measured on the shared 2-core machine (load ~10): 20 s runs take 24-48 s in all and check 400
// windows exact (45k trades, 4 rebalances); the default 30 s run 520 windows exact (62k trades,
// 4 re-emits dropped by sequence). The join and the kill wait for the cluster to form: when they
// came before it (processes slow to start under load), two runs did not end exact (windows stopped
// being emitted after a worker was killed before it had registered) — noted in the issue, not solved.
// CI: tests/integration/start.integration.test.ts.
import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Kvm } from '@nats-io/kv';
import { type NatsConnection, connect as natsConnect } from '@nats-io/transport-node';
import { ManifestCatalog } from '@ripple/checkpoint-store';
import type { ControlBus } from '@ripple/cluster';
import { hash32 } from '@ripple/cluster';
import { appendToLog, HubClient, HubServer, PartitionReader } from '@ripple/cluster-local';
import { NatsBus, natsAuthFromEnv } from '@ripple/cluster-nats';
import { DirObjectStore, type ObjectStore, S3ObjectStore } from '@ripple/object-store';
import {
  type CheckpointManifest,
  checkpointLayout,
  clusterSubjects,
  encodeControlMessage,
  type QueriedWindow,
  type StatusResponse,
  type Trade,
  TradeBatchEncoder,
  tryDecodeControlMessage,
} from '@ripple/protocol';
import { ContractConsumer, oracle } from '@ripple/test-support';
import { symbolNames, syntheticTrade, VWAP_OUTPUT_SCHEMA } from '@ripple/trades';
import { KafkaTopics, type RealServices, realServices, START_REAL_HINT, unreachable } from './start-real.ts';

const ROOT = join(import.meta.dirname, '..');
// 32, not 8: with few partitions the ring can leave a worker with none (8 over 3 workers gave 0/4/4).
const PARTITIONS = 32;
const WINDOW_NS = 5_000_000_000n;
const SENTINEL = 'ZZZZ-SENTINEL';

interface Options {
  seconds: number;
  rate: number;
  forever: boolean;
  json: boolean;
  keep: boolean;
  /** on the real local services (Kafka, NATS, S3) instead of the embedded adapters */
  real: boolean;
}

function options(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      seconds: { type: 'string' },
      rate: { type: 'string' },
      forever: { type: 'boolean' },
      json: { type: 'boolean' },
      keep: { type: 'boolean' },
      real: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help === true) {
    process.stdout.write(
      'pnpm start [--seconds S (default 30)] [--rate TRADES_PER_SEC (default 2000)] [--forever] [--json] [--keep] [--real]\n' +
        '  --real: the same scenario on the real local services (Kafka topics, NATS, the S3 bucket, created\n' +
        `          for the run and removed after): ${START_REAL_HINT}\n`,
    );
    process.exit(0);
  }
  const num = (v: string | undefined, d: number, name: string) => {
    const n = v === undefined ? d : Number(v);
    if (!Number.isFinite(n) || n <= 0) {
      process.stderr.write(`pnpm start: --${name} must be a number > 0\n`);
      process.exit(2);
    }
    return n;
  };
  return {
    seconds: num(values.seconds, 30, 'seconds'),
    rate: num(values.rate, 2000, 'rate'),
    forever: values.forever === true,
    json: values.json === true || process.stdout.isTTY !== true,
    keep: values.keep === true,
    real: values.real === true,
  };
}

interface Member {
  readonly id: string;
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  /** the last 20 kB of its stderr (shown after a failed check) */
  log: string;
  /** its first 8 kB (the 'listening' line with its ports) */
  head: string;
}

/** 0: exact and checkpointed; 1: not; 2: `--real` without the services up. */
export async function run(o: Options): Promise<number> {
  let real: RealServices | null = null;
  if (o.real) {
    const svc = realServices(process.env);
    const why = 'missing' in svc ? [`${svc.missing.join(', ')} not set`] : await unreachable(svc);
    if (why.length > 0) {
      process.stderr.write(
        `pnpm start --real: the local services are not reachable (${why.join('; ')}). Start them and load their endpoints:\n  ${START_REAL_HINT}\n`,
      );
      return 2;
    }
    real = svc as RealServices;
  }
  const dir = mkdtempSync(join(tmpdir(), 'ripple-start-'));
  const sock = join(dir, 'hub.sock');
  const logDir = join(dir, 'log');
  const snapshots = join(dir, 'snapshots');
  const checkpointStore = join(dir, 'checkpoints');
  mkdirSync(logDir);
  mkdirSync(snapshots);
  mkdirSync(checkpointStore);
  // Embedded: this process serves the hub. Real: a cluster name, topics and S3 prefixes of the run's own.
  const runId = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
  const CLUSTER = real === null ? 'start' : `start-${runId}`;
  const TOPICS =
    real === null
      ? { input: 'trades', output: 'vwap-output', dlq: 'trades-dlq' }
      : { input: '', output: '', dlq: '' };
  const hub = real === null ? await HubServer.listen(sock) : null;
  let me: HubClient | null = null;
  let nc: NatsConnection | null = null;
  let bus: ControlBus;
  let kafka: KafkaTopics | null = null;
  if (real === null) {
    me = await HubClient.connect(sock);
    bus = me.bus;
  } else {
    nc = await natsConnect({
      servers: real.natsUrl.split(','),
      name: 'ripple-start',
      ...natsAuthFromEnv(process.env).options,
    });
    bus = new NatsBus(nc, () => {});
    kafka = await KafkaTopics.create(real.brokers, `start-${runId}`, PARTITIONS);
    Object.assign(TOPICS, kafka.names);
  }
  const t0 = Date.now();
  const events: string[] = [];
  const note = (e: string) => events.push(`${((Date.now() - t0) / 1000).toFixed(1)}s ${e}`);

  // What every process reads; the cluster's timing (partitions, heartbeats) goes to the members only.
  const common: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    ...(real?.env ?? {}),
    NATS_URL: real === null ? `ripple-hub:${sock}` : real.natsUrl,
    RIPPLE_CLUSTER: CLUSTER,
    RIPPLE_HEALTH_PORT: '0',
    RIPPLE_METRICS_PORT: '0',
    // real: the run's traces go to the local Jaeger (the rebalances, the checkpoints)
    OTEL_EXPORTER_OTLP_ENDPOINT: real === null ? '' : (real.env.OTEL_EXPORTER_OTLP_ENDPOINT ?? ''),
    // every process's spans carry the run (Jaeger: tags {"ripple.cluster":"start-..."})
    OTEL_RESOURCE_ATTRIBUTES: [process.env.OTEL_RESOURCE_ATTRIBUTES, `ripple.cluster=${CLUSTER}`]
      .filter((x) => x !== undefined && x !== '')
      .join(','),
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  };
  const cluster: Record<string, string> = {
    RIPPLE_NUM_PARTITIONS: String(PARTITIONS),
    RIPPLE_HEARTBEAT_INTERVAL_SEC: '0.5',
    RIPPLE_FAILURE_DETECTION_TIMEOUT_SEC: '3',
  };
  const members = new Map<string, Member>();
  const start = (id: string, entry: string, env: Record<string, string>): Member => {
    // real: the apps' own auto-instrumentation too (HTTP, S3, Kafka spans), as their start scripts load it
    const instrument = real === null ? [] : ['--import', '@ripple/telemetry/register'];
    const child = spawn(process.execPath, ['--conditions=@ripple/source', ...instrument, join(ROOT, entry)], {
      cwd: ROOT,
      env: { ...common, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const m: Member = {
      id,
      child,
      exited: new Promise((r) => child.once('exit', (code) => r(code))),
      log: '',
      head: '',
    };
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (c: string) => {
      m.log = (m.log + c).slice(-20_000);
      if (m.head.length < 8000) m.head += c;
      if (o.keep) appendFileSync(join(dir, `${id}.log`), c); // --keep: every app's log stays in the run's directory
    });
    members.set(id, m);
    return m;
  };
  const startWorker = (i: number) =>
    start(`worker-${i}`, 'apps/worker/src/main.ts', {
      ...cluster,
      RIPPLE_WORKER_ID: `worker-${i}`,
      RIPPLE_INPUT_TOPIC: TOPICS.input,
      RIPPLE_OUTPUT_TOPIC: TOPICS.output,
      RIPPLE_DLQ_TOPIC: TOPICS.dlq,
      // Cluster checkpoints: the checkpointer triggers them, restores go through its committed manifests.
      RIPPLE_CHECKPOINT_MODE: 'cluster',
      ...(real === null
        ? {
            RIPPLE_SOURCE: 'log',
            RIPPLE_LOG_DIR: logDir,
            RIPPLE_CHECKPOINT_STORE_DIR: checkpointStore,
            RIPPLE_SNAPSHOT_STORE: 'local',
            RIPPLE_CHECKPOINT_CACHE_DIR: snapshots,
          }
        : {
            RIPPLE_SOURCE: 'kafka',
            RIPPLE_SNAPSHOT_STORE: 's3',
            RIPPLE_S3_PREFIX: `start-${runId}/snapshots`,
          }),
      RIPPLE_WINDOW: '5s',
      RIPPLE_LATENESS: '0s',
      RIPPLE_OUT_OF_ORDERNESS: '0s',
    });
  start('coordinator', 'apps/coordinator/src/main.ts', {
    ...cluster,
    RIPPLE_COORDINATOR_ID: 'coordinator',
    RIPPLE_LEASE_TTL_SEC: '2',
    RIPPLE_API_PORT: '0',
  });
  start('checkpointer', 'apps/checkpointer/src/main.ts', {
    // at least info: its 'listening' line gives the metrics port read below (its log stays in memory)
    LOG_LEVEL: process.env.LOG_LEVEL === 'debug' ? 'debug' : 'info',
    ...(real === null ? { RIPPLE_STORE: 'dir', RIPPLE_STORE_DIR: checkpointStore } : { RIPPLE_STORE: 's3' }),
    RIPPLE_CHECKPOINT_INTERVAL_SEC: '2',
    RIPPLE_CHECKPOINT_TIMEOUT_SEC: '4',
  });
  for (let i = 0; i < 3; i++) startWorker(i);
  note(
    real === null
      ? 'coordinator, checkpointer and 3 workers started'
      : `coordinator, checkpointer and 3 workers started on Kafka ${real.brokers.join(',')}, NATS ${real.natsUrl}, S3 ${real.s3.endpoint}/${real.s3.bucket} (cluster ${CLUSTER})`,
  );
  const append = (
    recs: Array<{ partition: number; key: null; value: Uint8Array; headers: Record<string, string> }>,
  ) => (kafka === null ? appendToLog(logDir, TOPICS.input, recs) : kafka.append(recs));

  // ---------------------------------------------------------------- the stream
  const names = symbolNames(40);
  const trades: Trade[][] = Array.from({ length: PARTITIONS }, () => []);
  let produced = 0;
  let producing = true;
  const produce = async () => {
    const tick = 100;
    let next = Date.now();
    while (producing) {
      const due = Math.floor(((Date.now() - t0) / 1000) * o.rate) - produced;
      const enc = Array.from({ length: PARTITIONS }, () => new TradeBatchEncoder());
      const n = new Array<number>(PARTITIONS).fill(0);
      for (let i = 0; i < due; i++) {
        const t = syntheticTrade(produced + i, names);
        const p = hash32(t.symbol) % PARTITIONS;
        (enc[p] as TradeBatchEncoder).add(t);
        (trades[p] as Trade[]).push(t);
        n[p] = (n[p] as number) + 1;
      }
      const recs = [];
      for (let p = 0; p < PARTITIONS; p++)
        if ((n[p] as number) > 0)
          recs.push({
            partition: p,
            key: null,
            value: (enc[p] as TradeBatchEncoder).finish({ sequence: 0 }),
            headers: {},
          });
      await append(recs);
      produced += Math.max(0, due);
      next += tick;
      await new Promise((r) => setTimeout(r, Math.max(0, next - Date.now())));
    }
  };
  const producer = produce();

  // ---------------------------------------------------------------- the output, read as a consumer
  const consumer = new ContractConsumer(VWAP_OUTPUT_SCHEMA);
  const readers = Array.from(
    { length: PARTITIONS },
    (_, p) => new PartitionReader(logDir, TOPICS.output, p, 0n),
  );
  let outputRecords = 0;
  const readOutput = async () => {
    if (kafka !== null) {
      for (const rec of await kafka.readOutput()) {
        consumer.consume(rec.partition, rec.value);
        outputRecords++;
      }
      return;
    }
    for (const r of readers)
      for (const rec of await r.read(10_000)) {
        consumer.consume(rec.partition, rec.value);
        outputRecords++;
      }
  };

  let status: StatusResponse | null = null;
  const askStatus = async () => {
    try {
      const m = await bus.request(
        clusterSubjects(CLUSTER).status,
        encodeControlMessage({ type: 'status_request', v: 1, requestId: `start-${Date.now()}` }),
        { timeoutMs: 500 },
      );
      const r = tryDecodeControlMessage(m.data);
      if (r.ok && r.message.type === 'status_response') status = r.message;
    } catch {
      // coordinator not up yet (or moving): keep the last view
    }
  };

  const progress = async () => {
    const out: Record<string, unknown> = {};
    for (const m of members.values()) {
      const port = /"health":([1-9]\d*)/.exec(m.head)?.[1];
      if (port === undefined || m.child.exitCode !== null || m.child.signalCode !== null) continue;
      try {
        const r = (await (
          await fetch(`http://127.0.0.1:${port}/ready`, { signal: AbortSignal.timeout(500) })
        ).json()) as {
          state: string;
          details: Array<{ partition: number; nextOffset: string | null }> | null;
        };
        out[m.id] = `${r.state} ${(r.details ?? []).map((d) => `${d.partition}@${d.nextOffset}`).join(' ')}`;
      } catch {
        out[m.id] = 'no answer';
      }
    }
    return out;
  };
  let lastProgress: Record<string, unknown> = {};

  // ---------------------------------------------------------------- the checkpoints
  const checkpointObjects: ObjectStore =
    real === null
      ? new DirObjectStore(checkpointStore)
      : new S3ObjectStore({ ...real.s3, requestTimeoutMs: 5000 });
  // Committed manifests read from the checkpointer's directory (as `ripple checkpoints list --store dir`
  // does); its counters (commits, restore lookups by status) from its /metrics.
  const catalog = new ManifestCatalog(checkpointObjects, checkpointLayout(`checkpoints/${CLUSTER}`));
  let latest: CheckpointManifest | null = null;
  // The join waits for a committed checkpoint of every partition: the partitions it moves (and the
  // killed worker's) are then restored from one, which is what the run checks.
  let fullCheckpointAt: number | null = null;
  const committedIds = new Set<string>();
  const ckptMetrics = { committed: 0, aborted: 0, lookups: { ok: 0, none: 0, unavailable: 0 } };
  const readCheckpoints = async () => {
    try {
      const v = await catalog.refresh();
      for (const m of v.manifests) committedIds.add(m.manifest.checkpointId);
      latest = v.manifests.at(-1)?.manifest ?? latest;
      if (fullCheckpointAt === null && v.manifests.some((m) => m.manifest.partitions.length === PARTITIONS)) {
        fullCheckpointAt = Date.now();
        note('first checkpoint of every partition committed');
      }
    } catch {
      // a manifest written or pruned while listed: the next tick reads it
    }
    const port = /"metricsPort":([1-9]\d*)/.exec(members.get('checkpointer')?.head ?? '')?.[1];
    if (port === undefined) return;
    try {
      const text = await (
        await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(500) })
      ).text();
      const read = (name: string, label = '') =>
        Number(new RegExp(`^${name}(?:\\{[^}]*${label}[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
      ckptMetrics.committed = read('ripple_checkpoint_committed_total');
      ckptMetrics.aborted = read('ripple_checkpoint_aborted_total');
      for (const st of ['ok', 'none', 'unavailable'] as const)
        ckptMetrics.lookups[st] = read('ripple_checkpoint_restore_lookups_total', `status="${st}"`);
    } catch {
      // not answering this second: keep the last counters
    }
  };
  const lastCheckpoint = () => {
    const m = latest as CheckpointManifest | null;
    return m === null
      ? null
      : {
          id: m.checkpointId,
          ageSec: Number(((Date.now() - m.committedAtMs) / 1000).toFixed(1)),
          epoch: m.epoch,
          partitions: m.partitions.length,
          bytesFull: m.written.full,
          bytesIncremental: m.written.incremental,
        };
  };

  // ---------------------------------------------------------------- queryable state
  // A few symbols' VWAP asked of the workers that own them (`ripple query`'s path: the partition
  // table from the coordinator's status, then request/reply on ripple.<c>.query.<worker>).
  type Row = {
    symbol: string;
    workerId: string | null;
    status: string;
    open: { vwap: number; count: number } | null;
    last: { vwap: number; count: number } | null;
  };
  let queried: Row[] = [];
  const queriesOk = { ok: 0, moving: 0, failed: 0 };
  const vwapOf = (w: QueriedWindow | null | undefined) =>
    w === null || w === undefined ? null : { vwap: Number(w.fields.vwap), count: Number(w.fields.count) };
  const queryRows = async () => {
    const s = status as StatusResponse | null;
    if (s === null) return;
    queried = await Promise.all(
      names.slice(0, 4).map(async (symbol): Promise<Row> => {
        const partition = hash32(symbol) % s.numPartitions;
        const row = s.partitions?.find((x) => x.partition === partition);
        const workerId = row?.movingTo ?? row?.workerId ?? null;
        if (workerId === null) {
          queriesOk.moving++;
          return { symbol, workerId, status: 'moving', open: null, last: null };
        }
        try {
          const m = await bus.request(
            clusterSubjects(CLUSTER).query(workerId),
            encodeControlMessage({
              type: 'key_query',
              v: 1,
              requestId: `start-q-${Date.now()}`,
              workerId,
              key: symbol,
              partition,
            }),
            { timeoutMs: 500 },
          );
          const r = tryDecodeControlMessage(m.data);
          if (!r.ok || r.message.type !== 'key_query_reply') throw new Error('unexpected answer');
          const q = r.message;
          if (q.status === 'ok') queriesOk.ok++;
          else queriesOk.moving++;
          return {
            symbol,
            workerId,
            status: q.status,
            open: vwapOf(q.windows.find((w) => !w.closed)),
            last: vwapOf(q.lastEmitted),
          };
        } catch {
          queriesOk.failed++;
          return { symbol, workerId, status: 'no answer', open: null, last: null };
        }
      }),
    );
  };
  const fmt = (x: number | undefined) => (x === undefined ? '-' : x.toFixed(4));

  let lastProduced = 0;
  const view = () => {
    const s = status as StatusResponse | null;
    const rate = produced - lastProduced;
    lastProduced = produced;
    const workers = (s?.workers ?? []).map((w) => ({
      id: w.workerId,
      state: w.state,
      partitions: w.partitions,
    }));
    const lag = (s?.partitions ?? []).reduce((a, p) => a + (p.lag ?? 0), 0);
    const rows = queried;
    const line = {
      t: Number(((Date.now() - t0) / 1000).toFixed(1)),
      epoch: s?.epoch ?? null,
      workers,
      unassigned: s?.unassigned.length ?? PARTITIONS,
      produced,
      eventsPerSec: rate,
      lag,
      outputRecords,
      windows: consumer.values.size,
      reemitsDropped: consumer.dropped,
      lastRebalance: s?.rebalances?.[0]?.reason ?? null,
      lastCheckpoint: lastCheckpoint(),
      checkpointsCommitted: ckptMetrics.committed,
      restores: { ...ckptMetrics.lookups },
      vwap: rows,
      bus: real === null ? `ripple-hub:${sock}` : real.natsUrl,
      cluster: CLUSTER,
      ...(process.env.RIPPLE_START_DEBUG ? { progress: lastProgress } : {}),
    };
    if (o.json) process.stdout.write(`${JSON.stringify(line)}\n`);
    else {
      const lines = [
        `ripple: ${real === null ? 'embedded cluster' : 'cluster on the local services'} ${CLUSTER} (coordinator + checkpointer + ${workers.length} workers, bus ${line.bus})  t=${line.t}s  epoch ${line.epoch ?? '-'}`,
        `trades ${produced}  ${rate}/s  lag ${lag}  output records ${outputRecords}  windows ${line.windows}  re-emits dropped ${consumer.dropped}`,
        ...workers.map(
          (w) => `  ${w.id.padEnd(10)} ${w.state.padEnd(10)} partitions ${w.partitions.join(',') || '-'}`,
        ),
        `last rebalance: ${line.lastRebalance ?? '-'}`,
        `last checkpoint: ${
          line.lastCheckpoint === null
            ? '-'
            : `${line.lastCheckpoint.id}  ${line.lastCheckpoint.ageSec}s ago  ${line.lastCheckpoint.partitions} partitions  ${line.lastCheckpoint.bytesFull} B full + ${line.lastCheckpoint.bytesIncremental} B incremental`
        }  (${line.checkpointsCommitted} committed)`,
        `VWAP (ripple query: the owners' state, open window / last emitted):`,
        ...rows.map(
          (r) =>
            `  ${r.symbol.padEnd(8)} ${r.status === 'ok' ? `open ${fmt(r.open?.vwap)} (${r.open?.count ?? 0})  last ${fmt(r.last?.vwap)} (${r.last?.count ?? 0})` : r.status}  ${r.workerId ?? '-'}`,
        ),
        ...events.slice(-4).map((e) => `  · ${e}`),
      ];
      process.stdout.write(`\x1b[H\x1b[2J${lines.join('\n')}\n`);
    }
  };

  // ---------------------------------------------------------------- the scenario
  // The join and the kill are timed from when the cluster has formed (3 workers, every partition owned):
  // on a loaded machine the processes take several seconds to start.
  let formedAt: number | null = null;
  const formBy = t0 + 90_000;
  // The kill waits until the joined worker is a member (seen in the status), so the view shows four
  // workers and the join's rebalance is under way before the death's; at most 45 s after the join.
  let joinedAt: number | null = null;
  let joinSeenAt: number | null = null;
  let killedAt: number | null = null;
  const at = () => {
    const f = formedAt ?? Number.POSITIVE_INFINITY;
    const afterJoin =
      joinSeenAt !== null ? joinSeenAt + 4000 : (joinedAt ?? Number.POSITIVE_INFINITY) + 45_000;
    return {
      join: Math.max(
        f + Math.min(8000, o.seconds * 250),
        Math.min((fullCheckpointAt ?? Number.POSITIVE_INFINITY) + 1000, f + 45_000),
      ),
      kill: Math.max(f + Math.min(16000, o.seconds * 550), afterJoin),
      stop: Math.max(t0 + o.seconds * 1000, (killedAt ?? Number.POSITIVE_INFINITY) + 6000),
    };
  };
  let joined = false;
  let killed = false;
  let interrupted = false;
  process.once('SIGINT', () => {
    interrupted = true;
  });
  // SIGTERM (a test runner's timeout, a supervisor): no orphans — every app process is killed at
  // once (the services' leftovers of a --real run carry the run's cluster name).
  process.once('SIGTERM', () => {
    for (const m of members.values()) if (m.child.exitCode === null) m.child.kill('SIGKILL');
    process.stderr.write(`pnpm start: SIGTERM; the app processes were killed (cluster ${CLUSTER})\n`);
    process.exit(143);
  });
  while (!interrupted && (o.forever || Date.now() < at().stop)) {
    await askStatus();
    const st = status as StatusResponse | null;
    if (formedAt === null && st !== null && st.workers.length >= 3 && st.unassigned.length === 0) {
      formedAt = Date.now();
      note('cluster formed: 3 workers own every partition');
    }
    if (formedAt === null && Date.now() > formBy) {
      note('the cluster did not form within 90 s');
      break;
    }
    if (joined && joinSeenAt === null && st?.workers.some((w) => w.workerId === 'worker-3')) {
      joinSeenAt = Date.now();
      note('worker-3 is a member');
    }
    await readOutput();
    await readCheckpoints();
    await queryRows();
    if (process.env.RIPPLE_START_DEBUG) lastProgress = await progress();
    view();
    if (!o.forever && !joined && Date.now() >= at().join) {
      joined = true;
      joinedAt = Date.now();
      startWorker(3);
      note('worker-3 joins (rebalance)');
    }
    if (!o.forever && !killed && Date.now() >= at().kill) {
      killed = true;
      killedAt = Date.now();
      members.get('worker-1')?.child.kill('SIGKILL');
      note('worker-1 SIGKILLed (its partitions move)');
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  producing = false;
  await producer;
  // One last trade per partition an hour later closes every window.
  let last = 0n;
  for (const list of trades) for (const t of list) if (t.timestampNs > last) last = t.timestampNs;
  const closing = [];
  for (let p = 0; p < PARTITIONS; p++) {
    const t: Trade = {
      symbol: SENTINEL,
      price: 1,
      size: 1,
      timestampNs: last + 3_600_000_000_000n,
      venue: 'X',
    };
    const e = new TradeBatchEncoder();
    e.add(t);
    (trades[p] as Trade[]).push(t);
    closing.push({ partition: p, key: null, value: e.finish({ sequence: 0 }), headers: {} });
  }
  await append(closing);
  note('stream closed; waiting for the output to settle');

  // The oracle, from the input as written; the output has settled when it matches (or 60 s pass).
  const want = oracle({ trades }, WINDOW_NS, 0n, 0n, SENTINEL);
  const compare = () => {
    let missing = 0;
    let wrong = 0;
    for (const [k, w] of want.windows) {
      const got = consumer.values.get(k) as { vwap: number; volume: number; count: number } | undefined;
      if (got === undefined) missing++;
      else if (
        got.count !== w.count ||
        got.volume !== w.volume ||
        Math.abs(got.vwap - w.vwap) > 1e-9 * w.vwap
      )
        wrong++;
    }
    const extra = [...consumer.values.keys()].filter(
      (k) => !k.startsWith(`${SENTINEL}@`) && !want.windows.has(k),
    ).length;
    return { missing, wrong, extra };
  };
  const settleBy = Date.now() + 60_000;
  let cmp = compare();
  while (Date.now() < settleBy) {
    await readOutput();
    cmp = compare();
    if (cmp.missing === 0 && cmp.wrong === 0) break;
    await askStatus();
    await readCheckpoints();
    if (process.env.RIPPLE_START_DEBUG) lastProgress = await progress();
    view();
    await new Promise((r) => setTimeout(r, 500));
  }
  await new Promise((r) => setTimeout(r, 1000)); // anything emitted after the match counts too
  await readOutput();
  await askStatus();
  await readCheckpoints();
  cmp = compare();
  const { missing, wrong, extra } = cmp;
  const exact =
    missing === 0 && wrong === 0 && extra === 0 && want.windows.size > 0 && (o.forever || (joined && killed));
  const s = status as StatusResponse | null;
  // The checkpointer took part: checkpoints committed and the moved partitions restored from them.
  const checkpointed =
    ckptMetrics.committed > 0 && committedIds.size > 0 && (o.forever || ckptMetrics.lookups.ok > 0);
  const summary = {
    summary: true,
    exact,
    checkpointed,
    trades: produced,
    windows: want.windows.size,
    missing,
    wrong,
    extra,
    outputRecords,
    reemitsDropped: consumer.dropped,
    rebalances: s?.rebalances?.length ?? 0,
    epoch: s?.epoch ?? null,
    joined,
    killed,
    // Cluster checkpoints: every restore is a lookup answered by the checkpointer from a committed
    // manifest (ok) or "none committed yet" (none: the partition starts empty and replays the log).
    checkpoints: {
      committed: ckptMetrics.committed,
      aborted: ckptMetrics.aborted,
      manifestsSeen: committedIds.size,
      last: lastCheckpoint(),
      restores: { ...ckptMetrics.lookups },
    },
    // `ripple query` answers the view asked for (ok; moving: the partition was being restored)
    queries: { ...queriesOk },
    seconds: Number(((Date.now() - t0) / 1000).toFixed(1)),
    events,
  };
  process.stdout.write(
    o.json
      ? `${JSON.stringify(summary)}\n`
      : `\n${exact ? 'EXACT' : 'NOT EXACT'}${checkpointed ? '' : ' (NO CHECKPOINT RESTORE)'}: ${want.windows.size} windows checked against the oracle (${missing} missing, ${wrong} wrong, ${extra} unexpected); ${produced} trades; ${consumer.dropped} re-emits dropped by sequence; ${summary.rebalances} rebalances (epoch ${summary.epoch}); worker-3 joined: ${joined}, worker-1 SIGKILLed: ${killed}; ${summary.checkpoints.committed} checkpoints committed, ${summary.checkpoints.restores.ok} partitions restored through committed manifests (${summary.checkpoints.restores.none} started before the first)\n`,
  );
  if (!exact || !checkpointed)
    for (const m of members.values()) process.stderr.write(`--- ${m.id} (last log)\n${m.log.slice(-2000)}\n`);

  // ---------------------------------------------------------------- stop
  for (const m of members.values())
    if (m.child.exitCode === null && m.id !== 'coordinator') m.child.kill('SIGTERM');
  await Promise.race([
    Promise.all([...members.values()].filter((m) => m.id !== 'coordinator').map((m) => m.exited)),
    new Promise((r) => setTimeout(r, 15_000)),
  ]);
  const coord = members.get('coordinator');
  coord?.child.kill('SIGTERM');
  if (coord !== undefined) await Promise.race([coord.exited, new Promise((r) => setTimeout(r, 5000))]);
  for (const m of members.values()) if (m.child.exitCode === null) m.child.kill('SIGKILL');
  me?.close();
  await hub?.close();
  if (real !== null && nc !== null) {
    // what the run left on the services: its topics, its KV buckets, its objects (unless --keep)
    await kafka?.close(!o.keep);
    if (!o.keep) {
      const kvm = new Kvm(nc);
      for (const b of [clusterSubjects(CLUSTER).leaseBucket, clusterSubjects(CLUSTER).stateBucket])
        await (await kvm.open(b)).destroy().catch(() => {});
      for (const prefix of [`checkpoints/${CLUSTER}/`, `start-${runId}/`])
        await checkpointObjects
          .delete((await checkpointObjects.list(prefix)).map((x) => x.key))
          .catch(() => {});
    }
    await nc.drain().catch(() => {});
  }
  checkpointObjects.close();
  if (!o.keep) rmSync(dir, { recursive: true, force: true });
  else process.stderr.write(`pnpm start: the run's files and the apps' logs are in ${dir}\n`);
  return exact && checkpointed ? 0 : 1;
}

if (import.meta.main) process.exitCode = await run(options(process.argv.slice(2)));
