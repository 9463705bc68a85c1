import { CoordinatorRunner, HashRing, MemoryBus, MemoryKv } from '@ripple/cluster';
import { clusterSubjects, decodeControlMessage, type WorkerLoad } from '@ripple/protocol';
import { oracle } from '@ripple/test-support';
import { afterEach, describe, expect, it } from 'vitest';
import { MemorySink, MemorySnapshotStore, MemorySource, MemoryTopic } from '../src/adapters/memory.ts';
import { type ClusterMember, joinCluster } from '../src/cluster-member.ts';
import { vwapJob } from '../src/jobs/vwap/vwap-job.ts';
import { WorkerMetrics } from '../src/metrics.ts';
import type { RecordSink, RecordSource, SnapshotStore } from '../src/ports.ts';
import { Worker } from '../src/worker.ts';
import { config, contractConsumer, produce, SEC, steppingClock, type World } from './memory-world.ts';

// The worker as a cluster member over the in-memory bus: a real
// CoordinatorRunner and WorkerAgents driving real worker runtimes through
// WorkerPartitionHost, trades flowing in while 3 workers start, a 4th joins
// and one crashes. The output, read as the consumer contract says, equals
// the independent oracle; no output partition has two writers in one epoch.

const P = 8;
const HEARTBEAT_SEC = 0.05;
const FAILURE_SEC = 0.6;

interface Member {
  readonly id: string;
  readonly worker: Worker;
  readonly member: ClusterMember;
  readonly loop: Promise<boolean>;
  readonly state: { crashed: boolean };
}

const hang = () => new Promise<never>(() => {});

/** A worker runtime + agent; `crash` freezes its I/O (no output, no snapshot, no fetch) and silences its agent. */
function startMember(w: World, bus: MemoryBus, id: string): Member {
  const cfg = config({
    RIPPLE_WORKER_ID: id,
    RIPPLE_CLUSTER: 'mem',
    NATS_URL: 'nats://127.0.0.1:1',
    RIPPLE_NUM_PARTITIONS: String(P),
    RIPPLE_HEARTBEAT_INTERVAL_SEC: String(HEARTBEAT_SEC),
    RIPPLE_FAILURE_DETECTION_TIMEOUT_SEC: String(FAILURE_SEC),
  });
  const state = { crashed: false };
  const inner = new MemorySource(w.input.topic);
  const source: RecordSource = {
    assign: (s) => inner.assign(s),
    unassign: (p) => inner.unassign(p),
    poll: (n, ms) => (state.crashed ? hang() : inner.poll(n, ms)),
    endOffset: (p) => inner.endOffset(p),
    lastKnownEnd: (p) => inner.lastKnownEnd(p),
    close: () => inner.close(),
  };
  const sinkInner = new MemorySink(new Map([w.out, w.dlq, w.late].map((t) => [t.name, t])));
  const sink: RecordSink = {
    send: (r) => (state.crashed ? hang() : sinkInner.send(r)),
    close: () => sinkInner.close(),
  };
  const store: SnapshotStore = {
    name: 'memory',
    put: (p, i, b) => (state.crashed ? hang() : w.store.put(p, i, b)),
    latest: (p) => w.store.latest(p),
    list: (p) => w.store.list(p),
    get: (p, i) => w.store.get(p, i),
    prune: (p, k) => w.store.prune(p, k),
  };
  const worker = new Worker({
    config: cfg,
    job: vwapJob,
    source,
    sink,
    store,
    metrics: new WorkerMetrics(id),
    clock: steppingClock(),
    lateTopic: 'trades-late',
    retryBackoffMs: { first: 1, max: 4 },
  });
  const loop = worker.start([]).then(() => worker.run());
  const member = joinCluster({ worker, bus, config: cfg, incarnation: `${id}-1` });
  return { id, worker, member, loop, state };
}

