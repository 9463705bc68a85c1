/**
 * The worker side of the control plane as a pure state machine: register,
 * heartbeat, accept assign/revoke from the coordinator, refuse stale epochs,
 * hand everything over on shutdown. It drives a `PartitionHost` (the
 * worker's runtime) through effects; the agent runner (agent-runner.ts) and
 * the simulation carry them out and feed the results back.
 *
 * Epochs are tracked per partition: a command for partition p whose epoch is
 * below the highest epoch this process has seen for p is refused (counted,
 * not acked). Duplicates are answered again: a revoke already carried out is
 * re-acked with the same snapshot reference; an assign already live is
 * re-acked. An assign for a partition held under an older epoch (a copy the
 * coordinator no longer counts on) first revokes the local copy, then
 * restores from the reference it was given. A fencing revoke (`fence`: the
 * coordinator gave the partition to another worker while this one was cut
 * off) drops the local copy without flushing or snapshotting it and acks
 * nothing: its output is refused anyway and its snapshot must not be used.
 *
 * Shutdown: the heartbeat state becomes `draining`, the coordinator moves
 * the partitions away with ordinary revokes; when nothing is held (or the
 * grace period ends) the agent reports `stopped`.
 */
import type {
  Assign,
  AssignAck,
  HandedOffPartition,
  Register,
  Revoke,
  RevokeAck,
  WorkerState,
} from '@ripple/protocol';

export interface WorkerAgentOptions {
  readonly workerId: string;
  /** unique per process start */
  readonly incarnation: string;
  readonly heartbeatIntervalMs: number;
  readonly softwareVersion?: string;
  readonly rpcAddress?: string;
  /** how long a drain may take before the agent stops anyway; default 30 s */
  readonly shutdownGraceMs?: number;
  /**
   * how long a drain waits while no coordinator says anything (no revoke, no assign, no host
   * operation in flight) before it stops without the rest of the grace; default 5 s. Silence that
   * long means no coordinator is acting (it stopped as well, as on a Ctrl-C of a whole dev
   * cluster, or none is leading): waiting longer hands nothing over, and whoever gets the
   * partitions next restores them from their last checkpoint, as after a crash.
   */
  readonly drainIdleMs?: number;
}

/** What to tell the PartitionHost, and what to publish. */
export type AgentEffect =
  | { readonly kind: 'publish_register'; readonly message: Register }
  | {
      /** build the heartbeat from the host's offsets/lag/load and publish it */
      readonly kind: 'publish_heartbeat';
      readonly epoch: number;
      readonly state: WorkerState;
      readonly partitions: readonly { readonly partition: number; readonly epoch: number }[];
    }
  | { readonly kind: 'publish_ack'; readonly message: RevokeAck | AssignAck }
  | {
      readonly kind: 'host_assign';
      readonly opId: number;
      readonly epoch: number;
      readonly rebalanceId: string;
      readonly starts: readonly HandedOffPartition[];
    }
  | {
      readonly kind: 'host_revoke';
      readonly opId: number;
      readonly epoch: number;
      readonly rebalanceId: string;
      readonly partitions: readonly number[];
      /** true: a local stale copy is dropped; its snapshot must not be used */
      readonly discard: boolean;
    }
  | { readonly kind: 'refused'; readonly reason: 'stale_epoch' | 'wrong_worker'; readonly detail: string }
  | {
      readonly kind: 'stopped';
      readonly graceful: boolean;
      /** handed_over: nothing left; deadline: the grace ran out; no_coordinator: nobody answered the drain */
      readonly reason: 'handed_over' | 'deadline' | 'no_coordinator';
    };

type Held = { epoch: number; phase: 'assigning' | 'live' | 'revoking' };

interface PendingOp {
  readonly kind: 'assign' | 'revoke';
  readonly epoch: number;
  readonly rebalanceId: string;
  readonly partitions: readonly number[];
  /** assign to run once a discard-revoke finishes */
  readonly then?: { readonly rebalanceId: string; readonly starts: readonly HandedOffPartition[] };
  readonly ack: boolean;
}

