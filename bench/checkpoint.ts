// `pnpm bench checkpoint [--json] [--checkpoints N] [--segments N] [--long-segment-sec S]` (needs
// `pnpm infra:up` and `source infra/.run/env`): the checkpointer process on the real S3 (Ceph RGW) and NATS, and one
// in-process worker (the real runtime, VWAP job and checkpoint participant) owning 8 partitions x
// 2,000 keys, fed by an in-process trade generator (no Kafka: the figures are the checkpoint's).
//
// Phase 1, bytes and commit latency: every key is loaded once, then the participant starts; after
// each commit 1 % of each partition's keys change (20 trades per partition), so each checkpoint
// after the first is the increment of 1 % of the keys (a full one every K+1 = 11 by the default
// chain policy, left out of the incremental figure). Trigger-to-commit is the checkpointer's own
// duration (after the manifest is durable), from its log.
// Phase 2, throughput: the worker processes trades of random keys as fast as it can (every key
// changes between two checkpoints: each is a full-size increment or a full snapshot); segments with
// the checkpointer running alternate (ABBA) with segments where it is paused (SIGSTOP: no trigger;
// an "off" segment starts once the worker has no checkpoint in progress). Run twice: a checkpoint
// every second (3 s segments), then every 10 s, the checkpointer's default interval (10 s segments).
// throughput_drop_pct_pairs: the same pair by pair (each "on" segment against the adjacent "off" one,
// so a drift of the machine between pairs does not enter), median and [min, max] of the pairs; the
// range says how far one figure can be trusted on this machine (pnpm bench checkpoint-cpu measures
// one checkpoint's CPU alone, with the worker idle).
// throughput_drop_pct = 1 - median(events per CPU-second with) / median(without), in %, per
// CPU-second of the worker process (the machine is shared: wall-clock rates swing 2-4x between
// segments; the wall-clock figure is printed beside it). That share still depends on how much CPU
// the worker gets per wall-second (a checkpoint every second costs a starved worker a larger part of
// its CPU), so checkpoint_cpu_ms_each is printed too: the CPU of the "on" segments beyond what their
// events cost at the "off" rate, per checkpoint; on a core of its own the drop is about that / the
// interval. The generator runs in the worker's process and its CPU counts as the worker's (one
// reused encoder: it allocated a 64 KiB buffer per record before, 27 % of the process's CPU).
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { connect } from '@nats-io/transport-node';
import { NatsBus } from '@ripple/cluster-nats';
import { S3ObjectStore } from '@ripple/object-store';
import { checkpointLayout, decodeManifest } from '@ripple/protocol';
import {
  CheckpointParticipant,
  loadConfig,
  MemorySink,
  MemorySnapshotStore,
  MemoryTopic,
  silentLogger,
  systemClock,
  vwapJob,
  Worker,
  WorkerMetrics,
} from '@ripple/worker';
import { requireEnv, uniqueId } from '../tests/integration/helpers.ts';
import { benchWorkerEnv, TradeGenerator } from './_checkpoint-trades.ts';
import { machine, percentile, printResult } from './_util.ts';

