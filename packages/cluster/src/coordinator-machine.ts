/**
 * The coordinator as a pure state machine: membership, failure detection,
 * assignment and the rebalance protocol. No I/O and no clock of its own:
 * callers pass `now` (milliseconds), feed it messages and store results, and
 * carry out the effects it queues (`drain()`). The production runner
 * (coordinator-runner.ts) and the deterministic simulation drive this same
 * class.
 *
 * Protocol (docs/decisions/0005):
 * - Membership comes from heartbeats (registers are hints); a worker silent
 *   for `failureTimeoutMs` is dead. Eligible for partitions: state starting,
 *   active or recovering (a draining worker's partitions are moved away).
 * - Target table = HashRing(eligible members).assign(numPartitions).
 * - A partition whose owner differs from its target gets a move under a new
 *   epoch E (one epoch per decision). E is written to the KV (`persist`
 *   effect) BEFORE any message carries it.
 * - Live old owner: revoke(p, E) -> the owner drains, snapshots, acks with the
 *   snapshot reference and offsets -> assign(p, E, that reference) to the new
 *   owner -> it restores, replays, acks when live. Dead or unknown old owner:
 *   assign directly with the last known reference (null: newest valid).
 * - Unacked steps are re-sent every `retryMs`; workers re-ack duplicates.
 * - Interruptions converge: a revoke whose owner dies continues as an assign
 *   with reference null; an assign whose target dies is cancelled and the
 *   partition planned again under a new epoch; a revoke whose target changes
 *   is redirected.
 * - Heartbeats reconcile: a worker holding a partition under a newer epoch
 *   than the table knows is adopted as its owner (a new leader rebuilding its
 *   view); one holding it under an older or equal epoch while not its owner
 *   is sent a fencing revoke; an owner that no longer lists its partition
 *   (restart) loses it.
 * Invariant: for each (partition, epoch) at most one worker is ever told to
 * own it.
 */
import type {
  Assign,
  AssignAck,
  Assignment,
  HandedOffPartition,
  Heartbeat,
  PartitionStatus,
  RebalanceRecord,
  Register,
  Revoke,
  RevokeAck,
  WorkerState,
  WorkerStatus,
} from '@ripple/protocol';
import { decodeStateDoc, encodeStateDoc } from './coordinator-state.ts';
import { InvalidOptionError } from './errors.ts';
import type { KvEntry } from './kv.ts';
import { DEFAULT_VNODES, HashRing } from './ring.ts';

export interface CoordinatorOptions {
  readonly numPartitions: number;
  readonly heartbeatIntervalMs: number;
  readonly failureTimeoutMs: number;
  /** re-send an unacked rebalance step after this long; default heartbeatIntervalMs */
  readonly retryMs?: number;
  /** deadline written into revokes, relative to now; default failureTimeoutMs */
  readonly revokeTimeoutMs?: number;
  readonly vnodes?: number;
  /** KV key of the state document (for error messages) */
  readonly stateKey?: string;
  /** how many finished rebalances status keeps; default 20 */
  readonly keepRebalances?: number;
}

export type CoordinatorEffect =
  | { readonly kind: 'send'; readonly workerId: string; readonly message: Revoke | Assign }
  | { readonly kind: 'broadcast'; readonly message: Assignment }
  | {
      readonly kind: 'persist';
      readonly value: Uint8Array;
      readonly expectedRevision: number;
      readonly epoch: number;
    }
  | { readonly kind: 'rebalance_started'; readonly record: RebalanceRecord }
  | {
      readonly kind: 'rebalance_finished';
      readonly record: RebalanceRecord;
    }
  | {
      readonly kind: 'member';
      readonly workerId: string;
      readonly change: 'joined' | 'dead' | 'left' | 'restarted';
    }
  | { readonly kind: 'fenced'; readonly reason: string };

type Phase = 'revoking' | 'assigning';

interface Move {
  phase: Phase;
  from: string | null;
  to: string;
  readonly epoch: number;
  readonly rebalanceId: string;
  ref: HandedOffPartition | null;
  sentAt: number;
  sent: boolean;
}