export class WorkerAgentMachine {
  readonly workerId: string;
  readonly incarnation: string;
  private readonly heartbeatIntervalMs: number;
  private readonly softwareVersion: string;
  private readonly rpcAddress: string;
  private readonly shutdownGraceMs: number;
  private readonly drainIdleMs: number;
  private out: AgentEffect[] = [];
  private state: WorkerState = 'starting';
  private started = false;
  private nextHeartbeat = 0;
  private drainDeadline = 0;
  /** last sign of a coordinator acting on the drain (its start, a revoke, an assign, a host op done) */
  private drainHeardAt = 0;
  /** highest epoch seen overall and per partition */
  private epoch = 0;
  private readonly seen = new Map<number, number>();
  private readonly held = new Map<number, Held>();
  /** revokes carried out: partition -> (epoch, what was acked) */
  private readonly handedOff = new Map<
    number,
    { epoch: number; rebalanceId: string; hp: HandedOffPartition }
  >();
  private readonly ops = new Map<number, PendingOp>();
  private nextOpId = 1;

  constructor(options: WorkerAgentOptions) {
    this.workerId = options.workerId;
    this.incarnation = options.incarnation;
    this.heartbeatIntervalMs = options.heartbeatIntervalMs;
    this.softwareVersion = options.softwareVersion ?? '0.0.0';
    this.rpcAddress = options.rpcAddress ?? 'none';
    this.shutdownGraceMs = options.shutdownGraceMs ?? 30_000;
    this.drainIdleMs = options.drainIdleMs ?? 5_000;
  }

  drain(): AgentEffect[] {
    const e = this.out;
    this.out = [];
    return e;
  }

  get lifecycle(): WorkerState {
    return this.state;
  }

  /** Partitions held live, with their epochs. */
  live(): Map<number, number> {
    const m = new Map<number, number>();
    for (const [p, h] of this.held) if (h.phase === 'live') m.set(p, h.epoch);
    return m;
  }

  start(now: number): void {
    if (this.started) return;
    this.started = true;
    this.state = 'active';
    this.out.push({
      kind: 'publish_register',
      message: {
        type: 'register',
        v: 1,
        workerId: this.workerId,
        incarnation: this.incarnation,
        softwareVersion: this.softwareVersion,
        rpcAddress: this.rpcAddress,
        sentAtMs: Math.floor(now),
      },
    });
    this.heartbeat(now);
  }

  tick(now: number): void {
    if (!this.started || this.state === 'stopped') return;
    if (this.state === 'draining') {
      const idle = this.held.size === 0 && this.ops.size === 0;
      const reason = idle
        ? 'handed_over'
        : now >= this.drainDeadline
          ? 'deadline'
          : this.ops.size === 0 && now - this.drainHeardAt >= this.drainIdleMs
            ? 'no_coordinator'
            : null;
      if (reason !== null) {
        this.state = 'stopped';
        this.heartbeat(now);
        this.out.push({ kind: 'stopped', graceful: idle, reason });
        return;
      }
    }
    if (now >= this.nextHeartbeat) this.heartbeat(now);
  }

  /** SIGTERM: hand the partitions over, then stop. */
  shutdown(now: number): void {
    if (this.state === 'draining' || this.state === 'stopped') return;
    this.state = 'draining';
    this.drainDeadline = now + this.shutdownGraceMs;
    this.drainHeardAt = now;
    this.heartbeat(now);
  }

  private heartbeat(now: number): void {
    this.nextHeartbeat = now + this.heartbeatIntervalMs;
    const partitions: { partition: number; epoch: number }[] = [];
    for (const [p, h] of this.held)
      if (h.phase !== 'assigning') partitions.push({ partition: p, epoch: h.epoch });
    partitions.sort((a, b) => a.partition - b.partition);
    this.out.push({ kind: 'publish_heartbeat', epoch: this.epoch, state: this.state, partitions });
  }