const args = process.argv.slice(2);
const json = args.includes('--json');
const opt = (name: string, dflt: number) => {
  const i = args.indexOf(name);
  return i < 0 ? dflt : Number(args[i + 1]) || dflt;
};
const want = opt('--checkpoints', 20);
const segments = opt('--segments', 8);
const SEGMENT_MS = 3000;
// the segments of the 10 s phase: 10 s holds one checkpoint; 20 or 30 s hold two or three
const LONG_SEGMENT_MS = opt('--long-segment-sec', 10) * 1000;
const DEFAULT_INTERVAL_SEC = 10; // the checkpointer's default RIPPLE_CHECKPOINT_INTERVAL_SEC
const PARTITIONS = 8;
const KEYS = 2000;
const CHANGE = KEYS / 100;
const env = requireEnv(
  'NATS_URL',
  'S3_ENDPOINT',
  'S3_REGION',
  'S3_BUCKET',
  'S3_ACCESS_KEY_ID',
  'S3_SECRET_ACCESS_KEY',
);
const id = uniqueId().replace(/[^A-Za-z0-9]/g, '');
const cluster = `bench${id}`;
const prefix = `bench-checkpoint/${id}`;
const root = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const store = new S3ObjectStore({
  endpoint: env.S3_ENDPOINT,
  region: env.S3_REGION,
  bucket: env.S3_BUCKET,
  accessKeyId: env.S3_ACCESS_KEY_ID,
  secretAccessKey: env.S3_SECRET_ACCESS_KEY,
});
const nc = await connect({ servers: env.NATS_URL.split(','), name: `ripple-bench-${cluster}` });
const bus = new NatsBus(nc);
const cfg = loadConfig(benchWorkerEnv(PARTITIONS, KEYS));
const metrics = new WorkerMetrics(cfg.workerId);
const source = new TradeGenerator(KEYS);
const topics = new Map(
  [cfg.outputTopic, cfg.dlqTopic, `${cfg.inputTopic}-late`].map((t) => [t, new MemoryTopic(t, PARTITIONS)]),
);
const worker = new Worker({
  config: cfg,
  job: vwapJob,
  source,
  sink: new MemorySink(topics),
  store: new MemorySnapshotStore(),
  metrics,
  // cluster checkpoints only: nothing to restore in a fresh bench cluster, no checkpoint of its own
  restorer: { restore: async () => null },
});
const participant = new CheckpointParticipant({
  cluster,
  workerId: cfg.workerId,
  inputTopic: cfg.inputTopic,
  bus,
  store,
  layout: checkpointLayout(prefix),
  policy: { fullEvery: 10, maxIncrementRatio: 1 },
  metrics,
  logger: silentLogger,
  clock: systemClock,
});
await worker.start();
const running = worker.run();

const commits: Array<{ ms: number; written: { full: number; incremental: number } }> = [];
let onCommit: (() => void) | null = null;
/** The checkpointer process, triggering every `intervalSec`; its commits are appended to `commits`. */
function spawnCheckpointer(intervalSec: number): ChildProcess {
  const c = spawn(
    process.execPath,
    ['--conditions=@ripple/source', join(root, 'apps/checkpointer/src/main.ts')],
    {
      cwd: root,
      env: {
        PATH: process.env.PATH,
        ...env,
        RIPPLE_CLUSTER: cluster,
        RIPPLE_S3_PREFIX: prefix,
        RIPPLE_STATIC_PARTITIONS: String(PARTITIONS),
        RIPPLE_STATIC_EPOCH: String(cfg.epoch),
        RIPPLE_CHECKPOINT_INTERVAL_SEC: String(intervalSec),
        RIPPLE_CHECKPOINT_TIMEOUT_SEC: '5',
        RIPPLE_CHECKPOINTS_RETAINED: '5',
        RIPPLE_HOST: '127.0.0.1',
        RIPPLE_HEALTH_PORT: '0',
        RIPPLE_METRICS_PORT: '0',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let buf = '';
  c.stderr?.on('data', (d: Buffer) => {
    buf += d.toString();
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      try {
        const j = JSON.parse(line) as {
          msg?: string;
          durationMs?: number;
          written?: { full: number; incremental: number };
        };
        if (j.msg === 'checkpoint committed' && j.durationMs !== undefined && j.written !== undefined) {
          commits.push({ ms: j.durationMs, written: j.written });
          if (!json)
            process.stdout.write(
              `commit ${commits.length}: ${j.durationMs} ms, full ${j.written.full} B, incremental ${j.written.incremental} B\n`,
            );
          onCommit?.();
        }
      } catch {}
    }
  });
  return c;
}
async function stopCheckpointer(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return;
  const exited = new Promise((r) => c.once('exit', r));
  c.kill('SIGCONT');
  c.kill('SIGTERM');
  await exited;
}
let child = spawnCheckpointer(1);

async function until(what: string, cond: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`bench checkpoint: ${what} not within ${timeoutMs} ms`);
    await sleep(20);
  }
}
/**
 * ABBA segments (on off off on ...) of `segmentMs` each, with the checkpointer running or stopped;
 * an "off" segment starts only once the worker has no checkpoint in progress.
 */