async function until(what: string, cond: () => boolean, timeoutMs = 45_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Every partition live on exactly one live member, the ring's choice, and the coordinator agrees. */
function converged(c: CoordinatorRunner, members: readonly Member[]): boolean {
  if (!c.isLeader || c.machine.movesInFlight !== 0) return false;
  const live = members.filter((m) => !m.state.crashed);
  const target = new HashRing(live.map((m) => m.id)).assign(P);
  for (let p = 0; p < P; p++) {
    const holders = live.filter((m) => m.worker.owned().includes(p));
    if (holders.length !== 1 || holders[0]!.id !== target[p]) return false;
    if (c.machine.ownerOf(p).workerId !== target[p]) return false;
  }
  return true;
}

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

describe('the worker as a cluster member (MemoryBus, in-memory Kafka and S3)', () => {
  it('3 workers, a 4th joins, one crashes: exact output, one writer per partition and epoch', async () => {
    const staged = produce(6000, 41, P);
    const topic = new MemoryTopic('trades', P);
    const w: World = {
      input: { topic, trades: staged.trades, malformed: staged.malformed },
      out: new MemoryTopic('vwap-output', P),
      dlq: new MemoryTopic('trades-dlq', P),
      late: new MemoryTopic('trades-late', P),
      store: new MemorySnapshotStore(),
    };
    // Trades flow in during the whole scenario: a few records per partition every 10 ms.
    const cursor = new Array<number>(P).fill(0);
    const total = () => staged.topic.partitions.reduce((n, x) => n + x.length, 0);
    let fed = 0;
    const feed = setInterval(() => {
      for (let p = 0; p < P; p++) {
        const src = staged.topic.partitions[p]!;
        for (let k = 0; k < 4 && cursor[p]! < src.length; k++) {
          const r = src[cursor[p]!++]!;
          topic.append(p, r.value, r.headers, r.key);
          fed++;
        }
      }
    }, 10);
    cleanup.push(() => clearInterval(feed));

    const bus = new MemoryBus();
    const coordinator = new CoordinatorRunner({
      bus,
      cluster: 'mem',
      leaseKv: new MemoryKv(),
      stateKv: new MemoryKv(),
      replicaId: 'c0',
      numPartitions: P,
      heartbeatIntervalMs: HEARTBEAT_SEC * 1000,
      failureTimeoutMs: FAILURE_SEC * 1000,
      leaseTtlMs: 300,
    });
    coordinator.start();
    cleanup.push(() => coordinator.stop());
    // The heartbeats' load: dead letters by reason and late events, as the dashboard reads them.
    const heard = new Map<string, WorkerLoad>();
    const hb = bus.subscribe(clusterSubjects('mem').allHeartbeats, (m) => {
      const msg = decodeControlMessage(m.data);
      if (msg.type === 'heartbeat') heard.set(msg.workerId, msg.load);
    });
    cleanup.push(() => hb.unsubscribe());

    const members = ['w1', 'w2', 'w3'].map((id) => startMember(w, bus, id));
    cleanup.push(() => {
      for (const m of members) m.member.close();
    });
    await until('3 workers converged', () => converged(coordinator, members));
    const epochAfter3 = coordinator.machine.currentEpoch;
    await until('some input processed', () => fed > total() / 5);

    // A 4th worker joins: it takes its ring share, handed over with snapshots while trades flow.
    const before = new Map([...Array(P).keys()].map((p) => [p, coordinator.machine.ownerOf(p).workerId]));
    members.push(startMember(w, bus, 'w4'));
    await until('4 workers converged', () => converged(coordinator, members));
    const moved = [...before].filter(([p, o]) => coordinator.machine.ownerOf(p).workerId !== o);
    expect(moved.length).toBeGreaterThan(0);
    expect(moved.every(([p]) => coordinator.machine.ownerOf(p).workerId === 'w4')).toBe(true);
    expect(coordinator.machine.currentEpoch).toBeGreaterThan(epochAfter3);
    await until('more input processed', () => fed > (total() * 2) / 5);

    // One crashes (no hand-over, no more heartbeats): its partitions come back elsewhere.
    const victim = members.find((m) => m.id === 'w2')!;
    const lost = victim.worker.owned();
    expect(lost.length).toBeGreaterThan(0);
    victim.state.crashed = true;
    victim.member.close();
    await until('converged without the crashed worker', () => converged(coordinator, members));

    // Everything fed and processed, then the loops stop and the open windows are flushed.
    await until('all input fed', () => fed === total());
    const survivors = members.filter((m) => !m.state.crashed);
    await until('all input processed', () =>
      survivors.every((m) =>
        m.worker.held().every((h) => h.offset === BigInt(topic.partitions[h.partition]!.length)),
      ),
    );
    // Each survivor's heartbeat carries its dead letters by reason and its late events.
    const diverted = (m: Member) => ({
      deadLetters: Object.fromEntries(m.worker.diverted.deadLetters),
      late: m.worker.diverted.late,
    });
    await until('heartbeats carry the dead-letter and late counts', () =>
      survivors.every((m) => {
        const l = heard.get(m.id);
        return JSON.stringify({ deadLetters: l?.deadLetters, late: l?.late }) === JSON.stringify(diverted(m));
      }),
    );
    // Every malformed record was dead-lettered at least once (a replay after the crash counts it again).
    const malformedSeen = members.reduce(
      (n, m) => n + (m.worker.diverted.deadLetters.get('malformed') ?? 0),
      0,
    );
    expect(malformedSeen).toBeGreaterThanOrEqual(staged.malformed);
    expect(members.reduce((n, m) => n + m.worker.diverted.late, 0)).toBeGreaterThan(0);
    await coordinator.stop();
    for (const m of survivors) {
      m.member.close();
      m.worker.requestStop();
      await m.loop;
      await m.worker.flushWindows();
    }

    // Read as docs/consumer-contract.md says; compare with the oracle.
    const got = contractConsumer(w.out);
    const o = oracle(w.input, 10n * SEC, 5n * SEC, SEC);
    expect(got.values.size).toBe(o.windows.size);
    for (const [k, a] of o.windows) {
      const v = got.values.get(k) as { vwap: number; volume: number; count: number } | undefined;
      expect(v, k).toBeDefined();
      expect(v?.count).toBe(a.count);
      expect(v?.volume).toBe(a.volume);
      expect(v?.vwap).toBeCloseTo(a.vwap, 9);
    }
    // Sequences applied are 1..n per partition: nothing lost, re-emits dropped by sequence.
    for (const seqs of got.sequences) expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    // One writer per (output partition, epoch).
    for (const part of w.out.partitions) {
      const writers = new Map<string, Set<string>>();
      for (const r of part) {
        const e = r.headers['ripple-epoch']!;
        const set = writers.get(e) ?? new Set<string>();
        set.add(r.headers['ripple-worker']!);
        writers.set(e, set);
      }
      for (const [e, set] of writers) expect(set.size, `epoch ${e}: ${[...set].join(',')}`).toBe(1);
    }
    // The crashed worker's partitions were taken over at a newer epoch, by live workers.
    for (const p of lost) expect(coordinator.machine.ownerOf(p).workerId).not.toBe('w2');
  }, 150_000);
});
