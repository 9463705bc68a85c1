/**
 * Deterministic simulation of a Ripple cluster's control plane: two
 * coordinator replicas (CoordinatorMachine + LeaseMachine, the production
 * classes) and N workers (WorkerAgentMachine, production) over a simulated
 * bus and KV, on a virtual clock, with all randomness from one seed.
 *
 * Faults: joins, graceful leaves, crashes, restarts (new incarnation),
 * pauses (SIGSTOP: messages queue up and are handled on resume, possibly
 * past the failure timeout), coordinator crashes/restarts/pauses, message
 * delays (hence reordering), duplicates and drops, failed host operations.
 * After the chaos phase everything heals and the cluster must converge.
 *
 * Invariants, checked as the run goes (the step that breaks one stops the
 * run and is reported with the seed):
 * - single owner per partition per epoch: no two workers ever go live on
 *   the same (partition, epoch);
 * - epochs monotonic: the durable epoch never decreases; a rebalance never
 *   starts with an epoch at or below one already sent; a worker never acts
 *   on an epoch below one it has seen for that partition;
 * - restores: an assign with a snapshot reference restores exactly that
 *   snapshot, one without restores the newest valid one; a fenced (zombie)
 *   snapshot never enters the store;
 * - after healing: every partition is live on exactly one worker, the
 *   leader's table says the same, it equals the ring over the live workers,
 *   and no move is in flight.
 */
import {
  type ControlMessage,
  decodeControlMessage,
  encodeControlMessage,
  type HandedOffPartition,
  type Heartbeat,
} from '@ripple/protocol';
import {
  type AgentEffect,
  type CoordinatorEffect,
  CoordinatorMachine,
  HashRing,
  KvConflictError,
  LeaseMachine,
  type LeaseOpResult,
  MemoryKv,
  WorkerAgentMachine,
} from '../../src/index.ts';
import { SimSnapshotStore } from './sim-store.ts';

export interface SimOptions {
  readonly seed: number;
  readonly workers?: number;
  readonly maxWorkers?: number;
  readonly numPartitions?: number;
  readonly chaosMs?: number;
  readonly settleMs?: number;
  readonly dropRate?: number;
  readonly dupRate?: number;
  readonly maxDelayMs?: number;
  readonly heartbeatMs?: number;
  readonly failureMs?: number;
  readonly leaseTtlMs?: number;
  /** collect a readable event log (for replaying one seed) */
  readonly trace?: boolean;
  /** false: no faults at all (the scale run); default true */
  readonly faults?: boolean;
  /** stop as soon as the cluster has converged (after healing); default false */
  readonly stopWhenConverged?: boolean;
}

export interface SimResult {
  readonly seed: number;
  readonly ok: boolean;
  readonly violation: string | null;
  readonly atMs: number;
  readonly events: number;
  readonly stats: Record<string, number>;
  readonly log: string[];
}

class Violation extends Error {}

/** mulberry32: small, fast, good enough for fault injection */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Ev {
  at: number;
  seq: number;
  run: () => void;
}

class Queue {
  private heap: Ev[] = [];
  private seq = 0;
  push(at: number, run: () => void): void {
    const e = { at, seq: this.seq++, run };
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (less(h[p]!, e)) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = e;
  }
  pop(): Ev | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last !== undefined) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= h.length) break;
        const r = l + 1;
        const c = r < h.length && less(h[r]!, h[l]!) ? r : l;
        if (less(last, h[c]!)) break;
        h[i] = h[c]!;
        i = c;
      }
      h[i] = last;
    }
    return top;
  }
  get size(): number {
    return this.heap.length;
  }
}
const less = (a: Ev, b: Ev) => a.at < b.at || (a.at === b.at && a.seq < b.seq);

interface Node {
  readonly id: string;
  incarnation: number;
  alive: boolean;
  pausedUntil: number;
  inbox: (() => void)[];
}

interface CoordNode extends Node {
  machine: CoordinatorMachine;
  lease: LeaseMachine;
  leadPending: boolean;
}

interface WorkerNode extends Node {
  agent: WorkerAgentMachine;
  host: Map<number, { epoch: number; offset: number }>;
  /** highest epoch delivered to this process per partition (the sim's own record) */
  seenEpoch: Map<number, number>;
  nextCheckpoint: number;
  stopped: boolean;
}

