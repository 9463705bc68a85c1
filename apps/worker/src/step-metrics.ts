/**
 * Per-step metrics: O(1) per partition a batch touched (keys, watermark, lag,
 * graph counters as differences), graph totals once per step.
 */
import { INT64_MAX, INT64_MIN } from '@ripple/core';
import type { JobPartition } from './job.ts';
import type { WorkerMetrics } from './metrics.ts';
import type { Clock, RecordSource } from './ports.ts';

export class StepMetrics {
  private readonly m: WorkerMetrics;
  private readonly source: RecordSource;
  /** Graph counters already reported, per partition (counters only ever add the difference). */
  private readonly graphSeen = new Map<number, { stabilizations: number; cutoffs: number }>();

  /** Events already counted, per partition object (a restored partition is a new object counting from 0). */
  private readonly eventsSeen = new WeakMap<JobPartition, number>();
  private readonly clock: Clock;

  constructor(metrics: WorkerMetrics, source: RecordSource, clock: Clock) {
    this.m = metrics;
    this.source = source;
    this.clock = clock;
  }

  observe(touched: Iterable<JobPartition>, all: Iterable<JobPartition>): void {
    for (const p of touched) this.observePartition(p);
    let nodes = 0;
    let dirty = 0;
    for (const q of all) {
      const s = q.graphStats();
      nodes += s.nodeCount;
      dirty += s.dirtyCount;
    }
    this.m.graphNodes.set(nodes);
    this.m.graphDirty.set(dirty);
  }

  /** A partition is no longer owned: forget its counters and gauges. */
  forget(partition: number): void {
    this.graphSeen.delete(partition);
    for (const g of [this.m.keys, this.m.watermark, this.m.watermarkLag, this.m.consumerLag])
      g.remove({ partition });
  }

  private observePartition(p: JobPartition): void {
    const m = this.m;
    const g = p.graphStats();
    const seen = this.graphSeen.get(p.partition) ?? { stabilizations: 0, cutoffs: 0 };
    m.graphStabilizations.inc(Math.max(0, g.stabilizations - seen.stabilizations));
    m.graphCutoffs.inc(Math.max(0, g.cutoffs - seen.cutoffs));
    this.graphSeen.set(p.partition, { stabilizations: g.stabilizations, cutoffs: g.cutoffs });
    m.keys.set({ partition: p.partition }, p.keyCount);
    const events = p.eventsIn;
    m.tradesIn.inc({ partition: p.partition }, events - (this.eventsSeen.get(p) ?? 0));
    this.eventsSeen.set(p, events);
    const wm = p.watermarkNs;
    // Before the first event the operator reports a time outside the int64 range: no watermark yet.
    if (wm > INT64_MIN && wm < INT64_MAX) {
      const wmMs = Number(wm / 1_000_000n);
      m.watermark.set({ partition: p.partition }, wmMs / 1000);
      m.watermarkLag.set({ partition: p.partition }, (this.clock.nowMs() - wmMs) / 1000);
    }
    const end = this.source.lastKnownEnd(p.partition);
    if (end !== undefined && p.nextOffset !== null) {
      m.consumerLag.set({ partition: p.partition }, Number(end > p.nextOffset ? end - p.nextOffset : 0n));
    }
  }
}