async function throughput(n: number, segmentMs: number) {
  const rate: { on: number[]; off: number[] } = { on: [], off: [] };
  const perCpu: { on: number[]; off: number[] } = { on: [], off: [] };
  let checkpointsOn = 0;
  const onSegments: Array<{ events: number; cpuSec: number }> = [];
  for (let i = 0; i < n * 2; i++) {
    const on = i % 4 === 0 || i % 4 === 3; // on off off on on off off on ...: both see the same drift
    child.kill(on ? 'SIGCONT' : 'SIGSTOP');
    if (on) await sleep(200);
    else await until('the checkpoint in progress settled', () => !participant.busy, 10_000);
    const c0 = consumed();
    const g0 = gc.ms;
    const gm0 = gc.major;
    const k0 = participant.handledTotal;
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    await sleep(segmentMs);
    const events = (consumed() - c0) * 20;
    const cpu = process.cpuUsage(cpu0);
    const eventsPerSec = (events * 1000) / (performance.now() - t0);
    const eventsPerCpuSec = events / ((cpu.user + cpu.system) / 1e6);
    const handled = (participant.handledTotal - k0) / PARTITIONS;
    if (on) {
      checkpointsOn += handled;
      onSegments.push({ events, cpuSec: (cpu.user + cpu.system) / 1e6 });
    }
    rate[on ? 'on' : 'off'].push(eventsPerSec);
    perCpu[on ? 'on' : 'off'].push(eventsPerCpuSec);
    if (!json)
      process.stdout.write(
        `segment ${i + 1} (${segmentMs / 1000} s) checkpoints ${on ? 'on ' : 'off'}: ${Math.round(eventsPerSec)} events/s, ${Math.round(eventsPerCpuSec)} events/CPU-s, ${handled} checkpoints, GC ${Math.round(gc.ms - g0)} ms (${gc.major - gm0} major), heap ${Math.round(process.memoryUsage().heapUsed / 2 ** 20)} MiB\n`,
      );
  }
  child.kill('SIGCONT');
  // Each "on" segment against the "off" one next to it (ABBA: 0-1, 3-2, 4-5, 7-6, ...): the drop
  // pair by pair, so a drift of the machine's load between pairs does not enter; median and range.
  const pairDrops: number[] = [];
  for (let k = 0; k < Math.min(perCpu.on.length, perCpu.off.length); k++)
    pairDrops.push((1 - (perCpu.on[k] as number) / (perCpu.off[k] as number)) * 100);
  const withCk = percentile(rate.on, 0.5);
  const without = percentile(rate.off, 0.5);
  const cpuWith = percentile(perCpu.on, 0.5);
  const cpuWithout = percentile(perCpu.off, 0.5);
  // CPU of the "on" segments beyond what their events cost at the "off" rate, per checkpoint: what
  // one checkpoint costs the worker, whatever share of the machine it gets.
  const extraCpuSec = onSegments.reduce((a, s) => a + s.cpuSec - s.events / cpuWithout, 0);
  const r1 = (x: number) => Math.round(x * 10) / 10;
  return {
    pairDropPct: r1(percentile(pairDrops, 0.5)),
    pairDropRange: [r1(Math.min(...pairDrops)), r1(Math.max(...pairDrops))],
    cpuMsPerCheckpoint: checkpointsOn > 0 ? Math.round((extraCpuSec * 1000) / checkpointsOn) : Number.NaN,
    dropPct: Math.round((1 - cpuWith / cpuWithout) * 1000) / 10,
    dropWallPct: Math.round((1 - withCk / without) * 1000) / 10,
    checkpointsOn: Math.round(checkpointsOn),
    eventsPerSecOn: Math.round(withCk),
    eventsPerSecOff: Math.round(without),
    eventsPerCpuSecOn: Math.round(cpuWith),
    eventsPerCpuSecOff: Math.round(cpuWithout),
  };
}

const gc = { ms: 0, major: 0 };
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    gc.ms += e.duration;
    const kind = (e as { detail?: { kind?: number } }).detail?.kind;
    if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) gc.major++;
  }
}).observe({ entryTypes: ['gc'] });

const consumed = () => worker.progress().reduce((a, p) => a + Number(p.nextOffset ?? 0n), 0);