const TICK_MS = 100;
const STATE_KEY = 'coordinator';
const LEASE_KEY = 'lease';

export function runSimulation(options: SimOptions): SimResult {
  const seed = options.seed;
  const random = rng(seed);
  const P = options.numPartitions ?? 32;
  const heartbeatMs = options.heartbeatMs ?? 300;
  const failureMs = options.failureMs ?? 1200;
  const leaseTtlMs = options.leaseTtlMs ?? 1000;
  const chaosMs = options.chaosMs ?? 8000;
  const settleMs = options.settleMs ?? failureMs + leaseTtlMs + 6000;
  const maxDelay = options.maxDelayMs ?? 60;
  const maxWorkers = options.maxWorkers ?? 8;
  const faults = options.faults !== false;
  let dropRate = faults ? (options.dropRate ?? 0.03) : 0;
  let dupRate = faults ? (options.dupRate ?? 0.03) : 0;
  const log: string[] = [];
  const trace = options.trace === true;
  const stats: Record<string, number> = {
    messages: 0,
    dropped: 0,
    duplicated: 0,
    rebalances: 0,
    refusedStale: 0,
    fencedSnapshotWrites: 0,
    hostFailures: 0,
    failovers: 0,
    restoresFromOlderRef: 0,
    heartbeats: 0,
    heartbeatUs: 0,
    maxDecisionMs: 0,
    convergedAtMs: -1,
  };

  const q = new Queue();
  let now = 0;
  const kv = new MemoryKv();
  const store = new SimSnapshotStore();
  const coords: CoordNode[] = [];
  const workers = new Map<string, WorkerNode>();
  let nextWorker = 0;
  const liveOwner = new Map<string, string>(); // "p:epoch" -> worker id
  let maxSentEpoch = 0;
  let maxDurableEpoch = 0;
  let healed = false;

  const say = (s: string) => {
    if (trace) log.push(`${now.toFixed(0).padStart(6)} ${s}`);
  };
  const fail = (s: string): never => {
    throw new Violation(s);
  };
  // KV: short delays; bus: mostly short, with a long tail during the chaos (5%: up to 20x) so that
  // messages really overtake each other
  const delay = () => 1 + Math.floor(random() * maxDelay);
  const busDelay = () => 1 + Math.floor(random() * (!healed && random() < 0.05 ? 20 * maxDelay : maxDelay));
  const paused = (n: Node) => n.pausedUntil > now;

  /** Runs `f` on node n now, or queues it until n resumes; nothing if n is dead. */
  const onNode = (n: Node, incarnation: number, f: () => void) => {
    if (!n.alive || n.incarnation !== incarnation) return;
    if (paused(n)) n.inbox.push(f);
    else f();
  };

  // ---- bus: serialized like production, delayed, dropped, duplicated ----
  const send = (to: Node, message: ControlMessage, handle: (m: ControlMessage) => void) => {
    stats.messages!++;
    if (random() < dropRate) {
      stats.dropped!++;
      return;
    }
    const bytes = encodeControlMessage(message);
    const copies = random() < dupRate ? 2 : 1;
    if (copies === 2) stats.duplicated!++;
    const inc = to.incarnation;
    for (let i = 0; i < copies; i++) {
      q.push(now + busDelay(), () => onNode(to, inc, () => handle(decodeControlMessage(bytes))));
    }
  };

  const toCoordinators = (message: ControlMessage) => {
    for (const c of coords) send(c, message, (m) => coordReceive(c, m));
  };

  // ---- KV with latency: applied at its linearization point, answered later ----
  const kvOp = <T>(
    n: Node,
    op: () => T,
    done: (r: { ok: true; value: T } | { ok: false; error: unknown }) => void,
  ) => {
    const inc = n.incarnation;
    q.push(now + delay(), () => {
      let r: { ok: true; value: T } | { ok: false; error: unknown };
      try {
        r = { ok: true, value: op() };
      } catch (error) {
        if (error instanceof Violation) throw error;
        r = { ok: false, error };
      }
      q.push(now + delay(), () => onNode(n, inc, () => done(r)));
    });
  };

  // ---- coordinators ----
  const newCoord = (id: string, incarnation: number): CoordNode => ({
    id,
    incarnation,
    alive: true,
    pausedUntil: 0,
    inbox: [],
    machine: new CoordinatorMachine({
      numPartitions: P,
      heartbeatIntervalMs: heartbeatMs,
      failureTimeoutMs: failureMs,
    }),
    lease: new LeaseMachine({ holderId: `${id}-${incarnation}`, key: LEASE_KEY, ttlMs: leaseTtlMs }),
    leadPending: false,
  });

  const coordReceive = (c: CoordNode, m: ControlMessage) => {
    switch (m.type) {
      case 'register':
        c.machine.onRegister(now, m);
        break;
      case 'heartbeat': {
        stats.heartbeats!++;
        const t0 = performance.now();
        c.machine.onHeartbeat(now, m);
        stats.heartbeatUs! += (performance.now() - t0) * 1000;
        break;
      }
      case 'revoke_ack':
        c.machine.onRevokeAck(now, m);
        break;
      case 'assign_ack':
        c.machine.onAssignAck(now, m);
        break;
      default:
        return;
    }
    coordEffects(c);
  };

  const coordEffects = (c: CoordNode) => {
    const effects = c.machine.drain();
    if (effects.length === 0) return;
    // the runner's rule: act only while the lease says so
    if (!c.lease.isLeader(now)) {
      if (c.machine.isLeader) {
        say(`${c.id} lost the lease`);
        c.machine.follow();
      }
      return;
    }
    for (const e of effects) coordEffect(c, e);
  };

  const coordEffect = (c: CoordNode, e: CoordinatorEffect) => {
    switch (e.kind) {
      case 'send': {
        const w = workers.get(e.workerId);
        maxSentEpoch = Math.max(maxSentEpoch, e.message.epoch);
        say(
          `${c.id} -> ${e.workerId} ${e.message.type} e${e.message.epoch} [${e.message.partitions.map((x) => (typeof x === 'number' ? x : x.partition)).join(',')}]`,
        );
        if (w !== undefined) send(w, e.message, (m) => workerReceive(w, m));
        break;
      }
      case 'persist': {
        const { value, expectedRevision } = e;
        kvOp(
          c,
          () => {
            const rev = kv.updateSync(STATE_KEY, value, expectedRevision);
            // the linearization point: the durable epoch must never go down
            const d = JSON.parse(new TextDecoder().decode(value)) as { epoch: number };
            if (d.epoch < maxDurableEpoch) fail(`durable epoch went down: ${d.epoch} < ${maxDurableEpoch}`);
            maxDurableEpoch = d.epoch;
            return rev;
          },
          (r) => {
            if (r.ok) {
              c.machine.onPersisted(now, { ok: true, revision: r.value });
            } else {
              c.machine.onPersisted(now, { ok: false, conflict: r.error instanceof KvConflictError });
            }
            coordEffects(c);
          },
        );
        break;
      }
      case 'rebalance_started':
        stats.rebalances!++;
        say(`${c.id} rebalance ${e.record.rebalanceId} (${e.record.moves} moves): ${e.record.reason}`);
        if (e.record.epoch <= maxSentEpoch)
          fail(
            `rebalance ${e.record.rebalanceId} reuses epoch ${e.record.epoch} <= ${maxSentEpoch} already sent`,
          );
        break;
      case 'fenced':
        say(`${c.id} fenced: ${e.reason}`);
        break;
      default:
        break;
    }
  };

  const coordTick = (c: CoordNode) => {
    // lease
    const op = c.lease.poll(now);
    if (op !== null) {
      kvOp(
        c,
        () => (op.kind === 'get' ? kv.getSync(op.key) : kv.updateSync(op.key, op.value, op.expectedRevision)),
        (r) => {
          let res: LeaseOpResult;
          if (r.ok)
            res =
              op.kind === 'get'
                ? { kind: 'entry', entry: r.value as ReturnType<MemoryKv['getSync']> }
                : { kind: 'written', revision: r.value as number };
          else
            res =
              r.error instanceof KvConflictError ? { kind: 'conflict' } : { kind: 'error', error: r.error };
          c.lease.onResult(now, res);
        },
      );
    }
    const leader = c.lease.isLeader(now);
    if (leader && !c.machine.isLeader && !c.leadPending) {
      c.leadPending = true;
      kvOp(
        c,
        () => kv.getSync(STATE_KEY),
        (r) => {
          c.leadPending = false;
          if (!r.ok || !c.lease.isLeader(now) || c.machine.isLeader) return;
          stats.failovers!++;
          say(`${c.id} leads (term ${c.lease.view(now).term})`);
          c.machine.lead(now, r.value);
        },
      );
    } else if (!leader && c.machine.isLeader) {
      say(`${c.id} lost the lease`);
      c.machine.follow();
    }
    const t0 = performance.now();
    c.machine.tick(now);
    const ms = performance.now() - t0;
    if (ms > stats.maxDecisionMs!) stats.maxDecisionMs = ms;
    coordEffects(c);
  };

  // ---- workers ----
  const newWorker = (id: string, incarnation: number): WorkerNode => ({
    id,
    incarnation,
    alive: true,
    pausedUntil: 0,
    inbox: [],
    agent: new WorkerAgentMachine({
      workerId: id,
      incarnation: `i${incarnation}`,
      heartbeatIntervalMs: heartbeatMs,
      shutdownGraceMs: 4 * failureMs,
    }),
    host: new Map(),
    seenEpoch: new Map(),
    nextCheckpoint: 0,
    stopped: false,
  });

  const workerReceive = (w: WorkerNode, m: ControlMessage) => {
    if (m.type === 'revoke' || m.type === 'assign') {
      for (const x of m.partitions) {
        const p = typeof x === 'number' ? x : x.partition;
        w.seenEpoch.set(p, Math.max(w.seenEpoch.get(p) ?? 0, m.epoch));
      }
    }
    if (m.type === 'revoke') w.agent.onRevoke(now, m);
    else if (m.type === 'assign') w.agent.onAssign(now, m);
    workerEffects(w);
  };

  const workerEffects = (w: WorkerNode) => {
    for (const e of w.agent.drain()) workerEffect(w, e);
  };

  const hostDelay = () => 5 + Math.floor(random() * 150);

  const workerEffect = (w: WorkerNode, e: AgentEffect) => {
    switch (e.kind) {
      case 'publish_register':
        toCoordinators(e.message);
        break;
      case 'publish_heartbeat': {
        const hb: Heartbeat = {
          type: 'heartbeat',
          v: 1,
          workerId: w.id,
          incarnation: `i${w.incarnation}`,
          epoch: e.epoch,
          state: e.state,
          partitions: e.partitions.map((x) => ({
            partition: x.partition,
            epoch: x.epoch,
            offset: BigInt(w.host.get(x.partition)?.offset ?? 0),
            lag: 0,
          })),
          load: { cpu: 0, eventsPerSec: 0, keys: 0, heapBytes: 0 },
          sentAtMs: Math.floor(now),
        };
        toCoordinators(hb);
        break;
      }
      case 'publish_ack':
        say(
          `${w.id} ack ${e.message.type} e${e.message.epoch} [${e.message.partitions.map((x) => (typeof x === 'number' ? x : x.partition)).join(',')}]`,
        );
        toCoordinators(e.message);
        break;
      case 'host_assign': {
        for (const st of e.starts) {
          const seen = w.seenEpoch.get(st.partition) ?? 0;
          if (e.epoch < seen)
            fail(`${w.id} started ${st.partition} under epoch ${e.epoch} after being sent epoch ${seen}`);
        }
        const inc = w.incarnation;
        q.push(now + hostDelay(), () =>
          onNode(w, inc, () => {
            const ok = random() >= 0.03 && e.starts.every((s) => store.claim(s.partition, e.epoch));
            if (!ok) stats.hostFailures!++;
            if (ok) for (const s of e.starts) restore(w, s, e.epoch);
            w.agent.onHostAssigned(now, e.opId, ok);
            workerEffects(w);
          }),
        );
        break;
      }
      case 'host_revoke': {
        const inc = w.incarnation;
        q.push(now + hostDelay(), () =>
          onNode(w, inc, () => {
            if (random() < 0.03) {
              stats.hostFailures!++;
              w.agent.onHostRevoked(now, e.opId, null);
              workerEffects(w);
              return;
            }
            const refs: HandedOffPartition[] = [];
            for (const p of e.partitions) {
              const h = w.host.get(p);
              w.host.delete(p);
              if (h === undefined || e.discard) continue;
              const s = store.put(p, h.epoch, h.offset);
              if (s === null) {
                stats.fencedSnapshotWrites!++;
                refs.push({ partition: p, snapshotKey: null, offsets: [] });
              } else {
                refs.push({
                  partition: p,
                  snapshotKey: s.key,
                  offsets: [{ topic: 'in', partition: p, offset: BigInt(s.offset) }],
                });
              }
            }
            w.agent.onHostRevoked(now, e.opId, refs);
            workerEffects(w);
          }),
        );
        break;
      }
      case 'refused':
        if (e.reason === 'stale_epoch') stats.refusedStale!++;
        break;
      case 'stopped':
        say(`${w.id} stopped (graceful ${e.graceful})`);
        w.stopped = true;
        w.alive = false;
        w.host.clear();
        break;
    }
  };

  const restore = (w: WorkerNode, s: HandedOffPartition, epoch: number) => {
    const p = s.partition;
    const key = `${p}:${epoch}`;
    const prev = liveOwner.get(key);
    if (prev !== undefined && prev !== w.id)
      fail(`partition ${p} live on ${prev} and ${w.id} under the same epoch ${epoch}`);
    liveOwner.set(key, w.id);
    let offset = 0;
    const newest = store.newest(p);
    if (s.snapshotKey !== null) {
      const snap = store.get(p, s.snapshotKey);
      if (snap === null) fail(`assign of ${p} names snapshot ${s.snapshotKey} that is not in the store`);
      offset = snap!.offset;
      const declared = s.offsets[0]?.offset;
      if (declared !== BigInt(offset))
        fail(`assign of ${p}: offsets ${String(declared)} differ from snapshot ${offset}`);
      if (newest !== null && newest.offset > offset) stats.restoresFromOlderRef!++;
    } else if (newest !== null) {
      offset = newest.offset;
    }
    w.host.set(p, { epoch, offset });
    say(`${w.id} live ${p} e${epoch} @${offset}`);
  };

  const workerTick = (w: WorkerNode) => {
    w.agent.tick(now);
    if (w.alive && now >= w.nextCheckpoint) {
      w.nextCheckpoint = now + 300;
      for (const [p, h] of w.host) {
        h.offset += 1 + Math.floor(random() * 5);
        if (store.put(p, h.epoch, h.offset) === null) stats.fencedSnapshotWrites!++;
      }
    }
    workerEffects(w);
  };

  // ---- clocks ----
  const every = (n: Node, f: () => void) => {
    const inc = n.incarnation;
    const loop = () => {
      if (!n.alive || n.incarnation !== inc) return;
      if (!paused(n)) f();
      q.push(now + TICK_MS, loop);
    };
    q.push(now + Math.floor(random() * TICK_MS), loop);
  };

  const startCoord = (id: string, incarnation: number) => {
    const existing = coords.find((x) => x.id === id);
    if (existing?.alive) return; // restarted already
    const c = newCoord(id, Math.max(incarnation, (existing?.incarnation ?? -1) + 1));
    const i = coords.findIndex((x) => x.id === id);
    if (i >= 0) coords[i] = c;
    else coords.push(c);
    every(c, () => coordTick(c));
    say(`${id} started (i${incarnation})`);
  };

  const startWorker = (id: string, incarnation: number) => {
    const existing = workers.get(id);
    if (existing?.alive) return; // restarted already
    const w = newWorker(id, Math.max(incarnation, (existing?.incarnation ?? -1) + 1));
    workers.set(id, w);
    every(w, () => workerTick(w));
    w.agent.start(now);
    workerEffects(w);
    say(`${id} started (i${incarnation})`);
  };

  const resume = (n: Node) => {
    n.pausedUntil = 0;
    const inbox = n.inbox;
    n.inbox = [];
    for (const f of inbox) f();
  };

  const pause = (n: Node, ms: number) => {
    n.pausedUntil = now + ms;
    const inc = n.incarnation;
    q.push(now + ms, () => {
      if (n.alive && n.incarnation === inc && n.pausedUntil <= now) resume(n);
    });
    say(`${n.id} paused for ${ms} ms`);
  };

  const crash = (n: Node) => {
    n.alive = false;
    n.inbox = [];
    if ('host' in n) {
      const w = n as WorkerNode;
      w.host.clear();
    }
    say(`${n.id} crashed`);
  };

  // ---- chaos ----
  const aliveWorkers = () => [...workers.values()].filter((w) => w.alive);
  const pick = <T>(xs: T[]): T | undefined =>
    xs.length === 0 ? undefined : xs[Math.floor(random() * xs.length)];

  const chaos = () => {
    if (now >= chaosMs) return;
    const r = random();
    const ws = aliveWorkers();
    if (r < 0.2 && ws.length < maxWorkers) startWorker(`w${nextWorker++}`, 0);
    else if (r < 0.3) pick(ws)?.agent.shutdown(now);
    else if (r < 0.4) {
      const w = pick(ws);
      if (w !== undefined) crash(w);
    } else if (r < 0.52) {
      const w = pick(ws);
      if (w !== undefined) {
        crash(w);
        const back = Math.floor(random() * 2 * failureMs);
        q.push(now + back, () => startWorker(w.id, w.incarnation + 1));
      }
    } else if (r < 0.7) {
      const w = pick(ws.filter((x) => !paused(x)));
      if (w !== undefined) pause(w, 50 + Math.floor(random() * 2.5 * failureMs));
    } else if (r < 0.8) {
      const c = pick(coords.filter((x) => x.alive));
      if (c !== undefined) {
        crash(c);
        const back = Math.floor(random() * 2 * leaseTtlMs);
        q.push(now + back, () => startCoord(c.id, c.incarnation + 1));
      }
    } else if (r < 0.88) {
      const c = pick(coords.filter((x) => x.alive && !paused(x)));
      if (c !== undefined) pause(c, 50 + Math.floor(random() * 2 * leaseTtlMs));
    }
    // else: a quiet interval
    q.push(now + 100 + Math.floor(random() * 400), chaos);
  };

  const heal = () => {
    healed = true;
    dropRate = 0;
    dupRate = 0;
    for (const n of [...coords, ...workers.values()]) if (n.alive && paused(n)) resume(n);
    if (!coords.some((c) => c.alive)) startCoord(coords[0]!.id, coords[0]!.incarnation + 1);
    if (aliveWorkers().filter((w) => w.agent.lifecycle === 'active').length === 0)
      startWorker(`w${nextWorker++}`, 0);
    say('healed');
  };

  // ---- final check ----
  const converged = (): string | null => {
    const leaders = coords.filter((c) => c.alive && c.machine.isLeader && c.lease.isLeader(now));
    if (leaders.length !== 1) return `${leaders.length} acting coordinators`;
    const m = leaders[0]!.machine;
    const live = aliveWorkers().filter((w) => w.agent.lifecycle === 'active');
    const target = new HashRing(live.map((w) => w.id)).assign(P);
    if (m.movesInFlight !== 0) return `${m.movesInFlight} moves still in flight`;
    for (let p = 0; p < P; p++) {
      const holders = aliveWorkers().filter((w) => w.host.has(p));
      if (holders.length !== 1)
        return `partition ${p} is live on ${holders.length} workers (${holders.map((w) => w.id).join(',')})`;
      const h = holders[0]!;
      const o = m.ownerOf(p);
      if (o.workerId !== h.id) return `partition ${p}: leader says ${o.workerId}, ${h.id} holds it`;
      if (target[p] !== h.id) return `partition ${p}: ring says ${target[p]}, ${h.id} holds it`;
      if (o.epoch !== h.host.get(p)!.epoch)
        return `partition ${p}: epoch ${o.epoch} vs held ${h.host.get(p)!.epoch}`;
    }
    return null;
  };

  // ---- run ----
  let events = 0;
  let violation: string | null = null;
  try {
    startCoord('c0', 0);
    startCoord('c1', 0);
    for (let i = 0; i < (options.workers ?? 3); i++) startWorker(`w${nextWorker++}`, 0);
    if (faults) q.push(500, chaos);
    q.push(chaosMs, heal);
    const end = chaosMs + settleMs;
    for (;;) {
      const e = q.pop();
      if (e === undefined || e.at > end) break;
      now = e.at;
      e.run();
      events++;
      if (options.stopWhenConverged === true && healed && events % 1000 === 0 && converged() === null) {
        stats.convergedAtMs = now;
        break;
      }
    }
    if (!healed) fail('never healed');
    const c = converged();
    if (c !== null) fail(`not converged ${settleMs} ms after healing: ${c}`);
  } catch (e) {
    if (!(e instanceof Violation)) throw e;
    violation = e.message;
  }
  stats.refusedWrites = store.refusedWrites;
  return { seed, ok: violation === null, violation, atMs: now, events, stats, log };
}