interface Member {
  readonly workerId: string;
  incarnation: string;
  state: WorkerState;
  lastSeen: number;
  lastSentAtMs: number;
  /** heartbeat epoch (the highest the worker has acted on) */
  epoch: number;
  joinedAt: number;
}

interface Rebalance {
  readonly rebalanceId: string;
  readonly epoch: number;
  readonly reason: string;
  readonly startedAtMs: number;
  readonly moves: number;
  pending: Set<number>;
  finishedAtMs: number | null;
  traceId: string | null;
}

const ELIGIBLE: ReadonlySet<WorkerState> = new Set(['starting', 'active', 'recovering']);
const GONE: ReadonlySet<WorkerState> = new Set(['stopped', 'failed']);

export class CoordinatorMachine {
  readonly numPartitions: number;
  private readonly heartbeatIntervalMs: number;
  private readonly failureTimeoutMs: number;
  private readonly retryMs: number;
  private readonly revokeTimeoutMs: number;
  private readonly vnodes: number;
  private readonly stateKey: string;
  private readonly keepRebalances: number;

  private out: CoordinatorEffect[] = [];
  private leader = false;
  private settleUntil = 0;
  private firstSeenAt: number | null = null;

  private readonly members = new Map<string, Member>();
  private ringKey = '';
  private target: (string | undefined)[] = [];

  /** highest epoch allocated (maybe not yet durable) */
  private epoch = 0;
  /** highest epoch known to be in the KV */
  private durableEpoch = 0;
  private revision = 0;
  private persistInFlight: number | null = null;
  private lastPersistAt = 0;
  private dirty = false;
  private lastBroadcastKey = '';
  private lastBroadcastAt = 0;

  private readonly owner: (string | null)[];
  private readonly ownerEpoch: number[];
  /** owner -> its partitions (an index of `owner`, kept by setOwner) */
  private readonly ownedBy = new Map<string, Set<number>>();
  private readonly ownerInc: string[];
  private readonly lastRef: (HandedOffPartition | null)[];
  private readonly lag: (number | null)[];
  private readonly moves: (Move | null)[];
  private readonly rebalances = new Map<string, Rebalance>();
  private readonly finished: Rebalance[] = [];
  private nextReason: string[] = [];

  constructor(options: CoordinatorOptions) {
    const n = options.numPartitions;
    if (!Number.isInteger(n) || n < 1) throw new InvalidOptionError('numPartitions', `${n} is not positive`);
    if (!(options.failureTimeoutMs > options.heartbeatIntervalMs)) {
      throw new InvalidOptionError('failureTimeoutMs', 'must exceed heartbeatIntervalMs');
    }
    this.numPartitions = n;
    this.heartbeatIntervalMs = options.heartbeatIntervalMs;
    this.failureTimeoutMs = options.failureTimeoutMs;
    this.retryMs = options.retryMs ?? options.heartbeatIntervalMs;
    this.revokeTimeoutMs = options.revokeTimeoutMs ?? options.failureTimeoutMs;
    this.vnodes = options.vnodes ?? DEFAULT_VNODES;
    this.stateKey = options.stateKey ?? 'coordinator';
    this.keepRebalances = options.keepRebalances ?? 20;
    this.owner = new Array<string | null>(n).fill(null);
    this.ownerEpoch = new Array<number>(n).fill(0);
    this.ownerInc = new Array<string>(n).fill('');
    this.lastRef = new Array<HandedOffPartition | null>(n).fill(null);
    this.lag = new Array<number | null>(n).fill(null);
    this.moves = new Array<Move | null>(n).fill(null);
  }

  private setOwner(p: number, w: string | null): void {
    const old = this.owner[p] ?? null;
    if (old === w) return;
    if (old !== null) {
      const set = this.ownedBy.get(old);
      set?.delete(p);
      if (set?.size === 0) this.ownedBy.delete(old);
    }
    this.owner[p] = w;
    if (w !== null) {
      let set = this.ownedBy.get(w);
      if (set === undefined) {
        set = new Set();
        this.ownedBy.set(w, set);
      }
      set.add(p);
    }
  }

