/**
 * The checkpointer service: the pure CheckpointCoordinator plus the object
 * store and the bus. It triggers checkpoints, collects acks, verifies that
 * every object a candidate manifest references exists with its size, writes
 * the manifest (the commit point), runs retention, and answers restore
 * lookups. Its only state is the store: on start it lists the manifests
 * and continues after the newest committed one.
 *
 * Store outages: every store call is retried with exponential backoff; a
 * checkpoint whose objects cannot be verified or whose manifest cannot be
 * written before its commit deadline is aborted, so nothing is committed
 * until it is durable. While the store or the bus is down the service is
 * not ready, keeps running and retries.
 */
import { randomBytes } from 'node:crypto';
import { context, propagation, type Span, SpanStatusCode, trace } from '@opentelemetry/api';
import { findRestorePlan, ManifestCatalog, planRetention } from '@ripple/checkpoint-store';
import type { BusMessage, ControlBus } from '@ripple/cluster';
import { type ObjectStore, ObjectStoreError } from '@ripple/object-store';
import {
  type CheckpointLayout,
  type CheckpointManifest,
  type ClusterSubjects,
  clusterSubjects,
  decodeRestoreRequest,
  encodeControlMessage,
  encodeManifest,
  encodeRestoreReply,
  formatTraceparent,
  ProtocolError,
  parseCheckpointId,
  parseTraceparent,
  type RestorePlanReply,
  TRACEPARENT,
  tryDecodeControlMessage,
} from '@ripple/protocol';
import { traceIdExemplar } from '@ripple/telemetry';
import {
  CheckpointCoordinator,
  type InFlight,
  type PartitionTable,
  tableOfAssignment,
} from './coordinator.ts';
import { type AbortReason, CheckpointAbortedError } from './errors.ts';
import type { CheckpointerMetrics } from './metrics.ts';
import type { Logger } from './ports.ts';
import { withBackoff } from './retry.ts';

export interface CheckpointerOptions {
  readonly cluster: string;
  readonly layout: CheckpointLayout;
  readonly intervalMs: number;
  readonly ackTimeoutMs: number;
  /** verification + manifest write must finish within this time after all acks are in */
  readonly commitTimeoutMs: number;
  /** committed checkpoints kept by retention */
  readonly keep: number;
  /** partitions to checkpoint without a coordinator (epoch, all partitions, any owner); null: follow Assignment messages */
  readonly staticTable: PartitionTable | null;
  readonly store: ObjectStore;
  readonly bus: ControlBus;
  /** false while the bus's connection is down (not ready); absent: always up (an in-memory bus) */
  readonly busConnected?: () => boolean;
  readonly metrics: CheckpointerMetrics;
  readonly logger: Logger;
  /** how often the clock is advanced; 0: never by itself (tests call tick()) */
  readonly tickMs: number;
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly nonce?: () => string;
  /**
   * High availability: only the holder of the lease triggers, commits and
   * deletes; a standby rebuilds its state from the store when it takes over.
   * Absent: this process is the only checkpointer.
   */
  readonly leader?: { readonly isLeader: () => boolean };
}

export type CheckpointEvent =
  | { readonly type: 'triggered'; readonly checkpointId: string; readonly epoch: number }
  | { readonly type: 'committed'; readonly manifest: CheckpointManifest; readonly durationMs: number }
  | {
      readonly type: 'aborted';
      readonly checkpointId: string;
      readonly reason: AbortReason;
      readonly detail: string;
    }
  | { readonly type: 'retention'; readonly deletedManifests: number; readonly deletedObjects: number };

type Listener = (e: CheckpointEvent) => void;

