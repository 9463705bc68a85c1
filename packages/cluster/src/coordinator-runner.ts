/**
 * Runs a CoordinatorMachine with a LeaseKeeper over a ControlBus and two
 * KvStores (lease, state) with real timers: what apps/coordinator wires to
 * NATS. Every replica listens to heartbeats (a warm standby); only the lease
 * holder acts, and every effect is checked against the lease just before it
 * is carried out, so a replica that lost its lease (or was paused past it)
 * stops sending.
 *
 * Each rebalance is one trace: a root span `ripple.rebalance` opened when
 * the machine decides it; every revoke/assign carries its traceparent, the
 * workers' spans become its children; it ends when the last move is acked.
 */
import { type Span, SpanStatusCode, trace } from '@opentelemetry/api';
import {
  type ClusterSubjects,
  clusterSubjects,
  encodeControlMessage,
  type RebalanceRecord,
  type StatusResponse,
  tryDecodeControlMessage,
} from '@ripple/protocol';
import type { BusMessage, BusSubscription, ControlBus } from './control-bus.ts';
import { type CoordinatorEffect, CoordinatorMachine } from './coordinator-machine.ts';
import { KvConflictError } from './errors.ts';
import type { KvStore } from './kv.ts';
import { LeaseKeeper } from './lease.ts';
import { type Logger, silentLogger } from './logger.ts';
import { headersOf, TRACER_NAME } from './tracing.ts';

/** What the runner reports, for metrics. All optional. */
export interface CoordinatorObserver {
  rebalanceStarted?(record: RebalanceRecord): void;
  rebalanceFinished?(record: RebalanceRecord, durationMs: number): void;
  member?(workerId: string, change: 'joined' | 'dead' | 'left' | 'restarted'): void;
  rejected?(code: string): void;
  leadership?(leader: boolean, term: number): void;
  persisted?(ok: boolean): void;
}

export interface CoordinatorRunnerOptions {
  readonly bus: ControlBus;
  readonly cluster: string;
  readonly leaseKv: KvStore;
  readonly stateKv: KvStore;
  /** unique per process: the lease holder id */
  readonly replicaId: string;
  readonly numPartitions: number;
  readonly heartbeatIntervalMs: number;
  readonly failureTimeoutMs: number;
  readonly leaseTtlMs: number;
  readonly vnodes?: number;
  readonly logger?: Logger;
  readonly observer?: CoordinatorObserver;
  /** milliseconds; default Date.now */
  readonly now?: () => number;
}

export class CoordinatorRunner {
  readonly machine: CoordinatorMachine;
  readonly lease: LeaseKeeper;
  readonly subjects: ClusterSubjects;
  private readonly bus: ControlBus;
  private readonly stateKv: KvStore;
  private readonly logger: Logger;
  private readonly observer: CoordinatorObserver;
  private readonly now: () => number;
  private readonly tickMs: number;
  private readonly replicaId: string;
  private subs: BusSubscription[] = [];
  private timer: NodeJS.Timeout | null = null;
  private leading: Promise<void> | null = null;
  /** why the lease holder cannot act (unreadable or mismatching state), null when it can */
  private cannotLead: string | null = null;
  private readonly spans = new Map<string, Span>();
  private readonly started = new Map<string, number>();

  constructor(options: CoordinatorRunnerOptions) {
    this.bus = options.bus;
    this.stateKv = options.stateKv;
    this.logger = options.logger ?? silentLogger;
    this.observer = options.observer ?? {};
    this.now = options.now ?? Date.now;
    this.replicaId = options.replicaId;
    this.subjects = clusterSubjects(options.cluster);
    this.tickMs = Math.max(10, Math.min(250, options.heartbeatIntervalMs / 4));
    this.machine = new CoordinatorMachine({
      numPartitions: options.numPartitions,
      heartbeatIntervalMs: options.heartbeatIntervalMs,
      failureTimeoutMs: options.failureTimeoutMs,
      stateKey: this.subjects.stateKey,
      ...(options.vnodes === undefined ? {} : { vnodes: options.vnodes }),
    });
    this.lease = new LeaseKeeper({
      holderId: options.replicaId,
      key: this.subjects.leaseKey,
      ttlMs: options.leaseTtlMs,
      kv: options.leaseKv,
      logger: this.logger,
      onChange: (leader, term) => {
        this.observer.leadership?.(leader, term);
        if (!leader) this.stepDown('lease lost');
      },
    });
  }

