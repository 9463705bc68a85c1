/**
 * Sends framed output to the sink with at most one batch in flight: `send`
 * waits for the previous batch's acknowledgement, then starts this one and
 * returns, so the loop fetches and processes the next batch meanwhile. That
 * is the backpressure: when the sink lags, the loop waits here.
 *
 * Retryable failures (broker restart, leader change, timeout) are retried
 * with backoff while the worker reports the sink degraded; the same records
 * are sent again (a re-send can duplicate records the broker already took:
 * same sequences, dropped by consumers as re-emits). A failure that is not
 * retryable is kept: every later `settle` rethrows it, so no checkpoint can
 * ever cover output that was lost.
 */
import { traceExemplar } from '@ripple/telemetry';
import { BackpressureMeter } from './backpressure-meter.ts';
import { type DependencyHealth, isRetryable } from './dependency-health.ts';
import type { WorkerMetrics } from './metrics.ts';
import type { FramedCounts } from './output-framer.ts';
import type { RecordSink, SinkRecord } from './ports.ts';

export class OutputSender {
  private readonly sink: RecordSink;
  private readonly metrics: WorkerMetrics;
  private readonly health: DependencyHealth;
  private readonly stopping: AbortSignal;
  private inflight: Promise<void> | null = null;
  private failure: unknown = null;
  private readonly waiting = new BackpressureMeter();

  constructor(sink: RecordSink, metrics: WorkerMetrics, health: DependencyHealth, stopping: AbortSignal) {
    this.sink = sink;
    this.metrics = metrics;
    this.health = health;
    this.stopping = stopping;
    metrics.backpressureLevel = () => this.waiting.level(performance.now());
  }

  /** Wait for the previous batch, then start sending this one (not awaited). */
  async send(records: SinkRecord[], counts: FramedCounts[]): Promise<void> {
    await this.settle();
    const sending = this.transmit(records, counts);
    sending.catch(() => {}); // surfaced by the next settle()
    this.inflight = sending;
  }

  /** Wait until everything handed to the sink is acknowledged (rethrows a send failure, now and forever). */
  async settle(): Promise<void> {
    if (this.failure !== null) throw this.failure;
    const p = this.inflight;
    if (p === null) return;
    this.inflight = null;
    this.waiting.begin(performance.now());
    try {
      await p;
    } catch (e) {
      this.failure = e;
      throw e;
    } finally {
      this.waiting.end(performance.now());
    }
  }

  private async transmit(out: SinkRecord[], counts: FramedCounts[]): Promise<void> {
    const m = this.metrics;
    if (out.length > 0) {
      const t0 = performance.now();
      for (;;) {
        try {
          await this.sink.send(out);
          break;
        } catch (e) {
          if (!isRetryable(e) || this.stopping.aborted) throw e;
          await this.health.retryAfter('sink', e);
        }
      }
      this.health.recovered('sink');
      m.sinkLatency.observe({ value: (performance.now() - t0) / 1000, exemplarLabels: traceExemplar() });
    }
    for (const c of counts) {
      if (c.deltas > 0) m.deltasSent.inc({ partition: c.partition }, c.deltas);
      if (c.bytes > 0) m.deltaBytes.inc({ partition: c.partition }, c.bytes);
      m.countDiverted(c.partition, c.dead, c.late);
      if (c.truncated > 0) m.dlqTruncated.inc(c.truncated);
    }
  }
}