  /** Effects queued since the last call, in order. */
  drain(): CoordinatorEffect[] {
    const e = this.out;
    this.out = [];
    return e;
  }

  get isLeader(): boolean {
    return this.leader;
  }

  get currentEpoch(): number {
    return this.epoch;
  }

  /**
   * Become the acting coordinator with the durable state read from the KV
   * (null: none yet). Throws KvCorruptError for an unusable document (the
   * caller must not act: the epoch counter would be unknown).
   */
  lead(now: number, doc: KvEntry | null): void {
    let owners: readonly (string | null)[] = new Array(this.numPartitions).fill(null);
    let epochs: readonly number[] = new Array(this.numPartitions).fill(0);
    let incs: readonly string[] = new Array(this.numPartitions).fill('');
    let epoch = 0;
    if (doc !== null) {
      const d = decodeStateDoc(this.stateKey, doc.value);
      if (d.numPartitions !== this.numPartitions) {
        throw new InvalidOptionError(
          'numPartitions',
          `${this.numPartitions} differs from the stored cluster state (${d.numPartitions}); partitions cannot be renumbered in place`,
        );
      }
      owners = d.owners;
      epochs = d.epochs;
      epoch = d.epoch;
      if (d.incarnations !== undefined) incs = d.incarnations;
    }
    this.leader = true;
    this.revision = doc?.revision ?? 0;
    this.epoch = Math.max(this.epoch, epoch);
    this.durableEpoch = epoch;
    this.persistInFlight = null;
    for (let p = 0; p < this.numPartitions; p++) {
      // keep what heartbeats already showed if it is newer than the document
      if (this.ownerEpoch[p]! <= epochs[p]!) {
        this.setOwner(p, owners[p]!);
        this.ownerEpoch[p] = epochs[p]!;
        this.ownerInc[p] = incs[p]!;
      }
      this.moves[p] = null;
      const o = this.owner[p];
      if (o !== null && o !== undefined && !this.members.has(o)) {
        // a worker of the table not heard yet: it gets a full failure timeout
        this.members.set(o, {
          workerId: o,
          incarnation: '',
          state: 'active',
          lastSeen: now,
          lastSentAtMs: -1,
          epoch: 0,
          joinedAt: now,
        });
      }
    }
    this.rebalances.clear();
    // a standby that has listened to heartbeats for 1.5 intervals knows the members
    const listened = this.firstSeenAt === null ? 0 : now - this.firstSeenAt;
    this.settleUntil = now + Math.max(0, this.heartbeatIntervalMs * 1.5 - listened);
    this.ringKey = '';
    this.nextReason = ['leadership acquired']; // what happened while following is not a reason
  }

  /** Stop acting (lease lost or fenced). The membership view is kept warm. */
  follow(): void {
    this.leader = false;
    this.persistInFlight = null;
    for (let p = 0; p < this.numPartitions; p++) this.moves[p] = null;
    this.rebalances.clear();
  }

  /**
   * A register is a hint, not membership: it arrives on a subject every
   * worker may publish to, so one worker's credentials could register
   * another id. Membership (and restarts, by incarnation) comes only from
   * heartbeats, published on the worker's own subject. A register of a known
   * member refreshes nothing; of an unknown one, the first heartbeat (sent
   * right after it) makes it a member.
   */
  onRegister(_now: number, _m: Register): void {}