export class Checkpointer {
  private readonly o: CheckpointerOptions;
  private readonly coord: CheckpointCoordinator;
  private readonly catalog: ManifestCatalog;
  private readonly subjects: ClusterSubjects;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly listeners = new Set<Listener>();
  private readonly unsubscribe: Array<() => void> = [];
  private readonly verified = new Set<string>();
  private readonly traces = new Map<string, string>();
  /** One span per checkpoint (trigger -> acks -> commit or abort): the root of its trace. */
  private readonly spans = new Map<string, Span>();
  private timer: NodeJS.Timeout | null = null;
  private committing: Promise<void> | null = null;
  private retaining: Promise<void> | null = null;
  private rebuilt = false;
  /** last outcome of reads (get/head/list) and writes (put/delete): a store refusing only writes is down too */
  private readonly storeOk = { read: true, write: true };
  private stopping = false;
  private wasLeader = false;
  private takingOver: Promise<void> | null = null;

  constructor(o: CheckpointerOptions) {
    this.o = o;
    this.now = o.now ?? Date.now;
    this.sleep = o.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.subjects = clusterSubjects(o.cluster);
    this.catalog = new ManifestCatalog(o.store, o.layout);
    this.coord = new CheckpointCoordinator({
      cluster: o.cluster,
      layout: o.layout,
      intervalMs: o.intervalMs,
      ackTimeoutMs: o.ackTimeoutMs,
      nonce: o.nonce ?? (() => randomBytes(5).toString('hex')),
    });
  }

