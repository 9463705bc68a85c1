/**
 * Runs a WorkerAgentMachine over a ControlBus and a PartitionHost with real
 * timers: the worker process embeds one of these (`new WorkerAgent(...)`,
 * `start()`, `shutdown()` on SIGTERM).
 *
 * Subjects (clusterSubjects): listens on `rebalance.<w>.*`; publishes
 * register, `worker.<w>.heartbeat` and `worker.<w>.ack`. A refused control
 * message (malformed, stale epoch, addressed to another worker) is logged,
 * counted by code in `refused`, and dropped; nothing else happens.
 * Tracing: each assign/revoke is a span, child of the coordinator's
 * rebalance span (traceparent header), and the ack carries its context.
 */
import { type Span, SpanStatusCode, trace } from '@opentelemetry/api';
import {
  type ClusterSubjects,
  clusterSubjects,
  encodeControlMessage,
  type Heartbeat,
  tryDecodeControlMessage,
} from '@ripple/protocol';
import type { BusMessage, BusSubscription, ControlBus } from './control-bus.ts';
import { HostFailedError } from './errors.ts';
import { type Logger, silentLogger } from './logger.ts';
import type { PartitionHost } from './partition-host.ts';
import { contextFromHeaders, headersOf, TRACER_NAME } from './tracing.ts';
import { type AgentEffect, WorkerAgentMachine } from './worker-agent-machine.ts';

export interface WorkerAgentOptions {
  readonly bus: ControlBus;
  readonly cluster: string;
  readonly host: PartitionHost;
  readonly workerId: string;
  readonly incarnation: string;
  readonly heartbeatIntervalMs: number;
  readonly shutdownGraceMs?: number;
  /** see WorkerAgentMachine's option: a drain nobody answers stops after this long (default 5 s) */
  readonly drainIdleMs?: number;
  readonly softwareVersion?: string;
  readonly rpcAddress?: string;
  readonly logger?: Logger;
  /** milliseconds; default Date.now */
  readonly now?: () => number;
}

export class WorkerAgent {
  readonly machine: WorkerAgentMachine;
  readonly subjects: ClusterSubjects;
  /** refused control messages by code */
  readonly refused = new Map<string, number>();
  private readonly bus: ControlBus;
  private readonly host: PartitionHost;
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly tickMs: number;
  private sub: BusSubscription | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly spans = new Map<number, Span>();
  /** trace headers per rebalance: received with the command, and sent with the ack (bounded) */
  private readonly traceparents = new Map<string, Record<string, string>>();
  private readonly ackHeaders = new Map<string, Record<string, string>>();
  private stopped: ((graceful: boolean) => void)[] = [];
  private done: boolean | null = null;

  constructor(options: WorkerAgentOptions) {
    this.bus = options.bus;
    this.host = options.host;
    this.logger = options.logger ?? silentLogger;
    this.now = options.now ?? Date.now;
    this.subjects = clusterSubjects(options.cluster);
    this.tickMs = Math.max(10, Math.min(250, options.heartbeatIntervalMs / 4));
    this.machine = new WorkerAgentMachine({
      workerId: options.workerId,
      incarnation: options.incarnation,
      heartbeatIntervalMs: options.heartbeatIntervalMs,
      ...(options.shutdownGraceMs === undefined ? {} : { shutdownGraceMs: options.shutdownGraceMs }),
      ...(options.drainIdleMs === undefined ? {} : { drainIdleMs: options.drainIdleMs }),
      ...(options.softwareVersion === undefined ? {} : { softwareVersion: options.softwareVersion }),
      ...(options.rpcAddress === undefined ? {} : { rpcAddress: options.rpcAddress }),
    });
  }

  start(): void {
    if (this.sub !== null) return;
    this.sub = this.bus.subscribe(this.subjects.rebalanceFor(this.machine.workerId), (m) => this.receive(m));
    this.machine.start(this.now());
    this.run();
    this.timer = setInterval(() => {
      this.machine.tick(this.now());
      this.run();
    }, this.tickMs);
    this.timer.unref?.();
  }

  /** SIGTERM: hand every partition over (the coordinator revokes them), then stop. */
  shutdown(): Promise<boolean> {
    if (this.done !== null) return Promise.resolve(this.done);
    const p = new Promise<boolean>((r) => this.stopped.push(r));
    this.machine.shutdown(this.now());
    this.run();
    return p;
  }

  /** Stops timers and the subscription (after shutdown, or to simulate a crash in tests). */
  close(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.sub?.unsubscribe();
    this.sub = null;
    for (const s of this.spans.values()) s.end();
    this.spans.clear();
  }

  private refuse(code: string, detail: string): void {
    this.refused.set(code, (this.refused.get(code) ?? 0) + 1);
    this.logger.warn('control message refused', { code, detail });
  }

