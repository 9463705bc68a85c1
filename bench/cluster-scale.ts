// `pnpm bench cluster-scale [--json]`: the coordinator at scale, 1,000
// workers x 10,000 partitions, measured on the production state machine
// (no network): ring build + full assignment, the first rebalance decision
// (plan + state document), the decision when a 1,001st worker joins, and
// the CPU cost of one heartbeat (decode + membership + reconciliation) with
// ~10 partitions per worker. CPU per heartbeat x heartbeats per second gives
// the coordinator's load: 1,000 workers every 5 s = 200 heartbeats/s.
import { CoordinatorMachine, HashRing } from '@ripple/cluster';
import { decodeControlMessage, encodeControlMessage, type Heartbeat } from '@ripple/protocol';
import { machine, median, printResult } from './_util.ts';

const json = process.argv.includes('--json');
const W = 1000;
const P = 10_000;
const ids = Array.from({ length: W }, (_, i) => `worker-${i}`);

const ringMs: number[] = [];
const assignMs: number[] = [];
for (let r = 0; r < 5; r++) {
  const t0 = performance.now();
  const ring = new HashRing(ids);
  const t1 = performance.now();
  ring.assign(P);
  ringMs.push(t1 - t0);
  assignMs.push(performance.now() - t1);
}

const hb = (
  w: string,
  at: number,
  partitions: { partition: number; epoch: number }[],
  epoch: number,
): Heartbeat => ({
  type: 'heartbeat',
  v: 1,
  workerId: w,
  incarnation: 'i1',
  epoch,
  state: 'active',
  partitions: partitions.map((p) => ({ ...p, offset: 123_456n, lag: 7 })),
  load: { cpu: 0.5, eventsPerSec: 1000, keys: 2000, heapBytes: 1 << 28 },
  sentAtMs: at,
});

const m = new CoordinatorMachine({ numPartitions: P, heartbeatIntervalMs: 5000, failureTimeoutMs: 30_000 });
let now = 0;
for (const w of ids) m.onHeartbeat(now, hb(w, now, [], 0));
m.lead(now, null);
now = 10_000;
for (const w of ids) m.onHeartbeat(now, hb(w, now, [], 0));
m.drain();
let t = performance.now();
m.tick(now);
const effects = m.drain();
const firstDecisionMs = performance.now() - t;
const persist = effects.find((e) => e.kind === 'persist');
m.onPersisted(now, { ok: true, revision: 1 });
const sends = m.drain().filter((e) => e.kind === 'send');
for (const e of sends) {
  if (e.kind !== 'send' || e.message.type !== 'assign') continue;
  m.onAssignAck(now, {
    type: 'assign_ack',
    v: 1,
    epoch: e.message.epoch,
    rebalanceId: e.message.rebalanceId,
    workerId: e.workerId,
    partitions: e.message.partitions.map((p) => p.partition),
  });
}
m.drain();
if (m.unowned().length !== 0) throw new Error('not everything assigned');

// heartbeats: pre-encoded bytes, as they arrive from NATS
const table = m.partitionTable();
const byWorker = new Map<string, { partition: number; epoch: number }[]>();
for (const row of table) {
  const l = byWorker.get(row.workerId!) ?? [];
  l.push({ partition: row.partition, epoch: row.epoch });
  byWorker.set(row.workerId!, l);
}
const rounds = 10;
const frames: Uint8Array[] = [];
for (let r = 0; r < rounds; r++) {
  for (const w of ids) frames.push(encodeControlMessage(hb(w, 20_000 + r * 5000, byWorker.get(w) ?? [], 1)));
}
const cpu0 = process.cpuUsage();
t = performance.now();
for (let i = 0; i < frames.length; i++) {
  const msg = decodeControlMessage(frames[i]!);
  if (msg.type === 'heartbeat') m.onHeartbeat(20_000 + Math.floor(i / W) * 5000, msg);
}
const hbWallUs = ((performance.now() - t) * 1000) / frames.length;
const cpu = process.cpuUsage(cpu0);
const hbCpuUs = (cpu.user + cpu.system) / frames.length;
if (m.drain().some((e) => e.kind === 'send')) throw new Error('steady heartbeats caused sends');

// a 1,001st worker joins: the decision (plan + state document)
now = 70_000;
m.onHeartbeat(now, hb('worker-new', now, [], 0));
for (const w of ids) m.onHeartbeat(now, hb(w, now, byWorker.get(w) ?? [], 1));
m.drain();
t = performance.now();
m.tick(now);
const joinEffects = m.drain();
const joinDecisionMs = performance.now() - t;
const started = joinEffects.find((e) => e.kind === 'rebalance_started');
const moves = started?.kind === 'rebalance_started' ? started.record.moves : 0;

const result = {
  suite: 'cluster-scale',
  workers: W,
  partitions: P,
  ring_build_ms: Number(median(ringMs).toFixed(2)),
  ring_assign_ms: Number(median(assignMs).toFixed(2)),
  first_decision_ms: Number(firstDecisionMs.toFixed(2)),
  state_doc_bytes: persist?.kind === 'persist' ? persist.value.byteLength : 0,
  assign_messages: sends.length,
  join_decision_ms: Number(joinDecisionMs.toFixed(2)),
  join_moves: moves,
  heartbeat_cpu_us: Number(hbCpuUs.toFixed(1)),
  heartbeat_wall_us: Number(hbWallUs.toFixed(1)),
  coordinator_cpu_pct_at_5s_interval: Number(((hbCpuUs * (W / 5)) / 1e4).toFixed(2)),
  machine: machine(),
};
if (!json) console.log(result);
printResult(result, json);