  on(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(e: CheckpointEvent): void {
    for (const l of this.listeners) l(e);
  }

  private isLeader(): boolean {
    return this.o.leader === undefined || this.o.leader.isLeader();
  }

  /** Re-reads the committed checkpoints (a standby taking over continues after the last holder's). */
  private async resync(): Promise<void> {
    try {
      const view = await this.store('list', () => this.catalog.refresh());
      const objects = await this.store('list', () => this.o.store.list(this.o.layout.snapshotsPrefix));
      let highest = view.highestSeq;
      for (const x of objects) highest = Math.max(highest, this.o.layout.parseSnapshotKey(x.key)?.seq ?? 0);
      const latest = view.manifests[view.manifests.length - 1]?.manifest ?? null;
      this.coord.restore(latest, highest);
      if (latest !== null) this.publishLatest(latest);
      this.o.logger.info('leading: state re-read from the store', { latest: latest?.checkpointId ?? null });
    } catch (e) {
      if (!(e instanceof ObjectStoreError)) throw e;
      this.wasLeader = false; // retried on the next tick
    }
  }

  get ready(): boolean {
    return this.rebuilt && this.storeOk.read && this.storeOk.write && this.busUp() && !this.stopping;
  }

  /** What /ready reports besides the flag. */
  details(): Record<string, unknown> {
    const latest = this.coord.latestCommitted;
    return {
      rebuilt: this.rebuilt,
      storeOk: { ...this.storeOk },
      busConnected: this.busUp(),
      epoch: this.coord.epoch,
      role: this.isLeader() ? 'leader' : 'standby',
      latestCommitted: latest?.checkpointId ?? null,
      inFlight: this.coord.inFlight?.checkpointId ?? null,
    };
  }

  get latestCommitted(): CheckpointManifest | null {
    return this.coord.latestCommitted;
  }

  private busUp(): boolean {
    return this.o.busConnected?.() ?? true;
  }

  /** Rebuilds the state from the store (retrying until it can), then subscribes and starts the clock. */
  async start(): Promise<void> {
    const b = this.o.backoff ?? { initialMs: 100, maxMs: 5000 };
    const { view, highestObjectSeq } = await withBackoff(
      async () => {
        try {
          const view = await this.catalog.refresh();
          const objects = await this.o.store.list(this.o.layout.snapshotsPrefix);
          let highestObjectSeq = 0;
          for (const x of objects)
            highestObjectSeq = Math.max(highestObjectSeq, this.o.layout.parseSnapshotKey(x.key)?.seq ?? 0);
          this.storeOk.read = true;
          return { view, highestObjectSeq };
        } catch (e) {
          this.storeFailed('list', e);
          throw e;
        }
      },
      {
        ...b,
        deadlineMs: Number.POSITIVE_INFINITY,
        now: this.now,
        sleep: this.sleep,
        shouldContinue: () => !this.stopping,
      },
    );
    const latest = view.manifests[view.manifests.length - 1]?.manifest ?? null;
    this.coord.restore(latest, Math.max(view.highestSeq, highestObjectSeq));
    this.o.metrics.corruptManifests.set(view.corrupt.length);
    for (const c of view.corrupt)
      this.o.logger.warn('manifest does not decode; never used', { key: c.key, error: c.error.message });
    if (latest !== null) this.publishLatest(latest);
    this.o.logger.info('state rebuilt from the store', {
      committed: view.manifests.length,
      latest: latest?.checkpointId ?? null,
      corrupt: view.corrupt.length,
    });
    this.rebuilt = true;
    if (this.o.staticTable !== null) this.coord.setTable(this.o.staticTable);
    const bus = this.o.bus;
    for (const sub of [
      bus.subscribe(this.subjects.checkpointAck, (m) => this.onAck(m)),
      bus.subscribe(this.subjects.assignment, (m) => this.onAssignment(m)),
      bus.subscribe(this.subjects.checkpointLookup, (m) => void this.onLookup(m)),
    ])
      this.unsubscribe.push(() => sub.unsubscribe());
    await bus.flush();
    if (this.o.tickMs > 0) this.timer = setInterval(() => this.tick(), this.o.tickMs);
    this.updateReady();
  }

  /** Advances the clock once: trigger, commit or time out. */
  tick(): void {
    if (this.stopping || !this.rebuilt) return;
    this.updateReady();
    if (!this.isLeader()) {
      const c = this.coord.inFlight;
      if (c !== null && c.phase === 'collecting') this.aborted(c, 'not_leader', 'lease lost');
      this.wasLeader = false;
      return;
    }
    if (!this.wasLeader) {
      // Taking over (or starting as the leader): what the previous holder committed is in the store.
      this.wasLeader = true;
      if (this.o.leader !== undefined) {
        this.takingOver = this.resync().finally(() => {
          this.takingOver = null;
        });
      }
    }
    if (this.takingOver !== null) return;
    const r = this.coord.tick(this.now());
    switch (r.kind) {
      case 'idle':
        return;
      case 'trigger': {
        // The checkpoint's trace: a root span whose context the trigger carries to every worker.
        const span = trace.getTracer('ripple-checkpointer').startSpan('ripple.checkpoint', {
          root: true,
          attributes: {
            'ripple.checkpoint': r.trigger.checkpointId,
            'ripple.epoch': r.trigger.epoch,
            'ripple.cluster': this.o.cluster,
          },
        });
        this.spans.set(r.trigger.checkpointId, span);
        const carrier: Record<string, string> = {};
        propagation.inject(trace.setSpan(context.active(), span), carrier);
        // Without a tracing SDK the span is a no-op: a fresh trace id still ties the logs together.
        const traceparent = carrier[TRACEPARENT] ?? newTraceparent();
        this.traces.set(r.trigger.checkpointId, traceparent);
        this.o.bus.publish(this.subjects.checkpointTrigger, encodeControlMessage(r.trigger), {
          [TRACEPARENT]: traceparent,
        });
        this.o.metrics.triggered.inc();
        this.o.logger.info('checkpoint triggered', {
          checkpointId: r.trigger.checkpointId,
          epoch: r.trigger.epoch,
          traceparent,
        });
        this.emit({ type: 'triggered', checkpointId: r.trigger.checkpointId, epoch: r.trigger.epoch });
        return;
      }
      case 'timeout':
        this.aborted(r.inFlight, 'ack_timeout', `no ack from partitions ${r.missing.join(', ')}`);
        return;
      case 'commit':
        this.committing = this.commit(r.manifest, r.inFlight).finally(() => {
          this.committing = null;
        });
        return;
    }
  }

  private onAck(m: BusMessage): void {
    const r = tryDecodeControlMessage(m.data);
    if (!r.ok) {
      this.o.metrics.badMessages.inc({ code: r.error.code });
      this.o.logger.warn('control message refused', {
        subject: m.subject,
        code: r.error.code,
        error: r.error.message,
      });
      return;
    }
    if (r.message.type !== 'checkpoint_ack') {
      this.o.metrics.badMessages.inc({ code: 'UNEXPECTED_TYPE' });
      return;
    }
    const outcome = this.coord.onAck(r.message);
    if (!outcome.accepted) {
      this.o.metrics.acksRefused.inc({ reason: outcome.reason });
      this.o.logger.warn('checkpoint ack refused', {
        reason: outcome.reason,
        detail: outcome.detail,
        checkpointId: r.message.checkpointId,
        partition: r.message.partition,
        workerId: r.message.workerId,
      });
      return;
    }
    if (!outcome.duplicate) {
      this.o.metrics.acks.inc();
      this.spans.get(r.message.checkpointId)?.addEvent('ack', {
        'ripple.partition': r.message.partition,
        'ripple.worker': r.message.workerId,
        'ripple.snapshot.bytes': r.message.bytes,
      });
    }
    if (outcome.complete) this.tick();
  }

  private onAssignment(m: BusMessage): void {
    const r = tryDecodeControlMessage(m.data);
    if (!r.ok || r.message.type !== 'assignment') {
      this.o.metrics.badMessages.inc({ code: r.ok ? 'UNEXPECTED_TYPE' : r.error.code });
      return;
    }
    const { aborted, stale } = this.coord.setTable(tableOfAssignment(r.message));
    if (stale) {
      this.o.metrics.badMessages.inc({ code: 'CTRL_STALE_EPOCH' });
      return;
    }
    if (aborted !== null) this.aborted(aborted, 'epoch_changed', `assignment epoch ${r.message.epoch}`);
  }

  private async onLookup(m: BusMessage): Promise<void> {
    if (m.respond === undefined) return;
    let request: ReturnType<typeof decodeRestoreRequest>;
    try {
      request = decodeRestoreRequest(m.data);
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      this.o.metrics.badMessages.inc({ code: e.code });
      this.o.logger.warn('restore request refused', { code: e.code, error: e.message });
      return;
    }
    let answer: Awaited<ReturnType<typeof findRestorePlan>>;
    try {
      const view = await this.catalog.refresh();
      this.storeOk.read = true;
      answer = await findRestorePlan(
        this.o.store,
        view.manifests.map((x) => x.manifest),
        request.partition,
        (s) => {
          this.o.metrics.corruptObjects.inc();
          this.o.logger.error('snapshot object failed verification; offering an older checkpoint', { ...s });
        },
      );
    } catch (e) {
      if (!(e instanceof ObjectStoreError)) throw e;
      this.storeFailed('get', e);
      answer = { status: 'unavailable', skipped: [] };
    }
    this.o.metrics.lookups.inc({ status: answer.status });
    const reply: RestorePlanReply = {
      type: 'restore_plan',
      v: 1,
      requestId: request.requestId,
      partition: request.partition,
      status: answer.status,
      checkpointId: answer.status === 'ok' ? answer.checkpointId : null,
      snapshot: answer.status === 'ok' ? answer.snapshot : null,
      skipped: answer.skipped,
    };
    const tp = parseTraceparent(m.headers[TRACEPARENT]);
    m.respond(encodeRestoreReply(reply), tp === undefined ? {} : { [TRACEPARENT]: formatTraceparent(tp)! });
  }

  private async commit(manifest: CheckpointManifest, c: InFlight): Promise<void> {
    const deadlineMs = this.now() + this.o.commitTimeoutMs;
    const b = this.o.backoff ?? { initialMs: 100, maxMs: 5000 };
    const retry = {
      ...b,
      deadlineMs,
      now: this.now,
      sleep: this.sleep,
      shouldContinue: () => !this.stopping,
      onRetry: (e: unknown, attempt: number, waitMs: number) =>
        this.o.logger.warn('store unavailable; retrying', {
          checkpointId: c.checkpointId,
          attempt,
          waitMs,
          error: String(e),
        }),
    };
    try {
      const refs = new Map(manifest.partitions.flatMap((p) => p.chain.map((o) => [o.key, o] as const)));
      const pending = [...refs.values()].filter((o) => !this.verified.has(o.key));
      await withBackoff(async () => {
        for (let i = 0; i < pending.length; i += 16) {
          await Promise.all(
            pending.slice(i, i + 16).map(async (o) => {
              const info = await this.store('head', () => this.o.store.head(o.key));
              if (info === null)
                throw new CheckpointAbortedError(c.checkpointId, 'verify_failed', `${o.key} does not exist`);
              if (info.size !== o.bytes)
                throw new CheckpointAbortedError(
                  c.checkpointId,
                  'verify_failed',
                  `${o.key} is ${info.size} bytes, acked ${o.bytes}`,
                );
              this.verified.add(o.key);
            }),
          );
        }
      }, retry);
      if (!this.isLeader())
        throw new CheckpointAbortedError(
          c.checkpointId,
          'not_leader',
          'lease lost before the manifest was written',
        );
      if (!this.coord.mayWrite(c))
        throw new CheckpointAbortedError(
          c.checkpointId,
          'epoch_changed',
          `epoch moved past ${c.epoch} before the manifest was written`,
        );
      const key = this.o.layout.manifestKey(c.checkpointId);
      const bytes = encodeManifest(manifest);
      await withBackoff(
        () =>
          this.store('put', () =>
            this.o.store.put(key, bytes, { contentType: 'application/x-ripple-manifest' }),
          ),
        retry,
      );
      // Durable: this is the commit point.
      this.coord.committed(c, manifest);
      this.catalog.remember(key, manifest);
      const durationMs = this.now() - c.triggeredAtMs;
      this.o.metrics.committed.inc();
      this.o.metrics.commitSeconds.observe({
        value: durationMs / 1000,
        exemplarLabels: traceIdExemplar(this.traces.get(c.checkpointId)?.split('-')[1]),
      });
      this.o.metrics.bytesWritten.inc({ kind: 'full' }, manifest.written.full);
      this.o.metrics.bytesWritten.inc({ kind: 'incremental' }, manifest.written.incremental);
      this.o.metrics.lastBytes.set({ kind: 'full' }, manifest.written.full);
      this.o.metrics.lastBytes.set({ kind: 'incremental' }, manifest.written.incremental);
      this.publishLatest(manifest);
      this.o.logger.info('checkpoint committed', {
        checkpointId: c.checkpointId,
        epoch: c.epoch,
        partitions: manifest.partitions.length,
        durationMs,
        written: manifest.written,
        traceparent: this.traces.get(c.checkpointId),
      });
      this.traces.delete(c.checkpointId);
      const span = this.spans.get(c.checkpointId);
      span?.setAttributes({
        'ripple.checkpoint.bytes_full': manifest.written.full,
        'ripple.checkpoint.bytes_incremental': manifest.written.incremental,
        'ripple.checkpoint.partitions': manifest.partitions.length,
      });
      span?.addEvent('committed');
      span?.end();
      this.spans.delete(c.checkpointId);
      this.emit({ type: 'committed', manifest, durationMs });
    } catch (e) {
      if (e instanceof CheckpointAbortedError) this.aborted(c, e.reason, e.message);
      else if (e instanceof ObjectStoreError) this.aborted(c, 'store_unavailable', e.message);
      else {
        this.aborted(c, 'store_unavailable', `unexpected: ${String(e)}`);
        throw e;
      }
      return;
    }
    await this.runRetention();
  }

  /** One retention pass; failures are counted and logged, the next commit retries. */
  async runRetention(): Promise<void> {
    if (this.retaining !== null) return this.retaining;
    if (!this.isLeader()) return;
    this.retaining = (async () => {
      try {
        const view = await this.store('list', () => this.catalog.refresh());
        const objects = await this.store('list', () => this.o.store.list(this.o.layout.snapshotsPrefix));
        const protect = new Set<string>();
        for (const a of this.coord.inFlight?.acks.values() ?? [])
          for (const o of a.ref.chain) protect.add(o.key);
        const plan = planRetention({
          layout: this.o.layout,
          keep: this.o.keep,
          manifests: view.manifests,
          corruptManifests: view.corrupt.map((x) => x.key),
          objects,
          protect,
        });
        // Manifests first: a manifest never outlives an object it references.
        if (plan.deleteManifests.length > 0)
          await this.store('delete', () => this.o.store.delete(plan.deleteManifests));
        if (plan.deleteObjects.length > 0)
          await this.store('delete', () => this.o.store.delete(plan.deleteObjects));
        for (const k of plan.deleteObjects) this.verified.delete(k);
        this.o.metrics.deletedObjects.inc({ what: 'manifest' }, plan.deleteManifests.length);
        this.o.metrics.deletedObjects.inc({ what: 'snapshot' }, plan.deleteObjects.length);
        this.o.metrics.retainedObjects.set(plan.retainedObjects);
        this.o.metrics.retainedBytes.set(plan.retainedBytes);
        this.o.metrics.retainedCheckpoints.set(plan.retained.length);
        this.o.metrics.corruptManifests.set(view.corrupt.length);
        this.emit({
          type: 'retention',
          deletedManifests: plan.deleteManifests.length,
          deletedObjects: plan.deleteObjects.length,
        });
      } catch (e) {
        if (!(e instanceof ObjectStoreError)) throw e;
        this.o.logger.warn('retention pass failed; retried after the next commit', { error: e.message });
      }
    })().finally(() => {
      this.retaining = null;
    });
    return this.retaining;
  }

  private async store<T>(op: 'get' | 'head' | 'list' | 'put' | 'delete', f: () => Promise<T>): Promise<T> {
    try {
      const v = await f();
      this.storeOk[op === 'put' || op === 'delete' ? 'write' : 'read'] = true;
      return v;
    } catch (e) {
      this.storeFailed(op, e);
      throw e;
    }
  }

  private storeFailed(op: 'get' | 'head' | 'list' | 'put' | 'delete', e: unknown): void {
    if (e instanceof ObjectStoreError && e.retryable) {
      this.storeOk[op === 'put' || op === 'delete' ? 'write' : 'read'] = false;
      this.o.metrics.storeErrors.inc({ op });
    }
    this.updateReady();
  }

  private updateReady(): void {
    this.o.metrics.ready.set(this.ready ? 1 : 0);
    this.o.metrics.leader.set(this.isLeader() ? 1 : 0);
  }

  private publishLatest(m: CheckpointManifest): void {
    this.o.metrics.latestCommitted.set(m.committedAtMs / 1000);
    this.o.metrics.latestSeq.set(parseCheckpointId(m.checkpointId)!.seq);
  }

  private aborted(c: InFlight, reason: AbortReason, detail: string): void {
    this.coord.abort(c);
    this.traces.delete(c.checkpointId);
    const span = this.spans.get(c.checkpointId);
    span?.setStatus({ code: SpanStatusCode.ERROR, message: `aborted: ${reason}` });
    span?.setAttribute('ripple.checkpoint.abort_reason', reason);
    span?.end();
    this.spans.delete(c.checkpointId);
    this.o.metrics.aborted.inc({ reason });
    this.o.logger.warn('checkpoint aborted; the previous committed checkpoint stays latest', {
      checkpointId: c.checkpointId,
      reason,
      detail,
    });
    this.emit({ type: 'aborted', checkpointId: c.checkpointId, reason, detail });
  }

  /** Stops triggering, aborts a checkpoint still collecting acks, and waits for a commit in progress. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    for (const u of this.unsubscribe.splice(0)) u();
    await this.committing;
    await this.retaining;
    await this.takingOver;
    const c = this.coord.inFlight;
    if (c !== null && c.phase === 'collecting') this.aborted(c, 'stopped', 'checkpointer stopping');
    this.updateReady();
  }
}

function newTraceparent(): string {
  return formatTraceparent({
    traceId: randomBytes(16).toString('hex'),
    spanId: randomBytes(8).toString('hex'),
    traceFlags: 1,
  })!;
}