  onHeartbeat(now: number, hb: Heartbeat): void {
    const member = this.members.get(hb.workerId);
    if (member !== undefined && member.incarnation === hb.incarnation && hb.sentAtMs < member.lastSentAtMs) {
      return; // an older heartbeat delivered late
    }
    this.touch(now, hb.workerId, hb.incarnation, hb.state, hb.sentAtMs, hb.epoch);
    const w = hb.workerId;
    const held = new Map<number, number>();
    for (const op of hb.partitions) {
      if (op.partition >= this.numPartitions) continue;
      held.set(op.partition, op.epoch ?? hb.epoch);
      if (this.owner[op.partition] === w) this.lag[op.partition] = op.lag;
    }
    for (const [p, e] of held) {
      if (e > this.epoch) this.epoch = e; // never allocate below an epoch in use
      const mv = this.moves[p] ?? null;
      if (this.owner[p] === w) {
        if (e > this.ownerEpoch[p]!) this.ownerEpoch[p] = e;
        continue;
      }
      if (mv !== null && mv.phase === 'assigning' && mv.to === w && e >= mv.epoch) {
        if (e === mv.epoch) this.complete(now, p, mv);
        continue;
      }
      if (mv !== null && mv.phase === 'revoking' && mv.from === w) continue;
      if (e > this.ownerEpoch[p]! && (mv === null || mv.epoch < e)) {
        // held under an epoch newer than we know: a previous leader's decision we did not see
        if (mv !== null) this.dropMove(now, p, mv);
        this.setOwner(p, w);
        this.ownerEpoch[p] = e;
        this.ownerInc[p] = hb.incarnation;
        this.dirty = true;
        continue;
      }
      if (this.leader && now >= this.settleUntil && (mv === null || mv.to !== w)) {
        // a stale copy (zombie, or a worker back from the dead): fence it
        const epoch = Math.max(this.ownerEpoch[p]!, mv?.epoch ?? 0, e);
        if (epoch <= this.durableEpoch) {
          this.out.push({
            kind: 'send',
            workerId: w,
            message: {
              type: 'revoke',
              v: 1,
              epoch,
              rebalanceId: `fence-${epoch}`,
              workerId: w,
              partitions: [p],
              deadlineMs: Math.floor(now + this.revokeTimeoutMs),
              fence: true,
            },
          });
        }
      }
    }
    for (const p of [...(this.ownedBy.get(w) ?? [])]) {
      if (
        this.owner[p] === w &&
        this.moves[p] === null &&
        !held.has(p) &&
        (hb.epoch >= this.ownerEpoch[p]! || (this.ownerInc[p] !== '' && this.ownerInc[p] !== hb.incarnation))
      ) {
        this.setOwner(p, null); // it lost the partition (restart without state)
        this.lag[p] = null;
        this.dirty = true;
        this.nextReason.push(`${w} lost partitions`);
      }
    }
  }

  onRevokeAck(now: number, ack: RevokeAck): void {
    for (const hp of ack.partitions) {
      const p = hp.partition;
      if (p >= this.numPartitions) continue;
      const mv = this.moves[p] ?? null;
      if (mv === null || mv.phase !== 'revoking' || mv.from !== ack.workerId || mv.epoch !== ack.epoch)
        continue;
      mv.phase = 'assigning';
      mv.ref = hp;
      mv.from = null;
      mv.sent = false;
      if (this.owner[p] === ack.workerId) this.setOwner(p, null);
      this.lastRef[p] = hp;
      this.dirty = true;
    }
    if (this.leader) this.sendDue(now);
  }

  onAssignAck(now: number, ack: AssignAck): void {
    for (const p of ack.partitions) {
      if (p >= this.numPartitions) continue;
      const mv = this.moves[p] ?? null;
      if (mv === null || mv.phase !== 'assigning' || mv.to !== ack.workerId || mv.epoch !== ack.epoch)
        continue;
      this.complete(now, p, mv);
    }
  }

  /** Result of a `persist` effect. */
  onPersisted(now: number, result: { ok: true; revision: number } | { ok: false; conflict: boolean }): void {
    const epoch = this.persistInFlight;
    this.persistInFlight = null;
    if (epoch === null || !this.leader) return;
    if (result.ok) {
      this.revision = result.revision;
      this.durableEpoch = Math.max(this.durableEpoch, epoch);
      this.sendDue(now);
      return;
    }
    if (result.conflict) {
      this.out.push({ kind: 'fenced', reason: 'the state document was written by another coordinator' });
      this.follow();
    }
    // otherwise the KV is unreachable: the next tick retries
  }

  /** Drives time: failure detection, planning, re-sends, persistence, broadcasts. */
  tick(now: number): void {
    if (this.firstSeenAt === null) this.firstSeenAt = now;
    this.detectFailures(now);
    if (!this.leader || now < this.settleUntil) return;
    this.repairMoves(now);
    this.plan(now);
    this.sendDue(now);
    if (this.persistInFlight === null && this.dirty && now - this.lastPersistAt >= this.heartbeatIntervalMs) {
      this.persist(now, this.epoch);
    }
    this.broadcast(now);
  }