let exitCode = 0;
let result: Record<string, unknown> | null = null;
try {
  // Phase 1: load every key, then checkpoints with 1 % of the keys changed between them.
  source.mode = 'load';
  await until('initial load', () => source.loadDone && consumed() === source.produced, 120_000);
  source.mode = 'idle';
  participant.start(worker);
  onCommit = () => source.burst(CHANGE);
  await until(`${want} commits`, () => commits.length >= want, want * 5000 + 30_000);
  onCommit = null;
  const phase1 = [...commits];
  const bytesFull = phase1[0]?.written.full ?? Number.NaN;
  const incr = phase1.slice(1).filter((c) => c.written.full === 0 && c.written.incremental > 0);
  const bytesIncr =
    incr.length === 0
      ? Number.NaN
      : percentile(
          incr.map((c) => c.written.incremental),
          0.5,
        );

  // Phase 2: steady load; segments with and without checkpoints (checkpointer paused by SIGSTOP),
  // first with a checkpoint every second, then every 10 s (the checkpointer's default interval).
  source.mode = 'steady';
  await sleep(5000); // warm-up: the rates still climb for a few seconds once the load starts
  const phase2From = commits.length;
  const fast = await throughput(segments, SEGMENT_MS);
  await stopCheckpointer(child);
  await until('the last checkpoint settled', () => !participant.busy, 10_000);
  child = spawnCheckpointer(DEFAULT_INTERVAL_SEC);
  const dflt = await throughput(segments, LONG_SEGMENT_MS);
  result = {
    suite: 'checkpoint',
    commit_ms_p50: percentile(
      phase1.map((c) => c.ms),
      0.5,
    ),
    commit_ms_p99: percentile(
      phase1.map((c) => c.ms),
      0.99,
    ),
    // events per CPU-second of the worker process (checkpoint capture, encoding, S3 and NATS clients
    // included): what the worker loses on a machine of its own, unlike wall-clock rates on this shared one
    throughput_drop_pct: dflt.dropPct,
    throughput_drop_wall_pct: dflt.dropWallPct,
    checkpoint_interval_sec: DEFAULT_INTERVAL_SEC,
    segment_sec: LONG_SEGMENT_MS / 1000,
    checkpoints_in_on_segments: dflt.checkpointsOn,
    // the same, "on" segment against the adjacent "off" one (ABBA pairs): median and [min, max]
    throughput_drop_pct_pairs: dflt.pairDropPct,
    throughput_drop_pct_pairs_range: dflt.pairDropRange,
    throughput_drop_pct_interval_1s: fast.dropPct,
    throughput_drop_pct_pairs_interval_1s: fast.pairDropPct,
    throughput_drop_pct_pairs_range_interval_1s: fast.pairDropRange,
    throughput_drop_wall_pct_interval_1s: fast.dropWallPct,
    checkpoints_in_on_segments_interval_1s: fast.checkpointsOn,
    checkpoint_cpu_ms_each_interval_1s: fast.cpuMsPerCheckpoint,
    checkpoint_cpu_ms_each: dflt.cpuMsPerCheckpoint,
    bytes_full: bytesFull,
    bytes_incremental_1pct: bytesIncr,
    incremental_pct_of_full: Math.round((bytesIncr / bytesFull) * 10000) / 100,
    checkpoints: phase1.length,
    checkpoints_under_steady_load: commits.length - phase2From,
    events_per_s_with_checkpoints: dflt.eventsPerSecOn,
    events_per_s_without: dflt.eventsPerSecOff,
    events_per_cpu_s_with_checkpoints: dflt.eventsPerCpuSecOn,
    events_per_cpu_s_without: dflt.eventsPerCpuSecOff,
    events_per_cpu_s_with_checkpoints_interval_1s: fast.eventsPerCpuSecOn,
    events_per_cpu_s_without_interval_1s: fast.eventsPerCpuSecOff,
    partitions: PARTITIONS,
    keys_per_partition: KEYS,
    snapshot_format: 'engine (packages/stream snapshotChanges, RIPP snapshot frames)',
    machine: machine(),
  };
} catch (e) {
  console.error(String(e));
  exitCode = 1;
} finally {
  await stopCheckpointer(child);
  await participant.stop();
  worker.requestStop();
  await running.catch(() => {});
  const manifests = await store.list(checkpointLayout(prefix).manifestsPrefix);
  const last = manifests.at(-1);
  if (result !== null && last !== undefined) {
    const m = decodeManifest((await store.get(last.key)) as Uint8Array);
    result.manifest_bytes = last.size;
    result.manifest_partitions = m.partitions.length;
  }
  await store.delete((await store.list(`${prefix}/`)).map((o) => o.key));
  store.close();
  await nc.drain();
}
if (result === null) process.exit(exitCode || 1);
printResult(result, json);
process.exit(0);