  private stale(p: number, epoch: number): boolean {
    return (this.seen.get(p) ?? 0) > epoch;
  }

  private see(p: number, epoch: number): void {
    if ((this.seen.get(p) ?? 0) < epoch) this.seen.set(p, epoch);
    if (this.epoch < epoch) this.epoch = epoch;
  }

  onRevoke(now: number, m: Revoke): void {
    if (m.workerId !== this.workerId) {
      this.out.push({ kind: 'refused', reason: 'wrong_worker', detail: `revoke for ${m.workerId}` });
      return;
    }
    this.drainHeardAt = now;
    const ack: HandedOffPartition[] = [];
    const todo: number[] = [];
    const fence = m.fence === true;
    for (const p of m.partitions) {
      if (this.stale(p, m.epoch)) {
        this.out.push({
          kind: 'refused',
          reason: 'stale_epoch',
          detail: `revoke of ${p} at epoch ${m.epoch} < ${this.seen.get(p)}`,
        });
        continue;
      }
      this.see(p, m.epoch);
      const h = this.held.get(p);
      if (h === undefined) {
        if (fence) continue; // nothing of ours to drop
        const done = this.handedOff.get(p);
        // handed over already (duplicate revoke), or never held: nothing of ours to restore from
        ack.push(done?.hp ?? { partition: p, snapshotKey: null, offsets: [] });
        continue;
      }
      if (h.phase === 'revoking') continue; // acked when the host is done
      if (h.phase === 'assigning') continue; // revoked once the assign finishes (coordinator re-sends)
      h.phase = 'revoking';
      todo.push(p);
    }
    if (ack.length > 0) this.ack(m.epoch, m.rebalanceId, 'revoke_ack', ack);
    if (todo.length > 0) this.startOp('revoke', m.epoch, m.rebalanceId, todo, !fence);
  }

  onAssign(now: number, m: Assign): void {
    if (m.workerId !== this.workerId) {
      this.out.push({ kind: 'refused', reason: 'wrong_worker', detail: `assign for ${m.workerId}` });
      return;
    }
    this.drainHeardAt = now;
    if (this.state === 'draining' || this.state === 'stopped') return; // not acked: the coordinator moves on
    const ack: number[] = [];
    const starts: HandedOffPartition[] = [];
    const discard: HandedOffPartition[] = [];
    for (const hp of m.partitions) {
      const p = hp.partition;
      if (this.stale(p, m.epoch)) {
        this.out.push({
          kind: 'refused',
          reason: 'stale_epoch',
          detail: `assign of ${p} at epoch ${m.epoch} < ${this.seen.get(p)}`,
        });
        continue;
      }
      this.see(p, m.epoch);
      const h = this.held.get(p);
      if (h === undefined) {
        starts.push(hp);
      } else if (h.epoch === m.epoch) {
        if (h.phase === 'live') ack.push(p); // duplicate: live already
      } else if (h.phase === 'live') {
        discard.push(hp); // an older copy: drop it, then restore from the reference
      }
      // assigning/revoking under another epoch: the coordinator re-sends once that settles
    }
    if (ack.length > 0) this.ack(m.epoch, m.rebalanceId, 'assign_ack', ack);
    if (discard.length > 0) {
      for (const hp of discard) this.held.get(hp.partition)!.phase = 'revoking';
      this.startOp(
        'revoke',
        m.epoch,
        m.rebalanceId,
        discard.map((d) => d.partition),
        false,
        { rebalanceId: m.rebalanceId, starts: discard },
      );
    }
    if (starts.length > 0) this.startAssign(m.epoch, m.rebalanceId, starts);
  }