  private touch(
    now: number,
    workerId: string,
    incarnation: string,
    state: WorkerState,
    sentAtMs: number,
    epoch: number,
  ): void {
    if (this.firstSeenAt === null) this.firstSeenAt = now;
    let m = this.members.get(workerId);
    if (m === undefined) {
      m = { workerId, incarnation, state, lastSeen: now, lastSentAtMs: sentAtMs, epoch, joinedAt: now };
      this.members.set(workerId, m);
      this.out.push({ kind: 'member', workerId, change: 'joined' });
      this.nextReason.push(`${workerId} joined`);
      return;
    }
    if (m.incarnation !== '' && m.incarnation !== incarnation) {
      this.out.push({ kind: 'member', workerId, change: 'restarted' });
      this.nextReason.push(`${workerId} restarted`);
      this.forget(now, workerId, true);
      m.lastSentAtMs = -1;
    }
    if (m.state !== state && !ELIGIBLE.has(state)) this.nextReason.push(`${workerId} ${state}`);
    m.incarnation = incarnation;
    m.state = state;
    m.lastSeen = now;
    m.lastSentAtMs = Math.max(m.lastSentAtMs, sentAtMs);
    m.epoch = epoch;
  }

  private detectFailures(now: number): void {
    for (const m of [...this.members.values()]) {
      const dead = now - m.lastSeen > this.failureTimeoutMs;
      if (!dead && !GONE.has(m.state)) continue;
      this.members.delete(m.workerId);
      this.out.push({ kind: 'member', workerId: m.workerId, change: dead ? 'dead' : 'left' });
      this.nextReason.push(`${m.workerId} ${dead ? 'dead' : 'left'}`);
      this.forget(now, m.workerId, false);
    }
  }

  /** The worker no longer holds anything (dead or restarted). */
  private forget(now: number, workerId: string, restarted: boolean): void {
    for (let p = 0; p < this.numPartitions; p++) {
      if (this.owner[p] === workerId) {
        this.setOwner(p, null);
        this.lag[p] = null;
        this.lastRef[p] = null; // it may have checkpointed since: restore the newest valid
        this.dirty = true;
      }
      const mv = this.moves[p] ?? null;
      if (mv === null) continue;
      if (mv.phase === 'revoking' && mv.from === workerId) {
        mv.phase = 'assigning';
        mv.from = null;
        mv.ref = null;
        mv.sent = false;
      } else if (mv.phase === 'assigning' && mv.to === workerId) {
        if (restarted) mv.sent = false;
        else this.dropMove(now, p, mv); // planned again under a new epoch
      }
    }
  }

  private dropMove(now: number, p: number, mv: Move): void {
    this.moves[p] = null;
    if (mv.ref !== null) this.lastRef[p] = mv.ref;
    this.settle(now, mv.rebalanceId, p);
  }

  /**
   * A revoke follows the ring: redirected when the target changes, called off
   * when the ring gives the partition back to its current owner. An assign
   * whose target is no longer a member is dropped (planned again).
   */
  private repairMoves(now: number): void {
    const target = this.currentTarget();
    for (let p = 0; p < this.numPartitions; p++) {
      const mv = this.moves[p] ?? null;
      if (mv === null) continue;
      const t = target[p];
      if (mv.phase === 'revoking' && t !== undefined && mv.to !== t) {
        if (t === mv.from) this.dropMove(now, p, mv);
        else mv.to = t;
      } else if (mv.phase === 'assigning' && !this.members.has(mv.to)) {
        this.dropMove(now, p, mv);
      }
    }
  }

  private currentTarget(): (string | undefined)[] {
    const eligible = [...this.members.values()]
      .filter((m) => ELIGIBLE.has(m.state))
      .map((m) => m.workerId)
      .sort();
    const key = eligible.join('\u0000');
    if (key !== this.ringKey || this.target.length !== this.numPartitions) {
      this.ringKey = key;
      this.target = new HashRing(eligible, this.vnodes).assign(this.numPartitions);
    }
    return this.target;
  }