  private receive(m: BusMessage): void {
    const r = tryDecodeControlMessage(m.data);
    if (!r.ok) {
      this.refuse(r.error.code, r.error.message);
      return;
    }
    const msg = r.message;
    if (msg.type !== 'assign' && msg.type !== 'revoke') {
      this.refuse('CTRL_UNEXPECTED', `${msg.type} on ${m.subject}`);
      return;
    }
    if (m.headers.traceparent !== undefined) remember(this.traceparents, msg.rebalanceId, { ...m.headers });
    if (msg.type === 'assign') this.machine.onAssign(this.now(), msg);
    else this.machine.onRevoke(this.now(), msg);
    this.run();
  }

  private run(): void {
    for (const e of this.machine.drain()) this.effect(e);
  }

  private effect(e: AgentEffect): void {
    const s = this.subjects;
    const w = this.machine.workerId;
    switch (e.kind) {
      case 'publish_register':
        this.bus.publish(s.register, encodeControlMessage(e.message));
        return;
      case 'publish_heartbeat': {
        const st = this.host.status();
        const byPartition = new Map(st.partitions.map((x) => [x.partition, x]));
        const hb: Heartbeat = {
          type: 'heartbeat',
          v: 1,
          workerId: w,
          incarnation: this.machine.incarnation,
          epoch: e.epoch,
          state: e.state,
          partitions: e.partitions.map((x) => ({
            partition: x.partition,
            epoch: x.epoch,
            offset: byPartition.get(x.partition)?.offset ?? 0n,
            lag: byPartition.get(x.partition)?.lag ?? 0,
          })),
          load: st.load,
          sentAtMs: Math.floor(this.now()),
        };
        this.bus.publish(s.heartbeat(w), encodeControlMessage(hb));
        return;
      }
      case 'publish_ack': {
        this.bus.publish(
          s.ack(w),
          encodeControlMessage(e.message),
          this.ackHeaders.get(e.message.rebalanceId) ?? {},
        );
        return;
      }
      case 'host_assign':
      case 'host_revoke':
        this.hostOp(e);
        return;
      case 'refused':
        this.refuse(e.reason === 'stale_epoch' ? 'CTRL_STALE_EPOCH' : 'CTRL_WRONG_WORKER', e.detail);
        return;
      case 'stopped':
        this.done = e.graceful;
        this.logger.info('agent stopped', { graceful: e.graceful, reason: e.reason });
        for (const r of this.stopped.splice(0)) r(e.graceful);
        this.close();
        return;
    }
  }

  private hostOp(e: Extract<AgentEffect, { kind: 'host_assign' | 'host_revoke' }>): void {
    const parent = contextFromHeaders(this.traceparents.get(e.rebalanceId) ?? {});
    const tracer = trace.getTracer(TRACER_NAME);
    const isAssign = e.kind === 'host_assign';
    const partitions = isAssign ? e.starts.map((x) => x.partition) : e.partitions;
    const span = tracer.startSpan(
      isAssign ? 'ripple.worker.assign' : e.discard ? 'ripple.worker.discard' : 'ripple.worker.revoke',
      {
        attributes: {
          'ripple.worker': this.machine.workerId,
          'ripple.epoch': e.epoch,
          'ripple.rebalance_id': e.rebalanceId,
          'ripple.partitions': partitions.join(','),
        },
      },
      parent,
    );
    this.spans.set(e.opId, span);
    const headers = headersOf(span);
    const ctx = {
      rebalanceId: e.rebalanceId,
      ...(headers.traceparent === undefined ? {} : { traceparent: headers.traceparent }),
      ...(isAssign ? {} : { discard: e.discard }),
    };
    const finish = (error: unknown) => {
      if (error !== null) {
        const err = new HostFailedError(isAssign ? 'assign' : 'revoke', partitions, error);
        this.logger.warn('partition host operation failed', {
          error: err.message,
          rebalanceId: e.rebalanceId,
        });
        span.recordException(err);
        span.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
      }
      span.end();
      this.spans.delete(e.opId);
      remember(this.ackHeaders, e.rebalanceId, headers);
    };
    if (isAssign) {
      this.host.assign(e.starts, e.epoch, ctx).then(
        () => {
          finish(null);
          this.machine.onHostAssigned(this.now(), e.opId, true);
          this.run();
        },
        (error: unknown) => {
          finish(error);
          this.machine.onHostAssigned(this.now(), e.opId, false);
          this.run();
        },
      );
    } else {
      this.host.revoke(e.partitions, e.epoch, ctx).then(
        (refs) => {
          finish(null);
          this.machine.onHostRevoked(this.now(), e.opId, refs);
          this.run();
        },
        (error: unknown) => {
          finish(error);
          this.machine.onHostRevoked(this.now(), e.opId, null);
          this.run();
        },
      );
    }
  }
}

function remember<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > 256) map.delete(map.keys().next().value!);
}
