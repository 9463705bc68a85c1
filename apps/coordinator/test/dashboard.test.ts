import { MemoryBus } from '@ripple/cluster';
import { clusterSubjects, encodeControlMessage } from '@ripple/protocol';
import { describe, expect, it } from 'vitest';
import { DashboardFeed } from '../src/dashboard/feed.ts';
import { waterfall } from '../src/dashboard/jaeger.ts';
import { dashboardHandler } from '../src/dashboard/server.ts';
import { serve } from '../src/http.ts';

const subjects = clusterSubjects('unit');

describe('dashboard feed', () => {
  it('keeps per-worker series from heartbeats and checkpoints from triggers and acks', async () => {
    let now = 1_000_000;
    const bus = new MemoryBus();
    const feed = new DashboardFeed(() => now);
    feed.attach(bus, subjects);
    const hb = (eventsPerSec: number, lag: number) =>
      bus.publish(
        subjects.heartbeat('w1'),
        encodeControlMessage({
          type: 'heartbeat',
          v: 1,
          workerId: 'w1',
          incarnation: 'i',
          epoch: 1,
          state: 'active',
          partitions: [
            { partition: 0, offset: 5n, lag },
            { partition: 1, offset: 5n, lag: 1 },
          ],
          load: { cpu: 0, eventsPerSec, keys: 0, heapBytes: 0 },
          sentAtMs: now,
        }),
      );
    hb(100, 4);
    await bus.flush();
    feed.sample();
    now += 1000;
    hb(250, 0);
    await bus.flush();
    feed.sample();
    feed.sample(); // same second: one sample
    bus.publish(subjects.heartbeat('w1'), new TextEncoder().encode('not json')); // ignored
    bus.publish(
      subjects.checkpointTrigger,
      encodeControlMessage({
        type: 'checkpoint_trigger',
        v: 1,
        checkpointId: 'ck1',
        epoch: 1,
        deadlineMs: now + 1,
      }),
      { traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01` },
    );
    const ack = (partition: number, bytes: number, chain: boolean) =>
      bus.publish(
        subjects.checkpointAck,
        encodeControlMessage({
          type: 'checkpoint_ack',
          v: 1,
          checkpointId: 'ck1',
          epoch: 1,
          workerId: 'w1',
          partition,
          snapshotKey: `k${partition}`,
          bytes,
          crc32c: 0,
          offsets: [],
          ...(chain ? { chain: [{ key: 'base', bytes: 1, crc32c: 0, kind: 'full' }] } : {}),
        } as never),
      );
    ack(0, 1000, false);
    ack(1, 10, true);
    ack(1, 10, true); // a duplicate ack counts once
    await bus.flush();
    // the next checkpoint: partition 0 unchanged (its object acked again) writes nothing
    bus.publish(
      subjects.checkpointTrigger,
      encodeControlMessage({
        type: 'checkpoint_trigger',
        v: 1,
        checkpointId: 'ck2',
        epoch: 1,
        deadlineMs: now + 1,
      }),
    );
    bus.publish(
      subjects.checkpointAck,
      encodeControlMessage({
        type: 'checkpoint_ack',
        v: 1,
        checkpointId: 'ck2',
        epoch: 1,
        workerId: 'w1',
        partition: 0,
        snapshotKey: 'k0',
        bytes: 1000,
        crc32c: 0,
        offsets: [],
      } as never),
    );
    await bus.flush();
    const status = { workers: [{ workerId: 'w1' }] } as never;
    const s = feed.snapshot(status, true);
    expect(s.series.w1).toEqual({ t: [1000, 1001], eventsPerSec: [100, 250], lag: [5, 1] });
    expect(s.checkpoints[0]).toMatchObject({
      checkpointId: 'ck2',
      traceId: null,
      partitionsAcked: 1,
      bytes: 0,
    });
    expect(s.checkpoints.slice(1)).toEqual([
      {
        checkpointId: 'ck1',
        epoch: 1,
        triggeredAtMs: now,
        traceId: 'a'.repeat(32),
        partitionsAcked: 2,
        bytes: 1010,
        bytesFull: 1000,
        bytesIncremental: 10,
      },
    ]);
    feed.close();
  });
});

describe('dead-letter and late counts', () => {
  it('sums the heartbeats per incarnation (a left or restarted worker keeps its counts), rates over 10 s', async () => {
    let now = 2_000_000;
    const bus = new MemoryBus();
    const feed = new DashboardFeed(() => now);
    feed.attach(bus, subjects);
    const hb = (workerId: string, incarnation: string, deadLetters?: Record<string, number>, late?: number) =>
      bus.publish(
        subjects.heartbeat(workerId),
        encodeControlMessage({
          type: 'heartbeat',
          v: 1,
          workerId,
          incarnation,
          epoch: 1,
          state: 'active',
          partitions: [],
          load: {
            cpu: 0,
            eventsPerSec: 0,
            keys: 0,
            heapBytes: 0,
            ...(deadLetters === undefined ? {} : { deadLetters }),
            ...(late === undefined ? {} : { late }),
          },
          sentAtMs: now,
        }),
      );
    hb('w1', 'a', { malformed: 2 }, 0);
    hb('w2', 'a', { malformed: 1, invalid_trade: 4 }, 3);
    hb('w3', 'a'); // an older worker without the fields: nothing
    await bus.flush();
    feed.sample();
    now += 10_000;
    hb('w1', 'a', { malformed: 12 }, 5);
    hb('w2', 'b', { malformed: 1 }, 0); // w2 restarted: its first process's counts stay
    await bus.flush();
    feed.sample();
    const rows = feed.snapshot(
      { workers: [{ workerId: 'w1' }, { workerId: 'w2' }] } as never,
      false,
    ).diverted;
    expect(rows).toEqual([
      { kind: 'dead_letter', reason: 'malformed', total: 14, perSec: 1.1, byWorker: { w1: 12, w2: 2 } },
      { kind: 'dead_letter', reason: 'invalid_trade', total: 4, perSec: 0, byWorker: { w2: 4 } },
      { kind: 'late', reason: 'late', total: 8, perSec: 0.5, byWorker: { w1: 5, w2: 3 } },
    ]);
    feed.close();
  });
});

describe('waterfall', () => {
  it('orders spans by start, parents first on a tie, with depth and service', () => {
    const spans = waterfall({
      processes: { p1: { serviceName: 'ripple-coordinator' }, p2: { serviceName: 'ripple-worker' } },
      spans: [
        {
          spanID: 'c',
          operationName: 'ripple.worker.assign',
          startTime: 100,
          duration: 5,
          processID: 'p2',
          references: [{ refType: 'CHILD_OF', spanID: 'r' }],
          tags: [{ key: 'error', value: true }],
        },
        { spanID: 'r', operationName: 'ripple.rebalance', startTime: 100, duration: 50, processID: 'p1' },
      ],
    });
    expect(spans).toEqual([
      {
        spanId: 'r',
        name: 'ripple.rebalance',
        service: 'ripple-coordinator',
        depth: 0,
        startUs: 0,
        durationUs: 50,
        error: false,
      },
      {
        spanId: 'c',
        name: 'ripple.worker.assign',
        service: 'ripple-worker',
        depth: 1,
        startUs: 0,
        durationUs: 5,
        error: true,
      },
    ]);
  });
});

describe('dashboard routes', () => {
  it('serve the page, uPlot, a snapshot, the event stream; traces name JAEGER_QUERY_URL when unset', async () => {
    const feed = new DashboardFeed();
    const http = await serve('127.0.0.1', [
      {
        port: 0,
        route: async () => null,
        raw: dashboardHandler({ feed, status: () => null, jaegerUrl: null, periodMs: 50 }),
      },
    ]);
    const base = `http://127.0.0.1:${http.ports[0]}`;
    try {
      const page = await fetch(`${base}/dashboard/`);
      expect(page.headers.get('content-type')).toMatch(/text\/html/);
      expect(await page.text()).toContain('<ol id="grid"');
      expect((await fetch(`${base}/dashboard/app.js`)).status).toBe(200);
      expect(await (await fetch(`${base}/dashboard/uplot.js`)).text()).toContain('uPlot');
      expect((await fetch(`${base}/dashboard/../package.json`)).status).toBe(404);
      expect(await (await fetch(`${base}/api/dashboard`)).json()).toMatchObject({
        status: null,
        jaeger: false,
      });
      const r = await fetch(`${base}/api/traces/${'a'.repeat(32)}`);
      expect(r.status).toBe(404);
      expect(await r.text()).toContain('JAEGER_QUERY_URL');
      const events = await fetch(`${base}/api/dashboard/events`);
      expect(events.headers.get('content-type')).toBe('text/event-stream');
      const reader = events.body!.getReader();
      let text = '';
      while ((text.match(/\n\n/g) ?? []).length < 2)
        text += new TextDecoder().decode((await reader.read()).value);
      expect(text.startsWith('data: {')).toBe(true);
      await reader.cancel();
    } finally {
      await http.close(); // also with an event stream open
    }
  });
});