  private plan(now: number): void {
    if (this.persistInFlight !== null) return;
    const target = this.currentTarget();
    const planned: number[] = [];
    for (let p = 0; p < this.numPartitions; p++) {
      const t = target[p];
      if (t === undefined || this.moves[p] !== null || this.owner[p] === t) continue;
      planned.push(p);
    }
    if (planned.length === 0) {
      this.nextReason = [];
      return;
    }
    const epoch = this.epoch + 1;
    this.epoch = epoch;
    const rebalanceId = `e${epoch}`;
    for (const p of planned) {
      const from = this.owner[p] ?? null;
      this.moves[p] = {
        phase: from === null ? 'assigning' : 'revoking',
        from,
        to: target[p]!,
        epoch,
        rebalanceId,
        ref: from === null ? this.lastRef[p]! : null,
        sentAt: now,
        sent: false,
      };
    }
    const reasons = [...new Set(this.nextReason)];
    this.nextReason = [];
    const reason = (reasons.length === 0 ? 'assignment differs from the ring' : reasons.join(', ')).slice(
      0,
      1000,
    );
    const r: Rebalance = {
      rebalanceId,
      epoch,
      reason,
      startedAtMs: now,
      moves: planned.length,
      pending: new Set(planned),
      finishedAtMs: null,
      traceId: null,
    };
    this.rebalances.set(rebalanceId, r);
    this.out.push({ kind: 'rebalance_started', record: record(r) });
    this.persist(now, epoch);
  }

  /** Attach the trace id the runner opened for a rebalance (status shows it). */
  setTraceId(rebalanceId: string, traceId: string): void {
    const r = this.rebalances.get(rebalanceId) ?? this.finished.find((x) => x.rebalanceId === rebalanceId);
    if (r !== undefined) r.traceId = traceId;
  }

  private persist(now: number, epoch: number): void {
    this.persistInFlight = epoch;
    this.lastPersistAt = now;
    this.dirty = false;
    this.out.push({
      kind: 'persist',
      value: encodeStateDoc({
        v: 1,
        epoch,
        numPartitions: this.numPartitions,
        owners: this.owner,
        epochs: this.ownerEpoch,
        incarnations: this.ownerInc,
      }),
      expectedRevision: this.revision,
      epoch,
    });
  }

  private sendDue(now: number): void {
    const batches = new Map<string, { workerId: string; mv: Move; ps: number[] }>();
    for (let p = 0; p < this.numPartitions; p++) {
      const mv = this.moves[p] ?? null;
      if (mv === null || mv.epoch > this.durableEpoch) continue;
      if (mv.sent && now - mv.sentAt < this.retryMs) continue;
      const workerId = mv.phase === 'revoking' ? mv.from! : mv.to;
      const key = `${mv.phase}\u0000${workerId}\u0000${mv.epoch}`;
      let b = batches.get(key);
      if (b === undefined) {
        b = { workerId, mv, ps: [] };
        batches.set(key, b);
      }
      b.ps.push(p);
      mv.sent = true;
      mv.sentAt = now;
    }
    for (const { workerId, mv, ps } of batches.values()) {
      if (mv.phase === 'revoking') {
        this.out.push({
          kind: 'send',
          workerId,
          message: {
            type: 'revoke',
            v: 1,
            epoch: mv.epoch,
            rebalanceId: mv.rebalanceId,
            workerId,
            partitions: ps,
            deadlineMs: Math.floor(now + this.revokeTimeoutMs),
          },
        });
      } else {
        this.out.push({
          kind: 'send',
          workerId,
          message: {
            type: 'assign',
            v: 1,
            epoch: mv.epoch,
            rebalanceId: mv.rebalanceId,
            workerId,
            partitions: ps.map((p) => this.moves[p]!.ref ?? { partition: p, snapshotKey: null, offsets: [] }),
          },
        });
      }
    }
  }

  private complete(now: number, p: number, mv: Move): void {
    this.moves[p] = null;
    this.setOwner(p, mv.to);
    this.ownerEpoch[p] = mv.epoch;
    this.ownerInc[p] = this.members.get(mv.to)?.incarnation ?? '';
    this.lastRef[p] = null;
    this.dirty = true;
    this.settle(now, mv.rebalanceId, p);
  }