  get isLeader(): boolean {
    return this.lease.leader && this.machine.isLeader;
  }

  /** Set while this replica holds the lease but cannot act on the stored state (e.g. another num_partitions). */
  get blockedReason(): string | null {
    return this.lease.leader ? this.cannotLead : null;
  }

  start(): void {
    if (this.timer !== null) return;
    const s = this.subjects;
    this.subs = [
      this.bus.subscribe(s.allHeartbeats, (m) => this.receive(m, 'heartbeat')),
      this.bus.subscribe(s.register, (m) => this.receive(m, 'register')),
      this.bus.subscribe(s.allAcks, (m) => this.receive(m, 'ack')),
      this.bus.subscribe(s.status, (m) => this.answerStatus(m)),
    ];
    this.lease.start();
    this.timer = setInterval(() => this.tick(), this.tickMs);
    this.timer.unref?.();
  }

  /** Stop acting and listening; the lease is not renewed, so the standby takes over within its ttl. */
  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    for (const s of this.subs) s.unsubscribe();
    this.subs = [];
    await this.lease.stop();
    this.stepDown('stopped');
  }

  private stepDown(reason: string): void {
    if (this.machine.isLeader) {
      this.logger.info('coordinator stepping down', { reason, replica: this.replicaId });
      this.machine.follow();
    }
    for (const [id, span] of this.spans) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: `left unfinished: ${reason}` });
      span.end();
      this.spans.delete(id);
    }
  }

  private tick(): void {
    const now = this.now();
    if (this.lease.leader && !this.machine.isLeader && this.leading === null) {
      this.leading = this.takeOver().finally(() => {
        this.leading = null;
      });
    }
    this.machine.tick(now);
    this.run();
  }

  private async takeOver(): Promise<void> {
    try {
      const doc = await this.stateKv.get(this.subjects.stateKey);
      if (!this.lease.leader || this.machine.isLeader) return;
      this.machine.lead(this.now(), doc);
      this.logger.info('coordinator leading', {
        replica: this.replicaId,
        term: this.lease.view().term,
        epoch: this.machine.currentEpoch,
      });
    } catch (error) {
      // an unreadable store or document: do not act (the epoch would be unknown); retried next tick,
      // logged when the reason changes (not 4 times a second)
      const reason = String(error);
      if (reason !== this.cannotLead)
        this.logger.error('cannot take over: cluster state unusable', { error: reason });
      this.cannotLead = reason;
      return;
    }
    this.cannotLead = null;
  }

  private receive(m: BusMessage, kind: 'heartbeat' | 'register' | 'ack'): void {
    const r = tryDecodeControlMessage(m.data);
    if (!r.ok) {
      this.reject(r.error.code, r.error.message, m.subject);
      return;
    }
    const msg = r.message;
    const now = this.now();
    // the subject's worker token must name the sender (subject permissions pin credentials to it)
    const token = m.subject.split('.')[3];
    const sender = 'workerId' in msg ? msg.workerId : undefined;
    if (kind !== 'register' && sender !== token) {
      this.reject('CTRL_WRONG_SUBJECT', `${msg.type} of ${String(sender)} on ${m.subject}`, m.subject);
      return;
    }
    if (kind === 'register' && msg.type === 'register') this.machine.onRegister(now, msg);
    else if (kind === 'heartbeat' && msg.type === 'heartbeat') this.machine.onHeartbeat(now, msg);
    else if (kind === 'ack' && msg.type === 'revoke_ack') this.machine.onRevokeAck(now, msg);
    else if (kind === 'ack' && msg.type === 'assign_ack') this.machine.onAssignAck(now, msg);
    else {
      this.reject('CTRL_UNEXPECTED', `${msg.type} on ${m.subject}`, m.subject);
      return;
    }
    this.run();
  }

  private reject(code: string, detail: string, subject: string): void {
    this.observer.rejected?.(code);
    this.logger.warn('control message refused', { code, detail, subject });
  }

  private run(): void {
    const effects = this.machine.drain();
    if (effects.length === 0) return;
    if (!this.lease.leader) {
      this.stepDown('lease not held');
      return;
    }
    for (const e of effects) this.effect(e);
  }

  private effect(e: CoordinatorEffect): void {
    const tracer = trace.getTracer(TRACER_NAME);
    switch (e.kind) {
      case 'send': {
        const m = e.message;
        const subject =
          m.type === 'revoke' ? this.subjects.revoke(e.workerId) : this.subjects.assign(e.workerId);
        const span = this.spans.get(m.rebalanceId);
        this.bus.publish(subject, encodeControlMessage(m), span === undefined ? {} : headersOf(span));
        return;
      }
      case 'broadcast':
        this.bus.publish(this.subjects.assignment, encodeControlMessage(e.message));
        return;
      case 'persist':
        this.stateKv.update(this.subjects.stateKey, e.value, e.expectedRevision).then(
          (revision) => {
            this.observer.persisted?.(true);
            this.machine.onPersisted(this.now(), { ok: true, revision });
            this.run();
          },
          (error: unknown) => {
            this.observer.persisted?.(false);
            const conflict = error instanceof KvConflictError;
            this.logger.warn('cluster state write failed', { conflict, error: String(error) });
            this.machine.onPersisted(this.now(), { ok: false, conflict });
            this.run();
          },
        );
        return;
      case 'rebalance_started': {
        const r = e.record;
        const span = tracer.startSpan('ripple.rebalance', {
          root: true,
          attributes: {
            'ripple.rebalance_id': r.rebalanceId,
            'ripple.epoch': r.epoch,
            'ripple.moves': r.moves,
            'ripple.reason': r.reason,
            'ripple.coordinator': this.replicaId,
          },
        });
        this.spans.set(r.rebalanceId, span);
        this.started.set(r.rebalanceId, performance.now());
        const traceId = span.spanContext().traceId;
        if (trace.isSpanContextValid(span.spanContext())) this.machine.setTraceId(r.rebalanceId, traceId);
        this.logger.info('rebalance started', { ...r, traceId });
        this.observer.rebalanceStarted?.(r);
        return;
      }
      case 'rebalance_finished': {
        const r = e.record;
        const t0 = this.started.get(r.rebalanceId);
        this.started.delete(r.rebalanceId);
        const ms = t0 === undefined ? 0 : performance.now() - t0;
        this.spans.get(r.rebalanceId)?.end();
        this.spans.delete(r.rebalanceId);
        this.logger.info('rebalance finished', {
          rebalanceId: r.rebalanceId,
          epoch: r.epoch,
          ms: Math.round(ms),
        });
        this.observer.rebalanceFinished?.(r, ms);
        return;
      }
      case 'member':
        this.logger.info('member change', { workerId: e.workerId, change: e.change });
        this.observer.member?.(e.workerId, e.change);
        return;
      case 'fenced':
        this.logger.error('coordinator fenced', { reason: e.reason });
        this.stepDown(e.reason);
        return;
    }
  }

  /** The status document (also served over HTTP by the app). */
  status(requestId = 'local'): StatusResponse {
    const m = this.machine;
    const view = this.lease.view();
    return {
      type: 'status_response',
      v: 1,
      requestId,
      leaderId: view.holderId,
      epoch: m.currentEpoch,
      numPartitions: m.numPartitions,
      workers: m.workers(),
      unassigned: m.unowned(),
      partitions: m.partitionTable(),
      rebalances: m.recentRebalances(),
    };
  }

  private answerStatus(msg: BusMessage): void {
    if (!this.isLeader || msg.respond === undefined) return; // only the acting replica answers
    const r = tryDecodeControlMessage(msg.data);
    if (!r.ok || r.message.type !== 'status_request') {
      this.reject(r.ok ? 'CTRL_UNEXPECTED' : r.error.code, 'status request', msg.subject);
      return;
    }
    msg.respond(encodeControlMessage(this.status(r.message.requestId)));
  }
}
