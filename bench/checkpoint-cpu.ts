// `pnpm bench checkpoint-cpu [--json] [--rounds N] [--s3] [--root DIR]`: what one cluster checkpoint
// costs the worker's thread, measured alone. One in-process worker (the real runtime, VWAP job and
// checkpoint participant) owns 8 partitions x 2,000 keys; between two checkpoints it processes
// random-key trades until every key of every partition changed (as under the steady load of
// `pnpm bench checkpoint`: each checkpoint is a full-size increment, or a full snapshot every 11th),
// then the worker is idle (its loop is stepped by this script, not running) while the participant
// handles one trigger: all the process's CPU in that span is the checkpoint's — the capture at the
// consistent point, encoding, CRC-32C, the store client, the ack, and the GC they cause. The store is
// in memory (`--s3`: the real S3 of `source infra/.run/env`, its client's CPU included; the server's
// is not), the bus in memory. `--root DIR` loads the worker, protocol, bus and store packages from
// another checkout of this repository (an A/B: run it alternately from two checkouts).
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { benchWorkerEnv, TradeGenerator } from './_checkpoint-trades.ts';
import { machine, percentile, printResult } from './_util.ts';

const args = process.argv.slice(2);
const json = args.includes('--json');
const s3 = args.includes('--s3');
const val = (name: string) => {
  const i = args.indexOf(name);
  return i < 0 ? undefined : args[i + 1];
};
const rounds = Number(val('--rounds') ?? 23);
const root = val('--root') ?? new URL('..', import.meta.url).pathname.replace(/\/$/, '');
const PARTITIONS = 8;
const KEYS = 2000;

const W = await import(`${root}/apps/worker/src/index.ts`);
const P = await import(`${root}/packages/protocol/src/index.ts`);
const C = await import(`${root}/packages/cluster/src/index.ts`);
const O = await import(`${root}/packages/object-store/src/index.ts`);

const env = process.env;
const prefix = `bench-checkpoint-cpu/${Date.now().toString(36)}${process.pid}`;
const store = s3
  ? new O.S3ObjectStore({
      endpoint: env.S3_ENDPOINT ?? null,
      region: env.S3_REGION ?? 'us-east-1',
      bucket: env.S3_BUCKET,
      accessKeyId: env.S3_ACCESS_KEY_ID ?? null,
      secretAccessKey: env.S3_SECRET_ACCESS_KEY ?? null,
    })
  : new O.MemoryObjectStore();
const bus = new C.MemoryBus();
const cfg = W.loadConfig(benchWorkerEnv(PARTITIONS, KEYS));
const metrics = new W.WorkerMetrics(cfg.workerId);
const source = new TradeGenerator(KEYS);
const topics = new Map(
  [cfg.outputTopic, cfg.dlqTopic, `${cfg.inputTopic}-late`].map((t: string) => [
    t,
    new W.MemoryTopic(t, PARTITIONS),
  ]),
);
const worker = new W.Worker({
  config: cfg,
  job: W.vwapJob,
  source,
  sink: new W.MemorySink(topics),
  store: new W.MemorySnapshotStore(),
  metrics,
  restorer: { restore: async () => null },
});
const participant = new W.CheckpointParticipant({
  cluster: 'bench',
  workerId: cfg.workerId,
  inputTopic: cfg.inputTopic,
  bus,
  store,
  layout: P.checkpointLayout(prefix),
  policy: { fullEvery: 10, maxIncrementRatio: 1 },
  metrics,
  logger: W.silentLogger,
  clock: W.systemClock,
});

// The pause at the consistent point (the part that holds processing), timed inside the worker's call.
let pauseMs = 0;
let pauseCpuMs = 0;
const atConsistentPoint = worker.atConsistentPoint.bind(worker);
worker.atConsistentPoint = (fn: (parts: unknown) => unknown) =>
  atConsistentPoint((parts: unknown) => {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    try {
      return fn(parts);
    } finally {
      const c = process.cpuUsage(c0);
      pauseCpuMs += (c.user + c.system) / 1000;
      pauseMs += performance.now() - t0;
    }
  });