  /** Partition p of a rebalance is done (moved, or handed to a later rebalance). */
  private settle(now: number, rebalanceId: string, p: number): void {
    const r = this.rebalances.get(rebalanceId);
    if (r === undefined) return;
    r.pending.delete(p);
    if (r.pending.size > 0) return;
    r.finishedAtMs = now;
    this.rebalances.delete(r.rebalanceId);
    this.finished.unshift(r);
    if (this.finished.length > this.keepRebalances) this.finished.pop();
    this.out.push({ kind: 'rebalance_finished', record: record(r) });
  }

  private broadcast(now: number): void {
    const owners: { partition: number; workerId: string }[] = [];
    for (let p = 0; p < this.numPartitions; p++) {
      const o = this.owner[p];
      if (o !== null && o !== undefined) owners.push({ partition: p, workerId: o });
    }
    const key = `${this.epoch}:${owners.length}:${owners.map((o) => o.workerId).join(',')}`;
    // on every change, and again every heartbeat interval for late subscribers (checkpointer, restarts)
    if (key === this.lastBroadcastKey && now - this.lastBroadcastAt < this.heartbeatIntervalMs) return;
    this.lastBroadcastKey = key;
    this.lastBroadcastAt = now;
    this.out.push({
      kind: 'broadcast',
      message: { type: 'assignment', v: 1, epoch: this.epoch, numPartitions: this.numPartitions, owners },
    });
  }

  // ---- read side (status, metrics, simulation invariants) ----

  ownerOf(p: number): { workerId: string | null; epoch: number; movingTo: string | null } {
    const mv = this.moves[p] ?? null;
    return {
      workerId: this.owner[p] ?? null,
      epoch: this.ownerEpoch[p]!,
      movingTo: mv === null ? null : mv.to,
    };
  }

  /** Partitions with no confirmed owner. */
  unowned(): number[] {
    const out: number[] = [];
    for (let p = 0; p < this.numPartitions; p++) if (this.owner[p] === null) out.push(p);
    return out;
  }

  /** Moves in flight. */
  get movesInFlight(): number {
    let n = 0;
    for (const m of this.moves) if (m !== null) n++;
    return n;
  }

  workers(): WorkerStatus[] {
    const byWorker = new Map<string, number[]>();
    for (let p = 0; p < this.numPartitions; p++) {
      const o = this.owner[p];
      if (o === null || o === undefined) continue;
      let l = byWorker.get(o);
      if (l === undefined) {
        l = [];
        byWorker.set(o, l);
      }
      l.push(p);
    }
    return [...this.members.values()]
      .sort((a, b) => (a.workerId < b.workerId ? -1 : 1))
      .map((m) => ({
        workerId: m.workerId,
        state: m.state,
        partitions: byWorker.get(m.workerId) ?? [],
        lastHeartbeatMs: Math.max(0, Math.floor(m.lastSentAtMs)),
      }));
  }

  partitionTable(): PartitionStatus[] {
    const out: PartitionStatus[] = [];
    for (let p = 0; p < this.numPartitions; p++) {
      const mv = this.moves[p] ?? null;
      out.push({
        partition: p,
        workerId: this.owner[p] ?? null,
        epoch: this.ownerEpoch[p]!,
        lag: this.lag[p] ?? null,
        movingTo: mv === null ? null : mv.to,
      });
    }
    return out;
  }

  recentRebalances(): RebalanceRecord[] {
    return [...this.rebalances.values()].reverse().concat(this.finished).map(record);
  }

  get memberCount(): number {
    return this.members.size;
  }
}

function record(r: Rebalance): RebalanceRecord {
  return {
    rebalanceId: r.rebalanceId,
    epoch: r.epoch,
    reason: r.reason,
    moves: r.moves,
    startedAtMs: Math.floor(r.startedAtMs),
    finishedAtMs: r.finishedAtMs === null ? null : Math.floor(r.finishedAtMs),
    traceId: r.traceId,
  };
}