  private startAssign(epoch: number, rebalanceId: string, starts: readonly HandedOffPartition[]): void {
    for (const s of starts) {
      this.held.set(s.partition, { epoch, phase: 'assigning' });
      this.handedOff.delete(s.partition);
    }
    const opId = this.startOp(
      'assign',
      epoch,
      rebalanceId,
      starts.map((s) => s.partition),
      true,
    );
    // startOp queued nothing for assigns: the host needs the references
    this.out.push({ kind: 'host_assign', opId, epoch, rebalanceId, starts });
  }

  private startOp(
    kind: 'assign' | 'revoke',
    epoch: number,
    rebalanceId: string,
    partitions: readonly number[],
    ack: boolean,
    then?: PendingOp['then'],
  ): number {
    const opId = this.nextOpId++;
    this.ops.set(
      opId,
      then === undefined
        ? { kind, epoch, rebalanceId, partitions, ack }
        : { kind, epoch, rebalanceId, partitions, ack, then },
    );
    if (kind === 'revoke') {
      this.out.push({ kind: 'host_revoke', opId, epoch, rebalanceId, partitions, discard: !ack });
    }
    return opId;
  }

  /** The host finished (or failed) an assign: the partitions are live (or dropped). */
  onHostAssigned(now: number, opId: number, ok: boolean): void {
    const op = this.ops.get(opId);
    if (op === undefined || op.kind !== 'assign') return;
    this.ops.delete(opId);
    this.drainHeardAt = now;
    const live: number[] = [];
    for (const p of op.partitions) {
      const h = this.held.get(p);
      if (h === undefined || h.epoch !== op.epoch || h.phase !== 'assigning') continue;
      if (ok) {
        h.phase = 'live';
        live.push(p);
      } else this.held.delete(p);
    }
    if (live.length > 0) this.ack(op.epoch, op.rebalanceId, 'assign_ack', live);
    if (live.length > 0) this.heartbeat(now);
  }

  /** The host finished (or failed) a revoke with these snapshot references. */
  onHostRevoked(now: number, opId: number, result: readonly HandedOffPartition[] | null): void {
    const op = this.ops.get(opId);
    if (op === undefined || op.kind !== 'revoke') return;
    this.ops.delete(opId);
    this.drainHeardAt = now;
    if (result === null) {
      // the host could not drain: keep serving; the coordinator re-sends the revoke
      for (const p of op.partitions) {
        const h = this.held.get(p);
        if (h !== undefined && h.phase === 'revoking') h.phase = 'live';
      }
      return;
    }
    const byPartition = new Map(result.map((hp) => [hp.partition, hp]));
    const acked: HandedOffPartition[] = [];
    for (const p of op.partitions) {
      const h = this.held.get(p);
      if (h === undefined || h.phase !== 'revoking') continue;
      this.held.delete(p);
      if (!op.ack) continue;
      const hp = byPartition.get(p) ?? { partition: p, snapshotKey: null, offsets: [] };
      this.handedOff.set(p, { epoch: op.epoch, rebalanceId: op.rebalanceId, hp });
      acked.push(hp);
    }
    if (acked.length > 0) this.ack(op.epoch, op.rebalanceId, 'revoke_ack', acked);
    if (op.then !== undefined) {
      const starts = op.then.starts.filter(
        (s) => !this.held.has(s.partition) && !this.stale(s.partition, op.epoch),
      );
      if (starts.length > 0) this.startAssign(op.epoch, op.then.rebalanceId, starts);
    }
    this.heartbeat(now);
  }

  private ack(
    epoch: number,
    rebalanceId: string,
    type: 'revoke_ack' | 'assign_ack',
    partitions: HandedOffPartition[] | number[],
  ): void {
    const base = { v: 1 as const, epoch, rebalanceId, workerId: this.workerId };
    const message: RevokeAck | AssignAck =
      type === 'revoke_ack'
        ? { ...base, type, partitions: partitions as HandedOffPartition[] }
        : { ...base, type, partitions: partitions as number[] };
    this.out.push({ kind: 'publish_ack', message });
  }
}