let gcMs = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcMs += e.duration;
}).observe({ entryTypes: ['gc'] });

await worker.start();
const changed = () =>
  Math.min(...Array.from({ length: PARTITIONS }, (_, p) => worker.inspect(p)?.part.changedKeyCount ?? 0));
source.mode = 'load';
while (!source.loadDone) await worker.step();
await worker.step();
participant.start(worker);

type Round = {
  kind: string;
  cpu_ms: number;
  wall_ms: number;
  pause_ms: number;
  pause_cpu_ms: number;
  gc_ms: number;
  bytes: number;
};
const out: Round[] = [];
for (let seq = 1; seq <= rounds; seq++) {
  source.mode = 'steady';
  for (let i = 0; i < 500 && (seq === 1 ? false : changed() < KEYS); i++) await worker.step();
  source.mode = 'idle';
  await worker.step(); // nothing fetched: the last batch's output acknowledged
  const trigger = {
    type: 'checkpoint_trigger',
    v: 1,
    checkpointId: P.formatCheckpointId(seq, 'b'),
    epoch: cfg.epoch,
    partitions: Array.from({ length: PARTITIONS }, (_, p) => p),
    deadlineMs: Date.now() + 120_000,
  };
  const handled0 = participant.handledTotal;
  pauseMs = 0;
  pauseCpuMs = 0;
  gcMs = 0;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  await participant.checkpoint(trigger);
  const c = process.cpuUsage(c0);
  const wall = performance.now() - t0;
  await new Promise((r) => setImmediate(r)); // gc entries of the span delivered
  const acks = participant.handled.slice(participant.handled.length - (participant.handledTotal - handled0));
  if (acks.length !== PARTITIONS) throw new Error(`checkpoint ${seq}: ${acks.length} acks`);
  out.push({
    kind: acks.some((a: { kind: string }) => a.kind === 'full') ? 'full' : 'incremental',
    cpu_ms: (c.user + c.system) / 1000,
    wall_ms: wall,
    pause_ms: pauseMs,
    pause_cpu_ms: pauseCpuMs,
    gc_ms: gcMs,
    bytes: acks.reduce((a: number, x: { bytes: number }) => a + x.bytes, 0),
  });
  if (!json) {
    const r = out.at(-1) as Round;
    process.stdout.write(
      `checkpoint ${seq} ${r.kind}: ${r.cpu_ms.toFixed(1)} ms CPU, ${r.wall_ms.toFixed(1)} ms wall, pause ${r.pause_ms.toFixed(1)} ms, GC ${r.gc_ms.toFixed(1)} ms, ${r.bytes} B\n`,
    );
  }
}
await participant.stop();
if (s3) await store.delete((await store.list(`${prefix}/`)).map((o: { key: string }) => o.key));
store.close();

// The first checkpoints warm the JIT: the figures are over the increments after the third round.
const steady = out.slice(3).filter((r) => r.kind === 'incremental');
const med = (k: keyof Round) =>
  Math.round(
    percentile(
      steady.map((r) => r[k] as number),
      0.5,
    ) * 10,
  ) / 10;
const spread = (k: keyof Round) => {
  const xs = steady.map((r) => r[k] as number);
  return [percentile(xs, 0.1), percentile(xs, 0.9)].map((x) => Math.round(x * 10) / 10);
};
printResult(
  {
    suite: 'checkpoint-cpu',
    cpu_ms_p50: med('cpu_ms'),
    cpu_ms_p10_p90: spread('cpu_ms'),
    wall_ms_p50: med('wall_ms'),
    pause_ms_p50: med('pause_ms'),
    pause_cpu_ms_p50: med('pause_cpu_ms'),
    gc_ms_p50: med('gc_ms'),
    bytes_p50: med('bytes'),
    full_cpu_ms: out
      .slice(3)
      .filter((r) => r.kind === 'full')
      .map((r) => Math.round(r.cpu_ms * 10) / 10),
    checkpoints: steady.length,
    keys_changed_per_checkpoint: PARTITIONS * KEYS,
    store: s3 ? 's3' : 'memory',
    root,
    machine: machine(),
  },
  json,
);
process.exit(0);
